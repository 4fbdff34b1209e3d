package io.weightcast.core.codec;

/** bfloat16 conversions as ggml's {@code ggml_compute_fp32_to_bf16} / {@code _bf16_to_fp32} (gguf.md §3.0.6). */
public final class Bf16 {

    private Bf16() {}

    /** fp32 → bf16: NaN → {@code (bits>>>16)|0x40} (quieted), else round to nearest even; no subnormal flush. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** bf16 bits → fp32: the bits shifted into the top half. */
    public static float toFloat(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
