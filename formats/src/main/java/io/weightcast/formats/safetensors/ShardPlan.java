package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * How tensors are split into shard files, the way huggingface_hub's splitter does it: walk the tensors in order
 * and start a new shard when the next tensor would push the current one over the limit; a tensor larger than the
 * limit gets a shard of its own. Only tensor bytes count (headers do not), as in the index's {@code total_size}.
 * One shard is named {@code <base>.safetensors}; several {@code <base>-00001-of-00003.safetensors}.
 */
public record ShardPlan(List<Shard> shards) {

    /** One output file and the tensors it holds, in order. */
    public record Shard(String fileName, List<TensorSpec> tensors, long dataBytes) {
        public Shard {
            tensors = List.copyOf(tensors);
        }
    }

    public ShardPlan {
        shards = List.copyOf(shards);
    }

    public static ShardPlan plan(String baseName, List<TensorSpec> specs, long maxShardBytes) {
        return plan(baseName, specs, maxShardBytes, TensorSpec::name);
    }

    /**
     * Like {@link #plan(String, List, long)}, but consecutive tensors with the same {@code group} key are never
     * split across shards: all parts of one quantized weight (codes, scales, quant_state, …) land in the same
     * file, since diffusers loads shard by shard and needs them together (hf-formats.md §2.7). A group larger than
     * the limit gets a shard of its own.
     */
    public static ShardPlan plan(String baseName, List<TensorSpec> specs, long maxShardBytes,
                                 java.util.function.Function<TensorSpec, String> group) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<List<TensorSpec>> groups = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < specs.size(); ) {
            String key = group.apply(specs.get(i));
            int end = i + 1;
            while (end < specs.size() && group.apply(specs.get(end)).equals(key)) {
                end++;
            }
            long size = 0;
            for (int j = i; j < end; j++) {
                size += specs.get(j).byteSize();
            }
            if (!current.isEmpty() && bytes + size > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.addAll(specs.subList(i, end));
            bytes += size;
            i = end;
        }
        groups.add(current); // an empty model still gets one (empty) file
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            List<TensorSpec> g = groups.get(i);
            shards.add(new Shard(fileName(baseName, i + 1, groups.size()), g,
                    g.stream().mapToLong(TensorSpec::byteSize).sum()));
        }
        return new ShardPlan(shards);
    }

    /** transformers' names: {@code model.safetensors}, or {@code model-00002-of-00003.safetensors}. */
    public static String fileName(String baseName, int number, int count) {
        return count == 1 ? baseName + ".safetensors"
                : String.format("%s-%05d-of-%05d.safetensors", baseName, number, count);
    }

    public long totalBytes() {
        return shards.stream().mapToLong(Shard::dataBytes).sum();
    }
}
