package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;

/**
 * One tensor's conversion: where its bytes come from and what the writer will receive (the target may carry a
 * new name, e.g. an HF name mapped to its GGUF name). When the source and target types are equal, no decoder and
 * no {@link SourceTransform} apply, the bytes are copied unchanged; otherwise they are decoded to f32,
 * transformed, and re-encoded.
 *
 * @param decoder   null for a plain stored tensor (decoded with its dtype's codec); otherwise the logical
 *                  tensor's own decoder (a quantized weight dequantized on the fly), and {@code source} only
 *                  names it (its data may be empty)
 * @param transform value transform applied while reading (rotary row permutation, Gemma's +1); never null
 */
public record TensorJob(TensorView source, TensorSpec target, ElementSource decoder, SourceTransform transform) {

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
        this(source, target, null, SourceTransform.NONE);
    }

    public TensorJob(TensorView source, TensorSpec target, ElementSource decoder) {
        this(source, target, decoder, SourceTransform.NONE);
    }

    public TensorJob(TensorView source, TensorSpec target, SourceTransform transform) {
        this(source, target, null, transform);
    }

    /** The same job reading its values through {@code decoder} (a pre-quantized weight). */
    public TensorJob withDecoder(ElementSource decoder) {
        return new TensorJob(source, target, decoder, transform);
    }

    /** True when the bytes are copied as they are (same storage type, no decoder, no transform). */
    public boolean isCopy() {
        return decoder == null && source.dtype() == target.dtype() && transform.isIdentity();
    }
}
