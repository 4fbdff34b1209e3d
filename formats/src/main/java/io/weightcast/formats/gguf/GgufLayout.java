package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.Shapes;
import io.weightcast.formats.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns writer specs into GGUF tensor infos: validates names, ranks and types, reverses the shape into ne[]
 * (n_dims = PyTorch rank as gguf-py writes it; a 0-dim tensor becomes one dimension of 1) and assigns canonical
 * offsets (each tensor's offset is the running sum of the previous sizes padded to the alignment).
 */
final class GgufLayout {
    private GgufLayout() {
    }

    /** Checks every spec up front (IllegalArgumentException naming the tensor) and warns about long names. */
    static void validate(List<TensorSpec> specs, WriterOptions opts) {
        Set<String> names = new HashSet<>();
        for (TensorSpec s : specs) {
            String name = s.name();
            int bytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (bytes == 0) {
                throw new IllegalArgumentException("tensor names must be non-empty");
            }
            if (bytes > opts.maxNameLength()) {
                throw new IllegalArgumentException("tensor name '" + name + "' is " + bytes + " bytes, longer than "
                        + opts.maxNameLength() + (opts.maxNameLength() == ReaderOptions.LLAMA_CPP_MAX_NAME
                        ? " (llama.cpp's GGML_MAX_NAME); ComfyUI-GGUF allows 127: WriterOptions.comfyUi" : ""));
            }
            if (bytes > ReaderOptions.LLAMA_CPP_MAX_NAME) {
                opts.warnings().accept("tensor name '" + name + "' is " + bytes + " bytes: ComfyUI-GGUF reads it,"
                        + " llama.cpp (63-byte limit) will reject the file");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
            DType t = s.dtype();
            if (!t.isGgml()) {
                throw new IllegalArgumentException("tensor '" + name + "': " + t + " cannot be stored in GGUF");
            }
            long[] ne = ne(s);
            if (ne.length > GgufHeaderParser.MAX_DIMS) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + ne.length
                        + " dimensions; GGUF allows at most " + GgufHeaderParser.MAX_DIMS);
            }
            if (ne[0] % t.blockSize() != 0) {
                throw new IllegalArgumentException("tensor '" + name + "': row length " + ne[0]
                        + " is not a multiple of the " + t + " block size " + t.blockSize());
            }
            Shapes.elementCount(ne);
        }
    }

    /** ne[] for a spec: the reversed shape, or {1} for a 0-dim tensor. */
    static long[] ne(TensorSpec s) {
        long[] shape = s.shape();
        return shape.length == 0 ? new long[] {1} : Shapes.reversed(shape);
    }

    /** Tensor infos with offsets starting at 0, for one file's (or shard's) tensors. */
    static List<GgufTensorInfo> infos(List<TensorSpec> specs, int alignment) {
        List<GgufTensorInfo> out = new ArrayList<>(specs.size());
        long offset = 0;
        for (TensorSpec s : specs) {
            long nbytes = s.byteSize();
            out.add(new GgufTensorInfo(s.name(), ne(s), s.dtype(), offset, nbytes));
            offset = Math.addExact(offset, GgufHeaderParser.pad(nbytes, alignment));
        }
        return out;
    }

    /**
     * How many tensors go into each shard, filling shards in order like gguf-split: a new shard starts when the
     * current one already holds {@code maxTensors} tensors, or when adding the next tensor's padded size would
     * exceed {@code maxBytes} (metadata is not counted; a single larger tensor gets a shard of its own).
     *
     * @param maxBytes   shard data limit; 0 or less for none
     * @param maxTensors tensors per shard limit; 0 or less for none
     */
    static List<Integer> planShards(List<TensorSpec> specs, int alignment, long maxBytes, int maxTensors) {
        List<Integer> counts = new ArrayList<>();
        int inShard = 0;
        long bytes = 0;
        for (TensorSpec s : specs) {
            long padded = GgufHeaderParser.pad(s.byteSize(), alignment);
            boolean full = (maxTensors > 0 && inShard >= maxTensors)
                    || (maxBytes > 0 && inShard > 0 && bytes + padded > maxBytes);
            if (full) {
                counts.add(inShard);
                inShard = 0;
                bytes = 0;
            }
            inShard++;
            bytes += padded;
        }
        counts.add(inShard);
        if (counts.size() > GgufSplitNames.MAX_SHARDS) {
            throw new IllegalArgumentException(counts.size() + " shards exceed the UINT16 split.count limit");
        }
        return counts;
    }
}
