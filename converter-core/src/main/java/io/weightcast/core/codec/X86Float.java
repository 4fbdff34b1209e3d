package io.weightcast.core.codec;

/**
 * Float products whose NaN bits do not depend on the JIT. Java leaves the bits of a NaN result unspecified; on x86
 * the hardware returns the first NaN operand (quietened), but C2 may swap the operands of a commutative multiply, so
 * the same decoder gave 0xFFC00000 in one compiled loop and 0x7FC00000 for the same element in another when both
 * operands were NaN (an FP8 NaN code times a NaN scale). These helpers apply x86's rule to the operands as written:
 * the first NaN operand, quietened; 0xFFC00000 (x86's default NaN) for an invalid product such as 0 × inf. The GPU
 * kernels' {@code wc_mul} / {@code wc_hd_mul} follow the same rule.
 */
public final class X86Float {
    private static final int QUIET = 0x00400000;
    private static final float DEFAULT_NAN = Float.intBitsToFloat(0xFFC00000);

    private X86Float() {
    }

    /** {@code a * b}, with x86's NaN result for the operands in this order. */
    public static float mul(float a, float b) {
        float r = a * b;
        return r == r ? r : nan(a, b);
    }

    private static float nan(float a, float b) {
        if (a != a) {
            return Float.intBitsToFloat(Float.floatToRawIntBits(a) | QUIET);
        }
        if (b != b) {
            return Float.intBitsToFloat(Float.floatToRawIntBits(b) | QUIET);
        }
        return DEFAULT_NAN;
    }
}
