package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;

/**
 * One tensor's conversion: where its bytes come from and what the writer will receive (the target may carry a
 * new name, e.g. an HF name mapped to its GGUF name). When the source and target types are equal, no decoder and
 * no {@link SourceTransform} apply, the bytes are copied unchanged; otherwise they are decoded to f32,
 * transformed, and re-encoded.
 *
 * @param decoder    null for a plain stored tensor (decoded with its dtype's codec); otherwise the logical
 *                   tensor's own decoder (a quantized weight dequantized on the fly), and {@code source} only
 *                   names it (its data may be empty)
 * @param transform  value transform applied while reading (rotary row permutation, Gemma's +1); never null
 * @param importance null, or the imatrix weights for this tensor: {@code ne[0]} floats per matrix (expert), one
 *                   matrix after another ({@code ne[0] × ne[2]} in all). With it the engine encodes whole rows
 *                   at a time through {@link io.weightcast.core.codec.Codec#encodeRows}.
 */
public record TensorJob(TensorView source, TensorSpec target, ElementSource decoder, SourceTransform transform,
                        float[] importance) {

    public TensorJob {
        if (source.elementCount() != target.elementCount()) {
            throw new IllegalArgumentException("tensor '" + source.name() + "': target " + target
                    + " has a different element count than source " + source);
        }
        transform = transform == null ? SourceTransform.NONE : transform;
        if (!transform.isIdentity() && source.rank() > 0) {
            transform.requireApplicable(source.name(), source.shape()[0]);
        }
        if (importance != null) {
            long rowLength = source.rowLength();
            long rows = source.elementCount() / Math.max(1, rowLength);
            long matrices = matrices(source);
            if (importance.length != rowLength * matrices) {
                throw new IllegalArgumentException("tensor '" + source.name() + "': importance vector has "
                        + importance.length + " values, expected ne[0] x ne[2] = " + rowLength + " x " + matrices);
            }
            if (rows % matrices != 0) {
                throw new IllegalArgumentException("tensor '" + source.name() + "': rows do not split into "
                        + matrices + " matrices");
            }
        }
    }

    public TensorJob(TensorView source, TensorSpec target) {
        this(source, target, null, SourceTransform.NONE, null);
    }

    /** A tensor read through a logical decoder (a quantized layout dequantized on the fly). */
    public TensorJob(TensorView source, TensorSpec target, ElementSource decoder) {
        this(source, target, decoder, SourceTransform.NONE, null);
    }

    /** A stored tensor whose values are transformed while read (rotary permutation, norm offsets). */
    public TensorJob(TensorView source, TensorSpec target, SourceTransform transform) {
        this(source, target, null, transform, null);
    }

    /** A stored tensor encoded with importance weights (imatrix). */
    public TensorJob(TensorView source, TensorSpec target, float[] importance) {
        this(source, target, null, SourceTransform.NONE, importance);
    }

    /** The same job reading its values through {@code decoder} (a pre-quantized weight). */
    public TensorJob withDecoder(ElementSource decoder) {
        return new TensorJob(source, target, decoder, transform, importance);
    }

    /** True when the bytes are copied as they are (same storage type, no decoder, no transform). */
    public boolean isCopy() {
        return decoder == null && source.dtype() == target.dtype() && transform.isIdentity();
    }

    /** Rows (of {@code ne[0]} elements) per importance vector: {@code ne[1]} for a 3-D tensor, all rows for 2-D. */
    public long rowsPerMatrix() {
        long rows = source.elementCount() / Math.max(1, source.rowLength());
        return rows / matrices(source);
    }

    /** {@code ne[2] * ne[3]}: the matrices (experts) of a tensor, 1 for 2-D. */
    static long matrices(TensorView t) {
        long[] s = t.shape();
        long m = 1;
        for (int i = 0; i < s.length - 2; i++) {
            m *= s[i];
        }
        return m;
    }
}
