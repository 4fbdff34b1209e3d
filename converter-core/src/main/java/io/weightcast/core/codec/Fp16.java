package io.weightcast.core.codec;

/**
 * IEEE binary16 conversions as ggml does them (gguf.md §3.0.1): fp32→fp16 is round-to-nearest-even with
 * overflow to ±inf and subnormals kept, and every NaN becomes {@code sign|0x7E00}; fp16→fp32 is exact, NaNs
 * come back quiet with their payload ({@code sign|0x7FC00000|mant<<13}, what x86's {@code vcvtph2ps} and ggml's
 * bit trick give).
 */
public final class Fp16 {

    private Fp16() {}

    /** fp32 → fp16 bits (in the low 16 bits of the result's short). */
    public static short fromFloat(float f) {
        short h = Float.floatToFloat16(f);
        if (f != f) {
            return (short) ((h & 0x8000) | 0x7E00);
        }
        return h;
    }

    /** fp16 bits → fp32, exact. */
    public static float toFloat(short h) {
        int bits = h & 0xFFFF;
        if ((bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0) {
            return Float.intBitsToFloat(((bits & 0x8000) << 16) | 0x7FC00000 | ((bits & 0x03FF) << 13));
        }
        return Float.float16ToFloat(h);
    }
}
