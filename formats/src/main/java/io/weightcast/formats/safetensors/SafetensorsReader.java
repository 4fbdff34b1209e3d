package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Opens safetensors models. Accepts a {@code .safetensors} file, a {@code *.safetensors.index.json}, or a folder:
 * the folder's {@code model.safetensors.index.json} (or its only index) is preferred; without one, its single
 * {@code .safetensors} file, or all of them (by name) read as one model when there are several.
 * Files are memory-mapped whole, so tensors past 2 GiB need no copying.
 */
public final class SafetensorsReader {
    static final String DEFAULT_INDEX = "model" + ShardIndex.SUFFIX;

    private SafetensorsReader() {
    }

    public static SafetensorsModel open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return openFolder(path);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        if (path.getFileName().toString().endsWith(".json")) {
            return openIndex(path, path);
        }
        return openFiles(path, List.of(path));
    }

    private static SafetensorsModel openFolder(Path folder) throws IOException {
        List<Path> indexes;
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            List<Path> all = s.filter(Files::isRegularFile).sorted().toList();
            indexes = all.stream().filter(p -> p.getFileName().toString().endsWith(ShardIndex.SUFFIX)).toList();
            files = all.stream().filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList();
        }
        Path preferred = folder.resolve(DEFAULT_INDEX);
        if (indexes.contains(preferred)) {
            return openIndex(folder, preferred);
        }
        if (indexes.size() == 1) {
            return openIndex(folder, indexes.getFirst());
        }
        if (indexes.size() > 1) {
            throw new IOException(folder + ": several index files " + indexes.stream().map(Path::getFileName).toList()
                    + " and no " + DEFAULT_INDEX + "; open one of them directly");
        }
        if (files.isEmpty()) {
            throw new NoSuchFileException(folder.toString(), null, "no .safetensors files or index in this folder");
        }
        return openFiles(folder, files);
    }

    /** Several files without an index: one model, as long as no tensor name repeats. */
    private static SafetensorsModel openFiles(Path userPath, List<Path> files) throws IOException {
        List<MappedFile> mapped = new ArrayList<>();
        try {
            List<SafetensorsHeader> headers = new ArrayList<>();
            List<TensorView> views = new ArrayList<>();
            Map<String, Path> owner = new HashMap<>();
            for (Path file : files) {
                MappedFile m = MappedFile.open(file);
                mapped.add(m);
                SafetensorsHeader h = SafetensorsHeader.read(file, m.segment());
                headers.add(h);
                for (TensorView v : views(h, m)) {
                    Path previous = owner.putIfAbsent(v.name(), file);
                    if (previous != null) {
                        throw new MalformedFileException(file, v.name(), v.fileOffset(),
                                "tensor name also used in " + previous + " (files without an index must not share names)");
                    }
                    views.add(v);
                }
            }
            return new SafetensorsModel(userPath, mapped, headers, views, Optional.empty());
        } catch (IOException | RuntimeException e) {
            closeAll(mapped, e);
            throw e;
        }
    }

    private static SafetensorsModel openIndex(Path userPath, Path indexFile) throws IOException {
        ShardIndex index = ShardIndex.read(indexFile);
        List<String> shards = index.shardNames();
        checkShardsExist(index, shards);
        List<MappedFile> mapped = new ArrayList<>();
        try {
            List<SafetensorsHeader> headers = new ArrayList<>();
            List<TensorView> views = new ArrayList<>();
            Set<String> found = new HashSet<>();
            for (String shard : shards) {
                Path file = index.resolve(shard);
                MappedFile m = MappedFile.open(file);
                mapped.add(m);
                SafetensorsHeader h = SafetensorsHeader.read(file, m.segment());
                headers.add(h);
                for (TensorView v : views(h, m)) {
                    String mappedTo = index.weightMap().get(v.name());
                    if (mappedTo == null) {
                        throw new MalformedFileException(file, v.name(), v.fileOffset(),
                                "tensor is not listed in the index " + indexFile);
                    }
                    if (!mappedTo.equals(shard)) {
                        throw new MalformedFileException(file, v.name(), v.fileOffset(), "tensor is in shard '"
                                + shard + "' but the index " + indexFile + " maps it to shard '" + mappedTo + "'");
                    }
                    found.add(v.name());
                    views.add(v);
                }
            }
            for (var e : index.weightMap().entrySet()) {
                if (!found.contains(e.getKey())) {
                    throw new MalformedFileException(indexFile, e.getKey(), -1,
                            "the index maps this tensor to shard '" + e.getValue() + "', which does not contain it");
                }
            }
            return new SafetensorsModel(userPath, mapped, headers, views, Optional.of(index));
        } catch (IOException | RuntimeException e) {
            closeAll(mapped, e);
            throw e;
        }
    }

    /** Names every missing shard up front: a partial download usually lacks many, and the user wants the count. */
    private static void checkShardsExist(ShardIndex index, List<String> shards) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String shard : shards) {
            if (!Files.isRegularFile(index.resolve(shard))) {
                missing.add(shard);
            }
        }
        if (!missing.isEmpty()) {
            String first = missing.getFirst();
            String tensor = index.tensorsIn(first).getFirst();
            throw new MalformedFileException(index.file(), tensor, -1, "missing shard '" + first + "' named by the index"
                    + (missing.size() > 1 ? " (" + missing.size() + " of " + shards.size() + " shards are missing)"
                    : " (1 of " + shards.size() + " shards is missing)"));
        }
    }

    private static List<TensorView> views(SafetensorsHeader h, MappedFile m) {
        List<TensorView> views = new ArrayList<>(h.entries().size());
        for (HeaderEntry e : h.entries()) {
            long at = h.dataStart() + e.begin();
            views.add(new TensorView(e.name(), e.shape(), e.dtype(), m.segment().asSlice(at, e.byteSize()), h.file(), at));
        }
        return views;
    }

    private static void closeAll(List<MappedFile> mapped, Exception failure) {
        for (MappedFile m : mapped) {
            try {
                m.close();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
