package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.Q6_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q6_K with the Vector API, byte-identical to {@link Q6_KScalar}: the 16 {@code make_qx_quants} searches of a
 * super-block run one sub-block per lane ({@link KQuantLanes#makeQxQuants}, L = 8 or 16 divides 16); the rest of
 * the block (scale quantization, requantization, packing) is the scalar code. Decoding is the scalar
 * code (it already beats ggml's).
 */
final class Q6_KVector extends WeightedBlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 210;

    Q6_KVector() {
        super(DType.Q6_K, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        Q6_KScalar.Scratch s = new Q6_KScalar.Scratch();
        float[] xt = new float[16 * L];
        float[] wt = new float[16 * L];
        float[] lt = new float[16 * L];
        float[] st = KQuantLanes.state();
        for (int b = 0; b < blocks; b++) {
            int o = srcOffset + b * QK;
            int qo = importanceOffset + b * QK;
            if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                Q6_KScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) b * BLOCK_BYTES, s);
                continue;
            }
            for (int g = 0; g < 16; g += L) {
                for (int k = 0; k < L; k++) {
                    int e = o + 16 * (g + k);
                    for (int i = 0; i < 16; i++) {
                        float x = src[e + i];
                        xt[i * L + k] = x;
                        wt[i * L + k] = importance != null ? importance[qo + 16 * (g + k) + i] : x * x;
                    }
                }
                KQuantLanes.makeQxQuants(16, 32, xt, wt, lt, s.scales, g, st);
                for (int k = 0; k < L; k++) {
                    for (int i = 0; i < 16; i++) {
                        s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                    }
                }
            }
            Q6_KScalar.finish(src, o, s, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            Q6_KScalar.decodeBlock(b, dst, dstOffset + i * QK);
        }
    }
}
