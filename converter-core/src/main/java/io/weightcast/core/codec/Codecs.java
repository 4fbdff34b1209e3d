package io.weightcast.core.codec;

import io.weightcast.core.codec.scalar.Bf16Scalar;
import io.weightcast.core.codec.scalar.F16Scalar;
import io.weightcast.core.codec.scalar.F32Scalar;
import io.weightcast.core.codec.scalar.F8E4M3Scalar;
import io.weightcast.core.codec.scalar.F8E5M2Scalar;
import io.weightcast.core.codec.scalar.IqGridScalar;
import io.weightcast.core.codec.scalar.MXFP4Scalar;
import io.weightcast.core.codec.scalar.NVFP4Scalar;
import io.weightcast.core.codec.scalar.Q1_0Scalar;
import io.weightcast.core.codec.scalar.Q2_0Scalar;
import io.weightcast.core.codec.scalar.IQ4_NLScalar;
import io.weightcast.core.codec.scalar.IQ4_XSScalar;
import io.weightcast.core.codec.scalar.Q2_KScalar;
import io.weightcast.core.codec.scalar.Q3_KScalar;
import io.weightcast.core.codec.scalar.Q4_0Scalar;
import io.weightcast.core.codec.scalar.Q4_1Scalar;
import io.weightcast.core.codec.scalar.Q4_KScalar;
import io.weightcast.core.codec.scalar.Q5_0Scalar;
import io.weightcast.core.codec.scalar.Q5_1Scalar;
import io.weightcast.core.codec.scalar.Q5_KScalar;
import io.weightcast.core.codec.scalar.Q6_KScalar;
import io.weightcast.core.codec.scalar.Q8_0Scalar;
import io.weightcast.core.codec.scalar.Q8_KScalar;
import io.weightcast.core.codec.scalar.Q8_1Scalar;
import io.weightcast.core.codec.scalar.TQ1_0Scalar;
import io.weightcast.core.codec.scalar.TQ2_0Scalar;
import io.weightcast.formats.tensor.DType;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The codec registry. {@link #forType} is what the engine uses: the Vector API implementation when
 * {@link KernelProvider} selected it, else the scalar reference. {@link #scalar} and {@link #vector} give each
 * implementation explicitly, for tests that compare them and for the FFM conformance tests against ggml.
 * Codecs are stateless singletons.
 */
public final class Codecs {

    private Codecs() {}

    private static final Map<DType, Codec> SCALAR = new EnumMap<>(DType.class);
    private static final Map<DType, Codec> VECTOR = new EnumMap<>(DType.class);
    /** Types whose codec only decodes (its encode throws UnsupportedOperationException). */
    private static final Set<DType> DECODE_ONLY = EnumSet.noneOf(DType.class);

    static {
        for (Codec c : new Codec[] {
            new F32Scalar(), new F16Scalar(), new Bf16Scalar(), new F8E4M3Scalar(), new F8E5M2Scalar(),
            new Q8_0Scalar(), new Q4_0Scalar(), new Q4_1Scalar(), new Q5_0Scalar(), new Q5_1Scalar(),
            new Q2_KScalar(), new Q4_KScalar(), new Q5_KScalar(), new Q8_KScalar(),
            new Q6_KScalar(), new Q3_KScalar(), new IQ4_NLScalar(), new IQ4_XSScalar()
        }) {
            SCALAR.put(c.type(), c);
        }
        for (Codec c : new Codec[] {
            new Q8_1Scalar(), new TQ1_0Scalar(), new TQ2_0Scalar(), new MXFP4Scalar(), new NVFP4Scalar(),
            new Q1_0Scalar(), new Q2_0Scalar()
        }) {
            SCALAR.put(c.type(), c);
        }
        for (DType t : new DType[] {
            DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ3_XXS, DType.IQ3_S, DType.IQ1_S, DType.IQ1_M
        }) {
            SCALAR.put(t, new IqGridScalar(t));
            DECODE_ONLY.add(t);
        }
        for (DType t : SCALAR.keySet()) {
            KernelProvider.vector(t).ifPresent(c -> VECTOR.put(t, c));
        }
    }

    /**
     * The codec to use for a type in this JVM.
     *
     * @throws UnsupportedOperationException when weightcast has no codec for the type yet (the message names it)
     */
    public static Codec forType(DType type) {
        if (KernelProvider.selected() == KernelProvider.Implementation.VECTOR) {
            Codec v = VECTOR.get(type);
            if (v != null) {
                return v;
            }
        }
        return scalar(type);
    }

    /**
     * Whether {@link #forType} has a codec for this type, which at least decodes it (same as
     * {@link #canDecode}). Writers must ask {@link #canEncode}: some types (IQ2_XXS…IQ1_M) are read-only.
     */
    public static boolean supports(DType type) {
        return canDecode(type);
    }

    /** Whether weightcast can decode (read) this type. */
    public static boolean canDecode(DType type) {
        return SCALAR.containsKey(type);
    }

    /** Whether weightcast can encode (write) this type; false for read-only types such as IQ2_XXS. */
    public static boolean canEncode(DType type) {
        return SCALAR.containsKey(type) && !DECODE_ONLY.contains(type);
    }

    /** Every type with a codec (decodable; see {@link #canEncode} for writing). */
    public static Set<DType> supportedTypes() {
        return Collections.unmodifiableSet(EnumSet.copyOf(SCALAR.keySet()));
    }

    /**
     * The scalar reference codec (a plain copy of ggml's reference C), whatever {@link KernelProvider} chose.
     *
     * @throws UnsupportedOperationException for types without a codec
     */
    public static Codec scalar(DType type) {
        Codec c = SCALAR.get(type);
        if (c == null) {
            throw unsupported(type);
        }
        return c;
    }

    /**
     * The Vector API codec, or empty when the module {@code jdk.incubator.vector} is absent (or the CPU's vector
     * shape is unsupported). For F32, whose codec is a bulk copy in both implementations, it is the scalar codec.
     *
     * @throws UnsupportedOperationException for types without a codec
     */
    public static Optional<Codec> vector(DType type) {
        if (!SCALAR.containsKey(type)) {
            throw unsupported(type);
        }
        return Optional.ofNullable(VECTOR.get(type));
    }

    private static UnsupportedOperationException unsupported(DType type) {
        return new UnsupportedOperationException("no codec for " + type.displayName() + " yet; supported: "
                + SCALAR.keySet());
    }
}
