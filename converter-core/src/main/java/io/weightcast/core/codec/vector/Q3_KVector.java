package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.Q3_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q3_K with the Vector API, byte-identical to {@link Q3_KScalar}: the 16 sub-block searches of a super-block
 * ({@code make_q3_quants} without an imatrix, weighted {@code make_qx_quants} with one) run one sub-block per lane
 * in {@link KQuantLanes}; the rest of the block is the scalar code.
 */
final class Q3_KVector extends WeightedBlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 110;

    Q3_KVector() {
        super(DType.Q3_K, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        Q3_KScalar.Scratch s = new Q3_KScalar.Scratch();
        float[] xt = new float[16 * L];
        float[] wt = new float[16 * L];
        float[] lt = new float[16 * L];
        float[] st = KQuantLanes.state();
        for (int b = 0; b < blocks; b++) {
            int o = srcOffset + b * QK;
            int qo = importanceOffset + b * QK;
            if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                Q3_KScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) b * BLOCK_BYTES, s);
                continue;
            }
            if (importance != null) {
                Q3_KScalar.weights(src, o, importance, importanceOffset + b * QK, s);
            }
            for (int g = 0; g < 16; g += L) {
                for (int k = 0; k < L; k++) {
                    int e = 16 * (g + k);
                    for (int i = 0; i < 16; i++) {
                        xt[i * L + k] = src[o + e + i];
                        if (importance != null) {
                            wt[i * L + k] = s.weight[e + i];
                        }
                    }
                }
                if (importance == null) {
                    KQuantLanes.makeQ3Quants(16, 4, xt, lt, s.scales, g, st);
                    for (int k = 0; k < L; k++) {
                        for (int i = 0; i < 16; i++) {
                            s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                        }
                    }
                } else {
                    KQuantLanes.makeQxQuants(16, 4, xt, wt, lt, s.scales, g, st);
                    for (int k = 0; k < L; k++) {
                        for (int i = 0; i < 16; i++) {
                            s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                        }
                    }
                }
            }
            long p = dstOffset + (long) b * BLOCK_BYTES;
            if (importance == null) {
                Q3_KScalar.finish(src, o, s, dst, p);
            } else {
                Q3_KScalar.finishWeighted(src, o, s, dst, p);
            }
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            Q3_KScalar.decodeBlock(b, dst, dstOffset + i * QK);
        }
    }
}
