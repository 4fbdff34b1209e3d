package io.weightcast.core.codec.vector;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.scalar.F32Scalar;
import io.weightcast.formats.tensor.DType;

/**
 * Entry point to the Vector API kernels. Loaded (by name, through a method handle) only when the module
 * {@code jdk.incubator.vector} is in the boot layer; see {@code KernelProvider}. Everything else in this package is
 * package-private.
 */
public final class VectorCodecs {

    private VectorCodecs() {}

    /** Whether this CPU's preferred vector shape suits the kernels (8 or 16 float lanes). */
    public static boolean usable() {
        return VectorSpecs.SUPPORTED;
    }

    /** A short description of the species used, for the log and bug reports. */
    public static String describe() {
        return VectorSpecs.F.toString();
    }

    /**
     * The vector codec for a type, or null when no vector kernel exists for it. F32 is a bulk little-endian copy in
     * both implementations, so it returns the scalar codec.
     */
    public static Codec create(DType type) {
        if (!VectorSpecs.SUPPORTED) {
            return null;
        }
        return switch (type) {
            case F32 -> new F32Scalar();
            case F16 -> new F16Vector();
            case BF16 -> new Bf16Vector();
            case F8_E4M3 -> new F8Vector(DType.F8_E4M3);
            case F8_E5M2 -> new F8Vector(DType.F8_E5M2);
            case Q8_0 -> new Q8_0Vector();
            case Q4_0 -> new Q4_0Vector();
            case Q4_1 -> new Q4_1Vector();
            case Q5_0 -> new Q5_0Vector();
            case Q5_1 -> new Q5_1Vector();
            case Q2_K -> new Q2_KVector();
            case Q4_K -> new Q4_KVector();
            case Q5_K -> new Q5_KVector();
            case Q8_K -> new Q8_KVector();
            case TQ1_0 -> new TQ1_0Vector();
            case TQ2_0 -> new TQ2_0Vector();
            case MXFP4 -> new MXFP4Vector();
            case Q6_K -> new Q6_KVector();
            case Q3_K -> new Q3_KVector();
            case IQ4_NL -> new IQ4_NLVector();
            case IQ4_XS -> new IQ4_XSVector();
            default -> null;
        };
    }
}
