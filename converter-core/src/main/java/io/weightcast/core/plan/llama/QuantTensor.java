package io.weightcast.core.plan.llama;

import io.weightcast.formats.tensor.DType;
import java.util.Arrays;

/**
 * A tensor as llama-quantize's rules see it: name, ggml shape {@code ne} (ne[0] = row length, innermost first,
 * padded with ones to four dims) and current type.
 */
public record QuantTensor(String name, long[] ne, DType type) {

    public QuantTensor {
        long[] padded = new long[] {1, 1, 1, 1};
        System.arraycopy(ne, 0, padded, 0, Math.min(4, ne.length));
        ne = padded;
    }

    /** From a PyTorch-order shape (outermost first), as {@code TensorView.shape()} gives it. */
    public static QuantTensor ofShape(String name, long[] shape, DType type) {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            ne[i] = shape[shape.length - 1 - i];
        }
        return new QuantTensor(name, ne, type);
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public long ne(int i) {
        return ne[i];
    }

    /** {@code ggml_n_dims}: trailing dimensions of size one do not count; at least 1. */
    public int nDims() {
        for (int i = 3; i >= 1; i--) {
            if (ne[i] > 1) {
                return i + 1;
            }
        }
        return 1;
    }

    public long elementCount() {
        return ne[0] * ne[1] * ne[2] * ne[3];
    }

    @Override
    public String toString() {
        return name + Arrays.toString(ne) + ' ' + type;
    }
}
