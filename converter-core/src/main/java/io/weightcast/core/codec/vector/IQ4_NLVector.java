package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.IQ4_NLScalar;
import io.weightcast.core.codec.scalar.Iq4Math;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IQ4_NL with the Vector API, byte-identical to {@link IQ4_NLScalar}: one 32-element block per lane (a last,
 * partial group is padded with zero blocks whose results are dropped) for the scale search and the final re-pick
 * ({@link KQuantLanes#iq4Search}, {@link KQuantLanes#iq4Repick}).
 */
final class IQ4_NLVector extends WeightedBlockCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 18;

    IQ4_NLVector() {
        super(DType.IQ4_NL, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        float[] xt = new float[QK * L];
        float[] wt = new float[QK * L];
        float[] w = new float[QK];
        int[] lt = new int[QK * L];
        float[] d = new float[L];
        byte[] out = new byte[BLOCK_BYTES * L];
        for (int b0 = 0; b0 < blocks; b0 += L) {
            int n = Math.min(L, blocks - b0);
            for (int k = 0; k < L; k++) {
                if (k >= n) {
                    for (int j = 0; j < QK; j++) {
                        xt[j * L + k] = 0;
                        wt[j * L + k] = 0;
                    }
                    continue;
                }
                int o = srcOffset + (b0 + k) * QK;
                int qo = importanceOffset + (b0 + k) * QK;
                float sigma2 = importance == null ? 0 : Iq4Math.sigma2(src, o, QK);
                Iq4Math.weights(src, o, QK, importance, qo, sigma2, w, 0);
                for (int j = 0; j < QK; j++) {
                    xt[j * L + k] = src[o + j];
                    wt[j * L + k] = w[j];
                }
            }
            FloatVector dv = KQuantLanes.iq4Search(xt, wt);
            dv.intoArray(d, 0);
            FloatVector id = FloatVector.broadcast(F, 1.0f).div(dv)
                    .blend(0.0f, dv.compare(VectorOperators.EQ, 0.0f));
            KQuantLanes.iq4Repick(xt, id, lt);
            for (int k = 0; k < n; k++) {
                int p = k * BLOCK_BYTES;
                short dh = Fp16.fromFloat(d[k]);
                out[p] = (byte) dh;
                out[p + 1] = (byte) (dh >> 8);
                for (int j = 0; j < 16; j++) {
                    out[p + 2 + j] = (byte) (lt[j * L + k] | (lt[(j + 16) * L + k] << 4));
                }
            }
            MemorySegment.copy(out, 0, dst, BYTE, dstOffset + (long) b0 * BLOCK_BYTES, n * BLOCK_BYTES);
            for (int k = 0; k < n; k++) {
                int o = srcOffset + (b0 + k) * QK;
                int qo = importanceOffset + (b0 + k) * QK;
                if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                    IQ4_NLScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) (b0 + k) * BLOCK_BYTES,
                            w);
                }
            }
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        IQ4Decode.decodeNl(src, srcOffset, blocks, dst, dstOffset);
    }
}
