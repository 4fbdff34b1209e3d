package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;

/**
 * One tensor's conversion: where its bytes come from and what the writer will receive (the target may carry a
 * new name, e.g. an HF name mapped to its GGUF name). When the source and target types are equal and no
 * {@link SourceTransform} applies, the bytes are copied unchanged; otherwise they are decoded to f32,
 * transformed, and re-encoded.
 */
public record TensorJob(TensorView source, TensorSpec target, SourceTransform transform) {

    public TensorJob {
        if (source.elementCount() != target.elementCount()) {
            throw new IllegalArgumentException("tensor '" + source.name() + "': target " + target
                    + " has a different element count than source " + source);
        }
        transform = transform == null ? SourceTransform.NONE : transform;
        if (!transform.isIdentity() && source.rank() > 0) {
            transform.requireApplicable(source.name(), source.shape()[0]);
        }
    }

    public TensorJob(TensorView source, TensorSpec target) {
        this(source, target, SourceTransform.NONE);
    }

    /** True when the bytes are copied as they are (same storage type, no transform). */
    public boolean isCopy() {
        return source.dtype() == target.dtype() && transform.isIdentity();
    }
}
