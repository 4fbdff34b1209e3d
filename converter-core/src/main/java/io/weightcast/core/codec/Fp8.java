package io.weightcast.core.codec;

/**
 * The two OCP 8-bit floats of safetensors, encoded the way every PyTorch quantizer does it: clamp to the
 * finite range, then cast with round-to-nearest-even (hf-formats.md §4.1; torch's cast alone does not
 * saturate).
 *
 * <ul>
 *   <li>{@code F8_E4M3} = torch {@code float8_e4m3fn}: bias 7, no infinities, max 448 (0x7E), NaN 0x7F|sign. ±inf
 *       and |x| > 448 become ±448; NaN stays NaN.</li>
 *   <li>{@code F8_E5M2} = torch {@code float8_e5m2}: the top byte of an fp16, max 57344 (0x7B). ±inf and
 *       |x| > 57344 become ±57344; NaN becomes 0x7F|sign.</li>
 * </ul>
 */
public final class Fp8 {

    private Fp8() {}

    public static final float E4M3_MAX = 448f;
    public static final float E5M2_MAX = 57344f;

    private static final float[] E4M3_TO_FLOAT = new float[256];
    private static final float[] E5M2_TO_FLOAT = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3_TO_FLOAT[b] = e4m3Compute(b);
            E5M2_TO_FLOAT[b] = Fp16.toFloat((short) (b << 8));
        }
    }

    /** fp32 → e4m3fn byte (saturating, RNE). */
    public static byte e4m3FromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 24) & 0x80;
        int a = bits & 0x7FFFFFFF;
        if (a > 0x7F800000) {
            return (byte) (sign | 0x7F);
        }
        a = Math.min(a, 0x43E00000); // 448f; the bit patterns of non-negative floats order like ints
        int code;
        if (a < 0x3C800000) { // below 2^-6: subnormal, step 2^-9
            code = (int) Math.rint(Float.intBitsToFloat(a) * 512f);
        } else {
            int r = a + 0x7FFFF + ((a >>> 20) & 1);
            code = (r >>> 20) - ((127 - 7) << 3);
        }
        return (byte) (sign | code);
    }

    /** fp32 → e5m2 byte (saturating, RNE). */
    public static byte e5m2FromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 24) & 0x80;
        int a = bits & 0x7FFFFFFF;
        if (a > 0x7F800000) {
            return (byte) (sign | 0x7F);
        }
        a = Math.min(a, 0x47600000); // 57344f
        int code;
        if (a < 0x38800000) { // below 2^-14: subnormal, step 2^-16
            code = (int) Math.rint(Float.intBitsToFloat(a) * 65536f);
        } else {
            int r = a + 0xFFFFF + ((a >>> 21) & 1);
            code = (r >>> 21) - ((127 - 15) << 2);
        }
        return (byte) (sign | code);
    }

    public static float e4m3ToFloat(byte b) {
        return E4M3_TO_FLOAT[b & 0xFF];
    }

    public static float e5m2ToFloat(byte b) {
        return E5M2_TO_FLOAT[b & 0xFF];
    }

    private static float e4m3Compute(int b) {
        int sign = (b & 0x80) << 24;
        int e = (b >>> 3) & 15;
        int m = b & 7;
        if ((b & 0x7F) == 0x7F) {
            return Float.intBitsToFloat(sign | 0x7FC00000);
        }
        if (e == 0) {
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(m * 0x1p-9f));
        }
        return Float.intBitsToFloat(sign | ((e + 120) << 23) | (m << 20));
    }
}
