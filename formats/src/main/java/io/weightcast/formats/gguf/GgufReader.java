package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Opens GGUF files (versions 1, 2 and 3) as {@link GgufModel}s. A name of the form
 * {@code <prefix>-NNNNN-of-NNNNN.gguf} opens the whole split (every sibling shard), checked for consistency of
 * {@code split.no}, {@code split.count} and {@code split.tensors.count}.
 */
public final class GgufReader {
    private GgufReader() {
    }

    public static GgufModel open(Path path) throws IOException {
        return open(path, ReaderOptions.defaults());
    }

    /** Opens a file, or a whole split when {@code path} is named like a shard (any shard of the set). */
    public static GgufModel open(Path path, ReaderOptions options) throws IOException {
        Optional<GgufSplitNames.ShardName> shard = GgufSplitNames.parse(path);
        if (shard.isEmpty()) {
            GgufModel model = openSingle(path, options);
            long count = splitKey(model.headers().getFirst(), GgufMetadata.SPLIT_COUNT).orElse(1L);
            if (count > 1) {
                model.close();
                throw new MalformedFileException(path, -1, "split.count = " + count + " but the file name does not"
                        + " follow <prefix>-NNNNN-of-NNNNN.gguf, so the other shards cannot be found; rename the"
                        + " shards or use GgufReader.openSingle");
            }
            return model;
        }
        return openSplit(path, shard.get(), options);
    }

    /** Opens exactly one file, ignoring split naming and keys. */
    public static GgufModel openSingle(Path path, ReaderOptions options) throws IOException {
        List<MappedFile> mapped = new ArrayList<>();
        try {
            GgufHeader header = mapAndParse(path, options, mapped);
            return new GgufModel(path, mapped, List.of(header), views(header, mapped.getFirst()));
        } catch (IOException | RuntimeException e) {
            mapped.forEach(MappedFile::close);
            throw e;
        }
    }

    private static GgufModel openSplit(Path path, GgufSplitNames.ShardName name, ReaderOptions options)
            throws IOException {
        int count = name.count();
        List<MappedFile> mapped = new ArrayList<>();
        List<GgufHeader> headers = new ArrayList<>();
        List<TensorView> tensors = new ArrayList<>();
        try {
            Set<String> names = new HashSet<>();
            long expectedTensors = -1;
            for (int no = 1; no <= count; no++) {
                Path shardPath = GgufSplitNames.shardPath(name.prefix(), no, count);
                if (!Files.isRegularFile(shardPath)) {
                    throw new MalformedFileException(path, -1, "missing shard file " + shardPath + " (shard " + no
                            + " of " + count + ")");
                }
                GgufHeader header = mapAndParse(shardPath, options, mapped);
                Optional<Long> splitCount = splitKey(header, GgufMetadata.SPLIT_COUNT);
                if (splitCount.isEmpty()) {
                    if (count == 1) {
                        return new GgufModel(path, mapped, List.of(header), views(header, mapped.getFirst()));
                    }
                    throw new MalformedFileException(shardPath, -1, "the file name says shard " + no + " of " + count
                            + " but the file has no split.count key");
                }
                if (splitCount.get() != count) {
                    throw new MalformedFileException(shardPath, -1, "split.count = " + splitCount.get()
                            + " but the file name says " + count + " shards");
                }
                long splitNo = splitKey(header, GgufMetadata.SPLIT_NO).orElseThrow(() -> new MalformedFileException(
                        shardPath, -1, "split.count is set but split.no is missing"));
                if (splitNo != no - 1) {
                    throw new MalformedFileException(shardPath, -1, "split.no = " + splitNo + " but this is shard "
                            + no + " of " + count + " (split.no is 0-based, expected " + (no - 1) + ")");
                }
                Optional<Long> total = splitKey(header, GgufMetadata.SPLIT_TENSORS_COUNT);
                if (no == 1) {
                    expectedTensors = total.orElse(-1L);
                } else if (total.isPresent() && expectedTensors >= 0 && total.get() != expectedTensors) {
                    throw new MalformedFileException(shardPath, -1, "split.tensors.count = " + total.get()
                            + " but the first shard says " + expectedTensors);
                }
                for (GgufTensorInfo t : header.tensors()) {
                    if (!names.add(t.name())) {
                        throw new MalformedFileException(shardPath, t.name(), -1, "tensor name also appears in an"
                                + " earlier shard");
                    }
                }
                headers.add(header);
                tensors.addAll(views(header, mapped.getLast()));
            }
            if (expectedTensors >= 0 && expectedTensors != tensors.size()) {
                throw new MalformedFileException(path, -1, "split.tensors.count = " + expectedTensors + " but the "
                        + count + " shards hold " + tensors.size() + " tensors");
            }
            return new GgufModel(path, mapped, headers, tensors);
        } catch (IOException | RuntimeException e) {
            mapped.forEach(MappedFile::close);
            throw e;
        }
    }

    private static GgufHeader mapAndParse(Path file, ReaderOptions options, List<MappedFile> mapped)
            throws IOException {
        MappedFile mf = MappedFile.open(file);
        mapped.add(mf);
        return new GgufHeaderParser(options).parse(file, mf.segment());
    }

    private static List<TensorView> views(GgufHeader header, MappedFile file) {
        List<TensorView> out = new ArrayList<>(header.tensors().size());
        for (GgufTensorInfo t : header.tensors()) {
            long start = header.dataStart() + t.offset();
            out.add(new TensorView(t.name(), t.shape(), t.type(), file.segment().asSlice(start, t.byteSize()),
                    header.file(), start));
        }
        return out;
    }

    private static Optional<Long> splitKey(GgufHeader header, String key) throws MalformedFileException {
        Optional<GgufValue> v = header.metadata().get(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!v.get().type().isInteger()) {
            throw new MalformedFileException(header.file(), -1, key + " must be an integer, is "
                    + v.get().describeType());
        }
        return Optional.of(v.get().asLong());
    }
}
