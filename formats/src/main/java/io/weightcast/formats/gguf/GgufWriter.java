package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.TensorSink;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF v3 files that gguf.cpp reads: KVs in insertion order with {@code general.architecture} first,
 * {@code general.alignment} (u32) only when the alignment is not 32, tensor infos with n_dims = PyTorch rank and
 * ne[] = the reversed shape, canonical offsets, zero padding after the header and after every tensor (the last
 * one too).
 *
 * <p>Streaming contract ({@link TensorSink}): {@link #write} takes the tensors' bytes in spec order in chunks of
 * any size; the writer inserts the alignment padding between tensors itself. Each output goes to a temporary
 * file in its folder and is renamed into place by {@link #commit()}; {@link #close()} without a commit deletes the
 * temporary files and leaves existing outputs untouched.
 *
 * <p>Split output ({@link #createSplit}) writes {@code <prefix>-NNNNN-of-NNNNN.gguf} like gguf-split: all model
 * metadata in the first shard, and {@code split.no} (u16, 0-based), {@code split.count} (u16),
 * {@code split.tensors.count} (i32) at the end of every shard's KVs. Incoming {@code split.*} keys are always
 * dropped (a single-file output of a split model must not claim to be split), and an incoming
 * {@code general.alignment} is replaced by the writer's own.
 */
public final class GgufWriter implements TensorSink {
    private final List<TensorSpec> specs;
    private final int alignment;
    private final List<ShardOutput> shards;
    /** Index of the first tensor of each shard, plus specs.size() at the end. */
    private final int[] shardStart;

    private int tensor;      // current tensor index
    private long remaining;  // bytes still due for the current tensor
    private int shard;       // current shard index
    private boolean committed;
    private boolean closed;

    private GgufWriter(List<TensorSpec> specs, int alignment, List<ShardOutput> shards, int[] shardStart) {
        this.specs = specs;
        this.alignment = alignment;
        this.shards = shards;
        this.shardStart = shardStart;
        this.remaining = specs.isEmpty() ? 0 : specs.getFirst().byteSize();
    }

    /** A single GGUF file. */
    public static GgufWriter create(Path out, GgufMetadata kvs, List<TensorSpec> specs, WriterOptions opts)
            throws IOException {
        List<TensorSpec> list = List.copyOf(specs);
        GgufLayout.validate(list, opts);
        GgufMetadata meta = modelMetadata(kvs, opts.alignment());
        byte[] header = GgufHeaderEncoder.encode(meta, GgufLayout.infos(list, opts.alignment()), opts.alignment());
        ShardOutput output = ShardOutput.create(out, header);
        return new GgufWriter(list, opts.alignment(), List.of(output), new int[] {0, list.size()});
    }

    /**
     * A split GGUF: {@code <prefix>-00001-of-0000N.gguf} …, where the prefix is {@code firstShardPathPrefixOrOut}
     * without {@code .gguf} or without its {@code -NNNNN-of-NNNNN.gguf} suffix.
     *
     * @param maxShardBytes      most tensor bytes (padded) per shard, 0 or less for no limit
     * @param maxTensorsPerShard most tensors per shard, 0 or less for no limit
     */
    public static GgufWriter createSplit(Path firstShardPathPrefixOrOut, GgufMetadata kvs, List<TensorSpec> specs,
                                         WriterOptions opts, long maxShardBytes, int maxTensorsPerShard)
            throws IOException {
        List<TensorSpec> list = List.copyOf(specs);
        GgufLayout.validate(list, opts);
        List<Integer> counts = GgufLayout.planShards(list, opts.alignment(), maxShardBytes, maxTensorsPerShard);
        return createSplit(firstShardPathPrefixOrOut, kvs, list, opts, counts);
    }

    /**
     * A split GGUF with the given number of tensors in each shard, in order (llama-quantize's {@code --keep-split}
     * keeps the input's shards). Names and split keys as {@link #createSplit(Path, GgufMetadata, List,
     * WriterOptions, long, int)}.
     */
    public static GgufWriter createSplit(Path firstShardPathPrefixOrOut, GgufMetadata kvs, List<TensorSpec> specs,
                                         WriterOptions opts, List<Integer> counts) throws IOException {
        List<TensorSpec> list = List.copyOf(specs);
        GgufLayout.validate(list, opts);
        if (counts.stream().mapToInt(Integer::intValue).sum() != list.size()) {
            throw new IllegalArgumentException("shard tensor counts " + counts + " do not add up to " + list.size());
        }
        int n = counts.size();
        Path prefix = GgufSplitNames.prefixOf(firstShardPathPrefixOrOut);
        int[] start = new int[n + 1];
        List<ShardOutput> outputs = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                start[i + 1] = start[i] + counts.get(i);
                GgufMetadata meta = i == 0 ? modelMetadata(kvs, opts.alignment()) : alignmentOnly(opts.alignment());
                meta.put(GgufMetadata.SPLIT_NO, GgufValue.uint16(i));
                meta.put(GgufMetadata.SPLIT_COUNT, GgufValue.uint16(n));
                meta.put(GgufMetadata.SPLIT_TENSORS_COUNT, GgufValue.int32(list.size()));
                List<TensorSpec> part = list.subList(start[i], start[i + 1]);
                byte[] header = GgufHeaderEncoder.encode(meta, GgufLayout.infos(part, opts.alignment()),
                        opts.alignment());
                outputs.add(ShardOutput.create(GgufSplitNames.shardPath(prefix, i + 1, n), header));
            }
        } catch (IOException | RuntimeException e) {
            for (ShardOutput o : outputs) {
                o.abort();
            }
            throw e;
        }
        return new GgufWriter(list, opts.alignment(), List.copyOf(outputs), start);
    }

    /** The metadata as written: architecture first, split keys dropped, general.alignment set only when ≠ 32. */
    static GgufMetadata modelMetadata(GgufMetadata kvs, int alignment) {
        GgufMetadata out = new GgufMetadata();
        kvs.get(GgufMetadata.ARCHITECTURE).ifPresent(v -> out.put(GgufMetadata.ARCHITECTURE, v));
        for (var e : kvs.asMap().entrySet()) {
            String key = e.getKey();
            if (GgufMetadata.SPLIT_KEYS.contains(key) || key.equals(GgufMetadata.ARCHITECTURE)) {
                continue;
            }
            if (key.equals(GgufMetadata.ALIGNMENT)) {
                if (alignment != WriterOptions.DEFAULT_ALIGNMENT) {
                    out.put(key, GgufValue.uint32(alignment));
                }
                continue;
            }
            out.put(key, e.getValue());
        }
        if (alignment != WriterOptions.DEFAULT_ALIGNMENT && !out.containsKey(GgufMetadata.ALIGNMENT)) {
            out.put(GgufMetadata.ALIGNMENT, GgufValue.uint32(alignment));
        }
        return out;
    }

    private static GgufMetadata alignmentOnly(int alignment) {
        GgufMetadata out = new GgufMetadata();
        if (alignment != WriterOptions.DEFAULT_ALIGNMENT) {
            out.put(GgufMetadata.ALIGNMENT, GgufValue.uint32(alignment));
        }
        return out;
    }

    /** The paths written on commit, in shard order. */
    public List<Path> outputs() {
        return shards.stream().map(ShardOutput::target).toList();
    }

    @Override
    public void write(MemorySegment bytes) throws IOException {
        ensureOpen();
        long off = 0;
        long n = bytes.byteSize();
        while (off < n) {
            skipEmptyTensors();
            if (tensor >= specs.size()) {
                throw new IllegalStateException((n - off) + " bytes more than the " + specs.size()
                        + " tensors announced");
            }
            long take = Math.min(n - off, remaining);
            shards.get(shard).write(bytes.asSlice(off, take));
            off += take;
            remaining -= take;
            if (remaining == 0) {
                endTensor();
            }
        }
    }

    /** Ends tensors that need no (more) bytes: zero-sized ones. */
    private void skipEmptyTensors() throws IOException {
        while (tensor < specs.size() && remaining == 0) {
            endTensor();
        }
    }

    /** Pads the finished tensor and moves to the next (and to the next shard after a shard's last tensor). */
    private void endTensor() throws IOException {
        long nbytes = specs.get(tensor).byteSize();
        shards.get(shard).zeros(GgufHeaderParser.pad(nbytes, alignment) - nbytes);
        tensor++;
        while (shard < shards.size() - 1 && tensor >= shardStart[shard + 1]) {
            shards.get(shard).finish();
            shard++;
        }
        remaining = tensor < specs.size() ? specs.get(tensor).byteSize() : 0;
    }

    @Override
    public void commit() throws IOException {
        ensureOpen();
        skipEmptyTensors();
        if (tensor < specs.size()) {
            TensorSpec s = specs.get(tensor);
            throw new IllegalStateException("bytes missing: tensor '" + s.name() + "' has " + (s.byteSize() - remaining)
                    + " of " + s.byteSize() + " bytes" + (specs.size() - tensor > 1
                    ? ", and " + (specs.size() - tensor - 1) + " more tensors follow" : ""));
        }
        for (ShardOutput o : shards) {
            o.finish();
        }
        for (ShardOutput o : shards) {
            o.commit();
        }
        committed = true;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (committed) {
            return;
        }
        IOException first = null;
        for (ShardOutput o : shards) {
            try {
                o.abort();
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

    private void ensureOpen() {
        if (closed || committed) {
            throw new IllegalStateException(committed ? "already committed" : "closed");
        }
    }
}
