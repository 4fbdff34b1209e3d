package io.weightcast.core.plan;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;

/**
 * Which GGUF type each tensor of a checkpoint gets for a requested type, as {@code convert_hf_to_gguf.py} does:
 * 1-D tensors (norms, biases) and scalars stay F32; weights of rank 2 and more take the requested type when
 * their rows are whole blocks of it, and fall back to F16 otherwise; integer tensors keep their type.
 */
public final class GgufTypeRules {
    private GgufTypeRules() {
    }

    public static DType targetType(TensorView tensor, DType requested) {
        DType source = tensor.dtype();
        if (!source.isPlainFloat() && !source.isQuantized()) {
            if (!source.isGgml()) {
                throw new UnsupportedTargetException(tensor, "GGUF has no type for " + source
                        + " tensors; only floats and signed integers can be written");
            }
            return source;
        }
        if (source.isQuantized() && source == requested) {
            return source;
        }
        if (tensor.rank() <= 1) {
            return DType.F32;
        }
        if (!requested.isQuantized()) {
            return requested;
        }
        return tensor.rowLength() % requested.blockSize() == 0 ? requested : DType.F16;
    }

    /** Checks that a type given with {@code --type} can be written to GGUF by this build. */
    public static void requireWritable(DType requested) {
        if (!requested.isGgml()) {
            throw new IllegalArgumentException(requested + " is not a GGUF type; use F32, F16, BF16, Q8_0, Q4_0, "
                    + "Q4_1, Q5_0 or Q5_1");
        }
        if (!io.weightcast.core.codec.Codecs.canEncode(requested)) {
            throw new IllegalArgumentException(io.weightcast.core.codec.Codecs.canDecode(requested)
                    ? "writing " + requested + " is not supported (weightcast reads it, but does not quantize to it)"
                    : "quantizing to " + requested + " is not implemented yet");
        }
    }
}
