package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.IQ4_XSScalar;
import io.weightcast.core.codec.scalar.Iq4Math;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * IQ4_XS with the Vector API, byte-identical to {@link IQ4_XSScalar}: one 32-element sub-block per lane (L/8
 * super-blocks per group; an odd last super-block is padded with zero sub-blocks) for the scale search and the
 * re-pick; the super-block scale and the six-bit sub-scales are the scalar code
 * ({@link IQ4_XSScalar#scalesAndHeader}).
 */
final class IQ4_XSVector extends WeightedBlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 136;

    IQ4_XSVector() {
        super(DType.IQ4_XS, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        int per = L / 8; // super-blocks per group of L sub-blocks
        IQ4_XSScalar.Scratch[] s = new IQ4_XSScalar.Scratch[per];
        for (int i = 0; i < per; i++) {
            s[i] = new IQ4_XSScalar.Scratch();
        }
        float[] xt = new float[32 * L];
        float[] wt = new float[32 * L];
        int[] lt = new int[32 * L];
        float[] scales = new float[L];
        float[] idl = new float[L];
        for (int b0 = 0; b0 < blocks; b0 += per) {
            int n = Math.min(per, blocks - b0);
            for (int sb = 0; sb < per; sb++) {
                if (sb >= n) {
                    for (int k = 8 * sb; k < 8 * sb + 8; k++) {
                        for (int j = 0; j < 32; j++) {
                            xt[j * L + k] = 0;
                            wt[j * L + k] = 0;
                        }
                    }
                    continue;
                }
                int o = srcOffset + (b0 + sb) * QK;
                float sigma2 = Iq4Math.sigma2(src, o, QK);
                float[] w = s[sb].weight;
                Iq4Math.weights(src, o, QK, importance, importanceOffset + (b0 + sb) * QK, sigma2, w, 0);
                for (int ib = 0; ib < 8; ib++) {
                    int k = 8 * sb + ib;
                    for (int j = 0; j < 32; j++) {
                        xt[j * L + k] = src[o + 32 * ib + j];
                        wt[j * L + k] = w[32 * ib + j];
                    }
                }
            }
            KQuantLanes.iq4Search(xt, wt).intoArray(scales, 0);
            for (int sb = 0; sb < n; sb++) {
                System.arraycopy(scales, 8 * sb, s[sb].scales, 0, 8);
                IQ4_XSScalar.scalesAndHeader(s[sb]);
                System.arraycopy(s[sb].idl, 0, idl, 8 * sb, 8);
            }
            KQuantLanes.iq4Repick(xt, FloatVector.fromArray(F, idl, 0), lt);
            for (int sb = 0; sb < n; sb++) {
                byte[] out = s[sb].out;
                for (int ib = 0; ib < 8; ib++) {
                    int k = 8 * sb + ib;
                    for (int j = 0; j < 16; j++) {
                        out[8 + 16 * ib + j] = (byte) (lt[j * L + k] | (lt[(j + 16) * L + k] << 4));
                    }
                }
                MemorySegment.copy(out, 0, dst, BYTE, dstOffset + (long) (b0 + sb) * BLOCK_BYTES, BLOCK_BYTES);
                int o = srcOffset + (b0 + sb) * QK;
                int qo = importanceOffset + (b0 + sb) * QK;
                if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                    IQ4_XSScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) (b0 + sb) * BLOCK_BYTES,
                            s[sb]);
                }
            }
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        IQ4Decode.decodeXs(src, srcOffset, blocks, dst, dstOffset);
    }
}
