package io.weightcast.core.engine;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;

/**
 * Decodes elements {@code [first, first + count)} of a tensor as seen through a {@link SourceTransform}: rows
 * (along the outermost dimension) are read from their permuted source positions, then the addend is applied.
 * Streaming: only the requested elements are decoded.
 */
public final class TransformedReader {
    private TransformedReader() {
    }

    /** Reads a job's source (its decoder when it has one, else its stored bytes) through its transform. */
    public static void read(io.weightcast.core.plan.TensorJob job, long first, int count, float[] out,
                            int outOffset) {
        if (job.decoder() == null) {
            read(job.source(), job.transform(), first, count, out, outOffset);
        } else {
            read(job.source(), job.decoder()::decode, 1, job.transform(), first, count, out, outOffset);
        }
    }

    public static void read(TensorView source, SourceTransform transform, long first, int count, float[] out,
                            int outOffset) {
        DType type = source.dtype();
        Codec codec = Codecs.forType(type);
        read(source, (f, n, dst, off) -> codec.decode(source.data(), type.byteSize(f), n, dst, off),
                type.blockSize(), transform, first, count, out, outOffset);
    }

    private static void read(TensorView source, io.weightcast.core.plan.ElementSource elements, int blockSize,
                             SourceTransform transform, long first, int count, float[] out, int outOffset) {
        DType type = source.dtype();
        if (transform.rotaryHeads() == 0) {
            elements.decode(first, count, out, outOffset);
        } else {
            long rows = source.shape()[0];
            long inner = source.elementCount() / rows;
            if (inner % blockSize != 0) {
                throw new IllegalArgumentException("tensor '" + source.name() + "': rows of " + inner
                        + " elements are not whole " + type + " blocks; cannot permute rows");
            }
            long end = first + count;
            for (long e = first; e < end; ) {
                long row = e / inner;
                long off = e % inner;
                int n = (int) Math.min(inner - off, end - e);
                long src = transform.sourceRow(row, rows) * inner + off;
                elements.decode(src, n, out, outOffset + (int) (e - first));
                e += n;
            }
        }
        float add = transform.addend();
        if (add != 0f) {
            boolean half = type == DType.F16; // torch adds in the tensor's own dtype for f16 (f32 otherwise)
            for (int i = outOffset, n = outOffset + count; i < n; i++) {
                float v = out[i] + add;
                out[i] = half ? Float.float16ToFloat(Float.floatToFloat16(v)) : v;
            }
        }
    }
}
