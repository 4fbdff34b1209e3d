package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.TensorSink;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a safetensors model, one file or transformers-style shards plus index, from tensor bytes streamed in
 * spec order (see {@link TensorSink}). Every file goes to a temporary sibling first and is renamed into place on
 * {@link #commit()}; {@link #close()} without a commit deletes the temporaries and leaves existing output alone.
 */
public final class SafetensorsWriter implements TensorSink {
    private enum State { OPEN, FAILED, COMMITTED, CLOSED }

    private final List<TensorSpec> specs;
    private final List<ShardFileWriter> shards;
    private final Path index;
    private final Map<String, String> weightMap;
    private final long totalBytes;
    private final Path folder;
    private final String baseName;
    private long written;
    private int current;
    private State state = State.OPEN;

    private SafetensorsWriter(List<TensorSpec> specs, List<ShardFileWriter> shards, Path index,
                              Map<String, String> weightMap, long totalBytes, Path folder, String baseName) {
        this.specs = specs;
        this.shards = shards;
        this.index = index;
        this.weightMap = weightMap;
        this.totalBytes = totalBytes;
        this.folder = folder;
        this.baseName = baseName;
    }

    /**
     * A writer for one file. Tensors are laid out in the given order, {@code __metadata__} (if not empty) in map
     * order.
     *
     * @throws IllegalArgumentException for a dtype safetensors cannot store, a repeated or reserved name, or a
     *                                  sub-byte tensor that does not fill whole bytes
     */
    public static SafetensorsWriter create(Path out, List<TensorSpec> specs, Map<String, String> metadata) {
        List<TensorSpec> checked = check(specs);
        long bytes = checked.stream().mapToLong(TensorSpec::byteSize).sum();
        ShardFileWriter file = new ShardFileWriter(out, header(metadata, checked), bytes);
        return new SafetensorsWriter(checked, List.of(file), null, Map.of(), bytes, null, null);
    }

    /**
     * A writer for a sharded model in {@code folder} (created if missing), split by {@link ShardPlan} at
     * {@code maxShardBytes} of tensor data per file. Several shards are named like transformers' and come with
     * {@code <baseName>.safetensors.index.json}; a single shard is written as plain {@code <baseName>.safetensors}
     * without an index. After a commit, stale files of an earlier save under the same base name are removed
     * (other shard counts, an index or single file that no longer applies), as transformers does, so that a
     * reader does not pick up a mix.
     */
    public static SafetensorsWriter createSharded(Path folder, String baseName, List<TensorSpec> specs,
                                                  Map<String, String> metadata, long maxShardBytes) throws IOException {
        return createSharded(folder, baseName, specs, metadata, maxShardBytes, TensorSpec::name);
    }

    /** {@link #createSharded(Path, String, List, Map, long)} keeping each {@code group} in one shard. */
    public static SafetensorsWriter createSharded(Path folder, String baseName, List<TensorSpec> specs,
                                                  Map<String, String> metadata, long maxShardBytes,
                                                  java.util.function.Function<TensorSpec, String> group)
            throws IOException {
        if (baseName.isEmpty() || baseName.contains("/") || baseName.contains("\\")) {
            throw new IllegalArgumentException("baseName must be a plain file name prefix, got '" + baseName + "'");
        }
        List<TensorSpec> checked = check(specs);
        ShardPlan plan = ShardPlan.plan(baseName, checked, maxShardBytes, group);
        Files.createDirectories(folder);
        List<ShardFileWriter> files = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (ShardPlan.Shard s : plan.shards()) {
            files.add(new ShardFileWriter(folder.resolve(s.fileName()), header(metadata, s.tensors()), s.dataBytes()));
            s.tensors().forEach(t -> weightMap.put(t.name(), s.fileName()));
        }
        Path index = files.size() > 1 ? folder.resolve(baseName + ShardIndex.SUFFIX) : null;
        return new SafetensorsWriter(checked, files, index, weightMap, plan.totalBytes(), folder, baseName);
    }

    private static List<TensorSpec> check(List<TensorSpec> specs) {
        Set<String> names = new HashSet<>();
        for (TensorSpec s : specs) {
            if (!s.dtype().isSafetensors()) {
                throw new IllegalArgumentException(s.name() + ": safetensors cannot store " + s.dtype());
            }
            if (s.name().equals(HeaderParser.METADATA_KEY) || !names.add(s.name())) {
                throw new IllegalArgumentException(s.name() + ": tensor name is reserved or repeated");
            }
            try {
                s.byteSize();
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException(s.name() + Arrays.toString(s.shape()) + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(specs);
    }

    private static byte[] header(Map<String, String> metadata, List<TensorSpec> specs) {
        byte[] h = HeaderJson.encode(metadata == null ? Map.of() : metadata, specs);
        if (h.length > SafetensorsHeader.MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("header of " + h.length + " bytes exceeds the safetensors limit of "
                    + SafetensorsHeader.MAX_HEADER_LENGTH + "; write more shards");
        }
        return h;
    }

    /** Appends bytes; a call may end mid-tensor and may span several tensors and shard files. */
    @Override
    public void write(MemorySegment bytes) throws IOException {
        requireOpen();
        long n = bytes.byteSize();
        if (n > totalBytes - written) {
            throw new IllegalStateException("too many bytes: " + n + " more arrived after " + written + " of "
                    + totalBytes + " announced by the " + specs.size() + " tensor specs");
        }
        try {
            long at = 0;
            while (at < n) {
                ShardFileWriter shard = shardWithRoom();
                long piece = Math.min(n - at, shard.remaining());
                shard.write(bytes.asSlice(at, piece));
                at += piece;
            }
            written += n;
        } catch (IOException | RuntimeException e) {
            state = State.FAILED; // the files no longer match the byte count: only close() makes sense now
            throw e;
        }
    }

    /** The shard the next byte goes to, opening it (and finishing full ones) on the way. */
    private ShardFileWriter shardWithRoom() throws IOException {
        while (true) {
            ShardFileWriter s = shards.get(current);
            if (!s.isOpen()) {
                s.open();
            }
            if (s.remaining() > 0) {
                return s;
            }
            s.finish();
            current++;
        }
    }

    @Override
    public void commit() throws IOException {
        requireOpen();
        if (written < totalBytes) {
            throw new IllegalStateException("missing bytes: " + incompleteTensor() + "; " + written + " of "
                    + totalBytes + " bytes written");
        }
        try {
            for (int i = current; i < shards.size(); i++) {
                ShardFileWriter s = shards.get(i);
                if (!s.isOpen()) {
                    s.open(); // a shard of zero-byte tensors only, or the model has no data at all
                }
                s.finish();
            }
            for (ShardFileWriter s : shards) {
                s.moveIntoPlace();
            }
            if (index != null) {
                AtomicFiles.write(index, ShardIndex.format(totalBytes, weightMap));
            }
            state = State.COMMITTED;
        } catch (IOException | RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
        if (folder != null) {
            removeStaleFiles();
        }
    }

    private String incompleteTensor() {
        long offset = 0;
        for (TensorSpec s : specs) {
            long end = offset + s.byteSize();
            if (written < end) {
                return "tensor '" + s.name() + "' has " + Math.max(0, written - offset) + " of " + s.byteSize()
                        + " bytes";
            }
            offset = end;
        }
        return "no tensor"; // unreachable while written < totalBytes
    }

    /** Files of an earlier save that would mislead a reader of this folder: other shards, index or single file. */
    private void removeStaleFiles() throws IOException {
        Set<Path> ours = new HashSet<>();
        shards.forEach(s -> ours.add(s.target()));
        Pattern stale = Pattern.compile(Pattern.quote(baseName) + "(-\\d{5}-of-\\d{5})?\\.safetensors"
                + "|" + Pattern.quote(baseName + ShardIndex.SUFFIX));
        try (Stream<Path> files = Files.list(folder)) {
            for (Path p : files.toList()) {
                if (!ours.contains(p) && !p.equals(index) && stale.matcher(p.getFileName().toString()).matches()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Deletes every temporary file unless committed; never touches existing output. Idempotent. */
    @Override
    public void close() throws IOException {
        if (state == State.COMMITTED || state == State.CLOSED) {
            state = State.CLOSED;
            return;
        }
        state = State.CLOSED;
        IOException first = null;
        for (ShardFileWriter s : shards) {
            try {
                s.discard();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void requireOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException("writer is " + state.name().toLowerCase() + (state == State.FAILED
                    ? " after an earlier error; close it" : ""));
        }
    }
}
