package io.weightcast.core.diffusion;

import io.weightcast.formats.tensor.DType;
import java.util.Arrays;

/**
 * What happens to one tensor of a diffusion checkpoint.
 *
 * @param name        the name written (the source name without the state-dict prefix)
 * @param type        the GGUF type written
 * @param shape       the shape written, PyTorch order
 * @param originalShape the source shape when {@code shape} differs (then recorded as
 *                    {@code comfy.gguf.orig_shape.<name>}), else null
 * @param reason      why the type is not the requested one ("" when it is)
 */
public record TensorDecision(String name, DType type, long[] shape, long[] originalShape, String reason) {

    public TensorDecision {
        shape = shape.clone();
        originalShape = originalShape == null ? null : originalShape.clone();
    }

    public boolean reshaped() {
        return originalShape != null;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] originalShape() {
        return originalShape == null ? null : originalShape.clone();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ' ' + type + (reshaped() ? " (from " + Arrays.toString(originalShape)
                + ")" : "") + (reason.isEmpty() ? "" : " [" + reason + "]");
    }
}
