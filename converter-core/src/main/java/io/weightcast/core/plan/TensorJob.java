package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;

/**
 * One tensor's conversion: where its bytes come from and what the writer will receive. When the source and
 * target types are equal the bytes are copied unchanged; otherwise they are decoded to f32 and re-encoded.
 */
public record TensorJob(TensorView source, TensorSpec target) {

    public TensorJob {
        if (source.elementCount() != target.elementCount()) {
            throw new IllegalArgumentException("tensor '" + source.name() + "': target " + target
                    + " has a different element count than source " + source);
        }
    }

    /** True when the bytes are copied as they are (same storage type). */
    public boolean isCopy() {
        return source.dtype() == target.dtype();
    }
}
