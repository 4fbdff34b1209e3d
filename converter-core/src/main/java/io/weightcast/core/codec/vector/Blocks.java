package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** Per-block reductions shared by the kernels; every one is order-independent, so lane order does not matter. */
final class Blocks {

    private Blocks() {}

    /**
     * ggml's {@code max} of Q4_0/Q5_0: the signed value with the largest |x|, the first one on ties, and +0.0
     * for an all-zero block (ggml starts from {@code max = 0.0f} and only replaces it on a strict {@code <}).
     * Returns NaN when the block holds NaN or ±inf (the caller then runs the scalar code).
     */
    static float signedAbsMax(float[] x, int o, int n) {
        IntVector mx = IntVector.zero(I);
        for (int c = 0; c < n; c += L) {
            mx = mx.max(FloatVector.fromArray(F, x, o + c).reinterpretAsInts().and(0x7FFFFFFF));
        }
        int amaxBits = mx.reduceLanes(VectorOperators.MAX);
        if (amaxBits >= 0x7F800000) {
            return Float.NaN;
        }
        if (amaxBits == 0) {
            return 0.0f;
        }
        for (int c = 0; c < n; c += L) {
            VectorMask<Integer> m = FloatVector.fromArray(F, x, o + c).reinterpretAsInts().and(0x7FFFFFFF)
                    .compare(VectorOperators.EQ, amaxBits);
            if (m.anyTrue()) {
                return x[o + c + m.firstTrue()];
            }
        }
        throw new AssertionError("unreachable");
    }

    /** Maps float bits to ints that order like the floats (−0 below +0; NaNs beyond ±inf); its own inverse. */
    static IntVector sortable(IntVector bits) {
        return bits.lanewise(VectorOperators.ASHR, 31).and(0x7FFFFFFF).lanewise(VectorOperators.XOR, bits);
    }

    static int sortable(int bits) {
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /**
     * min and max of a block as a pair of float bit patterns ({@code (long) maxBits << 32 | minBits}). The caller
     * must send blocks where either is zero, NaN or infinite to the scalar code: ggml's strict compares keep the
     * first of +0/−0 (here −0 sorts lower), skip NaN, and start from ±FLT_MAX.
     */
    static long minMaxBits(float[] x, int o, int n) {
        IntVector mn = IntVector.broadcast(I, Integer.MAX_VALUE);
        IntVector mx = IntVector.broadcast(I, Integer.MIN_VALUE);
        for (int c = 0; c < n; c += L) {
            IntVector s = sortable(FloatVector.fromArray(F, x, o + c).reinterpretAsInts());
            mn = mn.min(s);
            mx = mx.max(s);
        }
        int minBits = sortable(mn.reduceLanes(VectorOperators.MIN));
        int maxBits = sortable(mx.reduceLanes(VectorOperators.MAX));
        return ((long) maxBits << 32) | (minBits & 0xFFFFFFFFL);
    }

    /** Whether a min or max from {@link #minMaxBits} needs the scalar code (zero of either sign, NaN, inf). */
    static boolean awkward(float v) {
        return v == 0.0f || !Float.isFinite(v);
    }

    /** Whether {@code x[o..o+n)} holds no NaN and no ±inf ({@code n} a multiple of the lane count). */
    static boolean allFinite(float[] x, int o, int n) {
        for (int c = 0; c < n; c += L) {
            if (FloatVector.fromArray(F, x, o + c).reinterpretAsInts().and(0x7F800000)
                    .compare(VectorOperators.EQ, 0x7F800000).anyTrue()) {
                return false;
            }
        }
        return true;
    }
}
