package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * MXFP4 reference, a copy of ggml's {@code quantize_row_mxfp4_ref} / {@code dequantize_row_mxfp4}: block
 * {@code { u8 e; u8 qs[16]; }}, 32 elements, nibble order as Q4_0 (element j low nibble of {@code qs[j]}, j+16
 * high). Codes are E2M1 stored doubled ({@link #KVALUES}); the scale is {@code d = 2^(e−128)}
 * ({@code GGML_E8M0_TO_FP32_HALF}). Encode: {@code e = (uint8)(floorf(log2f(amax)) − 2 + 127)} (0 for amax 0;
 * the cast as x86-64 compiles it), each code by {@link #bestIndex} (first minimum of {@code |k·d − x|}).
 *
 * <p>{@code log2f} is glibc's; it equals {@code (float) log2((double) x)} in floor for every positive finite float
 * (gguf.md §3.0.5; {@link #floorLog2f} computes that, and a one-off run checked it against glibc's {@code log2f}
 * over all positive finite floats).
 */
public final class MXFP4Scalar extends BlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 17;
    /** {@code kvalues_mxfp4}: E2M1 values times 2, index bit 3 = sign. */
    public static final int[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private static final double LN2 = 0.6931471805599453;

    /**
     * Per biased float exponent E (1..254): the smallest bit pattern in that binade whose {@link #floorLog2f} is
     * one more than the binary exponent (values just below the next power of two, where the float log2 rounds up
     * to an integer), or {@code Integer.MAX_VALUE} when there is none. Derived from {@link #floorLog2f} itself by
     * bisection, so {@link #exponentFast} equals {@link #exponent} wherever {@code floorLog2f} is monotonic within
     * a binade (checked for every normal float by the one-off exhaustive run).
     */
    private static final int[] UP_FROM = new int[256];

    static {
        UP_FROM[0] = Integer.MAX_VALUE;
        UP_FROM[255] = Integer.MAX_VALUE;
        for (int e = 1; e < 255; e++) {
            int lo = e << 23;
            int hi = lo | 0x7FFFFF;
            float k = e - 127;
            if (floorLog2f(Float.intBitsToFloat(hi)) == k) {
                UP_FROM[e] = Integer.MAX_VALUE;
                continue;
            }
            while (lo < hi) { // invariant: floorLog2f(hi) > k
                int mid = (lo + hi) >>> 1;
                if (floorLog2f(Float.intBitsToFloat(mid)) > k) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            UP_FROM[e] = lo;
        }
    }

    public MXFP4Scalar() {
        super(DType.MXFP4, "scalar");
    }

    /**
     * {@code floorf(log2f(x))} for a positive finite float, as {@code floor((float) log2((double) x))}: log2 in
     * double from the binary exponent plus {@code StrictMath.log} of the mantissa reduced to [√½, √2), so that the
     * fraction is accurate near integers, where rounding to float decides the floor.
     */
    public static float floorLog2f(float x) {
        double v = x;
        int k = Math.getExponent(v);
        double m = v / Math.scalb(1.0, k);
        if (m > 1.4142135623730951) {
            m *= 0.5;
            k++;
        }
        double l2 = k + StrictMath.log(m) / LN2;
        return (float) Math.floor((float) l2);
    }

    /** The E8M0 byte for a block's amax (0 for 0; inf gives 0, as the x86 cast of +inf does). */
    public static int exponent(float amax) {
        if (!(amax > 0.0f)) {
            return 0;
        }
        float f = amax == Float.POSITIVE_INFINITY ? amax : floorLog2f(amax);
        return GgmlRounding.toUint8(f - 2 + 127);
    }

    /**
     * {@link #exponent} with a table lookup instead of a logarithm for normal floats (the vector kernel uses it);
     * other values take {@link #exponent}.
     */
    public static int exponentFast(float amax) {
        int bits = Float.floatToRawIntBits(amax);
        if (bits < 0x00800000 || bits > 0x7F7FFFFF) {
            return exponent(amax);
        }
        int e = bits >>> 23;
        int f = e - 127 + (bits >= UP_FROM[e] ? 1 : 0);
        return (f - 2 + 127) & 0xFF;
    }

    /** {@code GGML_E8M0_TO_FP32_HALF(e)} = 2^(e−128), subnormal for e < 2. */
    public static float e8m0Half(int e) {
        int bits = e < 2 ? 0x00200000 << e : (e - 1) << 23;
        return Float.intBitsToFloat(bits);
    }

    /** {@code best_index_mxfp4(x, d)}: the first index of the smallest {@code |kvalues[i]·d − x|}. */
    public static int bestIndex(float x, float d) {
        int best = 0;
        float bestErr = Math.abs(KVALUES[0] * d - x);
        for (int i = 1; i < 16; i++) {
            float err = Math.abs(KVALUES[i] * d - x);
            if (err < bestErr) {
                best = i;
                bestErr = err;
            }
        }
        return best;
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float a = Math.abs(x[o + j]);
            if (amax < a) {
                amax = a;
            }
        }
        int e = exponent(amax);
        float d = e8m0Half(e);
        y.set(BYTE, p, (byte) e);
        for (int j = 0; j < QK / 2; ++j) {
            int x0 = bestIndex(x[o + j], d);
            int x1 = bestIndex(x[o + QK / 2 + j], d);
            y.set(BYTE, p + 1 + j, (byte) (x0 | (x1 << 4)));
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = e8m0Half(x.get(BYTE, p) & 0xFF);
        for (int j = 0; j < QK / 2; ++j) {
            int q = x.get(BYTE, p + 1 + j) & 0xFF;
            y[o + j] = KVALUES[q & 0x0F] * d;
            y[o + j + QK / 2] = KVALUES[q >>> 4] * d;
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK);
        }
    }
}
