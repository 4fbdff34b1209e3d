package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.Layouts;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * bnb 4-bit encoding with the Vector API. The decision trees of {@link Bnb#nf4}/{@link Bnb#fp4} compare against
 * midpoints of a sorted table, so a code is the number of midpoints the scaled value exceeds (strict {@code >},
 * same float constants): NF4's table is sorted by code; FP4's magnitudes are, through a small permutation.
 */
public final class Bnb4BitVector implements Bnb4BitKernel {
    private static final float[] NF4_MID = {
        -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
        -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
        0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
        0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};
    private static final float[] FP4_MID = {
        0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f};
    /** FP4 magnitude rank → code bits. */
    private static final int[] FP4_CODE = {0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011};

    public Bnb4BitVector() {
    }

    @Override
    public String implementation() {
        return "vector";
    }

    @Override
    public void quantize4(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax, int absOff,
            MemorySegment dst, long dstOffset) {
        int[] codes = new int[L];
        int i = 0;
        if (blocksize % L == 0) {
            int limit = (n / blocksize) * blocksize; // whole blocks; a partial last block goes to the scalar code
            for (; i + L <= limit; i += L) {
                float scale = 1f / Math.max(absmax[absOff + i / blocksize], 1e-38f);
                FloatVector s = FloatVector.fromArray(F, src, off + i).mul(scale).max(-1f).min(1f);
                IntVector code;
                if (nf4) {
                    code = IntVector.zero(VectorSpecs.I);
                    for (float m : NF4_MID) {
                        code = code.add(1, s.compare(VectorOperators.GT, m).cast(VectorSpecs.I));
                    }
                    code.intoArray(codes, 0);
                } else {
                    VectorMask<Float> neg = s.compare(VectorOperators.LT, 0f);
                    FloatVector a = s.abs();
                    code = IntVector.zero(VectorSpecs.I);
                    for (float m : FP4_MID) {
                        code = code.add(1, a.compare(VectorOperators.GT, m).cast(VectorSpecs.I));
                    }
                    code.intoArray(codes, 0);
                    boolean[] sign = new boolean[L];
                    neg.intoArray(sign, 0);
                    for (int k = 0; k < L; k++) {
                        codes[k] = FP4_CODE[codes[k]] | (sign[k] ? 8 : 0);
                    }
                }
                long base = dstOffset + i / 2;
                for (int k = 0; k < L; k += 2) {
                    dst.set(Layouts.BYTE, base + k / 2, (byte) ((codes[k] << 4) | codes[k + 1]));
                }
            }
        }
        if (i < n) {
            Bnb.quantize4(nf4, src, off + i, n - i, blocksize, shift(absmax, absOff, i, blocksize), 0, dst,
                    dstOffset + i / 2);
        }
    }

    /** The absmax array seen from element {@code i} on (i is a multiple of the block size here, or 0). */
    private static float[] shift(float[] absmax, int absOff, int i, int blocksize) {
        int first = absOff + i / blocksize;
        float[] out = new float[absmax.length - first];
        System.arraycopy(absmax, first, out, 0, out.length);
        return out;
    }
}
