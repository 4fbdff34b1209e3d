package io.weightcast.core.plan;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;

/**
 * Which safetensors dtype each tensor gets: ggml block types are dequantized (to the requested float type, F32 by
 * default); float tensors are cast when a type is requested and copied otherwise; everything else is copied.
 */
public final class SafetensorsTypeRules {
    private SafetensorsTypeRules() {
    }

    /** @param requested the float type asked for, or null to keep float tensors as they are */
    public static DType targetType(TensorView tensor, DType requested) {
        DType source = tensor.dtype();
        if (source.isQuantized()) {
            return requested != null ? requested : DType.F32;
        }
        if (source.isPlainFloat() && requested != null) {
            return requested;
        }
        if (!source.isSafetensors()) {
            throw new UnsupportedTargetException(tensor, "safetensors has no dtype for " + source);
        }
        return source;
    }

    public static void requireWritable(DType requested) {
        if (requested != null && !(requested.isSafetensors() && requested.isPlainFloat())) {
            throw new IllegalArgumentException(requested + " is not a safetensors float dtype; use F32, F16, BF16, "
                    + "F8_E4M3 or F8_E5M2 (block-quantized safetensors layouts come with the bitsandbytes/FP8 recipes)");
        }
    }
}
