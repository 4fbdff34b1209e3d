package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;

/**
 * One tensor's conversion: where its bytes come from and what the writer will receive. When the source and
 * target types are equal the bytes are copied unchanged; otherwise they are decoded to f32 and re-encoded.
 *
 * @param decoder null for a plain stored tensor (decoded with its dtype's codec); otherwise the logical
 *                tensor's own decoder (a quantized weight dequantized on the fly), and {@code source} only
 *                names it (its data may be empty)
 */
public record TensorJob(TensorView source, TensorSpec target, ElementSource decoder) {

    public TensorJob {
        if (source.elementCount() != target.elementCount()) {
            throw new IllegalArgumentException("tensor '" + source.name() + "': target " + target
                    + " has a different element count than source " + source);
        }
    }

    public TensorJob(TensorView source, TensorSpec target) {
        this(source, target, null);
    }

    /** True when the bytes are copied as they are (same storage type, no decoder). */
    public boolean isCopy() {
        return decoder == null && source.dtype() == target.dtype();
    }
}
