package io.weightcast.core.codec;

/**
 * The float→integer conversions ggml's reference quantizers use, reproduced exactly (gguf.md §3.0.2–3.0.3).
 * Each one is a different function; use the one the C code uses.
 */
public final class GgmlRounding {

    private GgmlRounding() {}

    /**
     * C {@code roundf}: round half away from zero (Q8_0). Not {@link Math#round} (ties up) and not
     * {@code floor(|v| + 0.5f)} (wrong at 0.49999997f, where the float add rounds to 1.0). This is gguf-py's
     * {@code np_roundf} form; every step is exact. ±inf and NaN are returned unchanged, as by C.
     */
    public static float roundf(float v) {
        if (!Float.isFinite(v)) {
            return v;
        }
        float a = Math.abs(v);
        float fl = (float) Math.floor(a);
        float b = fl + (float) Math.floor(2.0f * (a - fl));
        return Math.copySign(b, v);
    }

    /** ggml's {@code GROUP_MAX_EPS}: (sub-)blocks whose largest |x| is below it are "all zero". */
    public static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * ggml's {@code nearest_int}: adds 1.5·2^23 and reads the low 23 mantissa bits. Round half to even for
     * |f| ≤ 4194303; outside that range (and for NaN/inf) it returns what the C code returns — garbage in
     * [-2^22, 2^22), which the callers then clamp — so it is reproduced bit for bit rather than replaced by
     * {@code rint}. The one scalar implementation every codec uses (the Vector API twin is
     * {@code vector.KQuantLanes.nearestInt}).
     */
    public static int nearestInt(float f) {
        return (Float.floatToRawIntBits(f + 12582912.0f) & 0x007FFFFF) - 0x00400000;
    }

    /**
     * A C float→integer cast as compiled for x86-64 ({@code cvttss2si}): truncation toward zero, and
     * {@code 0x80000000} for NaN and for values outside the int range (where Java's cast saturates instead).
     * ggml's {@code (int8_t)(x·id + 8.5f)} is this followed by keeping the low byte; the out-of-range case only
     * arises for degenerate blocks (e.g. a scale whose reciprocal overflows).
     */
    public static int cvttss2si(float f) {
        if (f >= 0x1p31f || f < -0x1p31f || f != f) {
            return Integer.MIN_VALUE;
        }
        return (int) f;
    }

    /** C's {@code (int8_t)(float)} on x86-64: {@link #cvttss2si} then the low byte, sign-extended. */
    public static int toInt8(float f) {
        return (byte) cvttss2si(f);
    }

    /** C's {@code (uint8_t)(float)} on x86-64: {@link #cvttss2si} then the low byte. */
    public static int toUint8(float f) {
        return cvttss2si(f) & 0xFF;
    }
}
