package io.weightcast.formats.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Every element storage type weightcast knows, across both file formats: the safetensors dtypes and the ggml
 * types. One table so that the engine can pair any source with any target without translating between enums.
 *
 * <p>Each type stores {@link #blockSize()} elements in {@link #blockBytes()} bytes. Plain types have a block of
 * one element; ggml's quantized types have blocks of 32 or 256; sub-byte safetensors types (F4, F6) pack a few
 * elements into whole bytes. A tensor's rows (innermost dimension) must be a whole number of blocks for ggml
 * types; safetensors sub-byte types only need the total to be.
 */
public enum DType {
    // ---- plain types, shared by both formats where ggml has them ------------------------------------------
    F64("F64", 28, "f64", 1, 8),
    F32("F32", 0, "f32", 1, 4),
    F16("F16", 1, "f16", 1, 2),
    BF16("BF16", 30, "bf16", 1, 2),
    I64("I64", 27, "i64", 1, 8),
    I32("I32", 26, "i32", 1, 4),
    I16("I16", 25, "i16", 1, 2),
    I8("I8", 24, "i8", 1, 1),
    // ---- safetensors only -----------------------------------------------------------------------------------
    U64("U64", -1, null, 1, 8),
    U32("U32", -1, null, 1, 4),
    U16("U16", -1, null, 1, 2),
    U8("U8", -1, null, 1, 1),
    BOOL("BOOL", -1, null, 1, 1),
    F8_E4M3("F8_E4M3", -1, null, 1, 1),
    F8_E5M2("F8_E5M2", -1, null, 1, 1),
    F8_E8M0("F8_E8M0", -1, null, 1, 1),
    /** float8_e4m3fnuz (AMD): no infinities, one NaN, no negative zero. */
    F8_E4M3FNUZ("F8_E4M3FNUZ", -1, null, 1, 1),
    /** float8_e5m2fnuz (AMD): no infinities, one NaN, no negative zero. */
    F8_E5M2FNUZ("F8_E5M2FNUZ", -1, null, 1, 1),
    /** complex64: two little-endian f32 (real, imaginary) per element. */
    C64("C64", -1, null, 1, 8),
    /** float4_e2m1, two elements per byte. */
    F4("F4", -1, null, 2, 1),
    /** float6_e2m3, four elements in three bytes. */
    F6_E2M3("F6_E2M3", -1, null, 4, 3),
    /** float6_e3m2, four elements in three bytes. */
    F6_E3M2("F6_E3M2", -1, null, 4, 3),
    // ---- ggml block types (ids from ggml.h; sizes are sizeof(block_*)) --------------------------------------
    Q4_0(null, 2, "q4_0", 32, 18),
    Q4_1(null, 3, "q4_1", 32, 20),
    Q5_0(null, 6, "q5_0", 32, 22),
    Q5_1(null, 7, "q5_1", 32, 24),
    Q8_0(null, 8, "q8_0", 32, 34),
    Q8_1(null, 9, "q8_1", 32, 36),
    Q2_K(null, 10, "q2_K", 256, 84),
    Q3_K(null, 11, "q3_K", 256, 110),
    Q4_K(null, 12, "q4_K", 256, 144),
    Q5_K(null, 13, "q5_K", 256, 176),
    Q6_K(null, 14, "q6_K", 256, 210),
    Q8_K(null, 15, "q8_K", 256, 292),
    IQ2_XXS(null, 16, "iq2_xxs", 256, 66),
    IQ2_XS(null, 17, "iq2_xs", 256, 74),
    IQ3_XXS(null, 18, "iq3_xxs", 256, 98),
    IQ1_S(null, 19, "iq1_s", 256, 50),
    IQ4_NL(null, 20, "iq4_nl", 32, 18),
    IQ3_S(null, 21, "iq3_s", 256, 110),
    IQ2_S(null, 22, "iq2_s", 256, 82),
    IQ4_XS(null, 23, "iq4_xs", 256, 136),
    IQ1_M(null, 29, "iq1_m", 256, 56),
    TQ1_0(null, 34, "tq1_0", 256, 54),
    TQ2_0(null, 35, "tq2_0", 256, 66),
    MXFP4(null, 39, "mxfp4", 32, 17),
    NVFP4(null, 40, "nvfp4", 64, 36),
    Q1_0(null, 41, "q1_0", 128, 18),
    Q2_0(null, 42, "q2_0", 64, 18);

    /** ggml's GGML_TYPE_COUNT in the peer build (llama.cpp 0ad4a86): ids at or above it are unknown. */
    public static final int GGML_TYPE_COUNT = 43;

    private static final DType[] BY_GGML_ID = new DType[GGML_TYPE_COUNT];

    static {
        for (DType t : values()) {
            if (t.ggmlId >= 0) {
                BY_GGML_ID[t.ggmlId] = t;
            }
        }
    }

    private final String safetensorsName;
    private final int ggmlId;
    private final String ggmlName;
    private final int blockSize;
    private final int blockBytes;

    DType(String safetensorsName, int ggmlId, String ggmlName, int blockSize, int blockBytes) {
        this.safetensorsName = safetensorsName;
        this.ggmlId = ggmlId;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The dtype string in a safetensors header, or empty when safetensors cannot store this type. */
    public Optional<String> safetensorsName() {
        return Optional.ofNullable(safetensorsName);
    }

    /** ggml's type id (the value in a GGUF tensor info), or -1 when GGUF cannot store this type. */
    public int ggmlId() {
        return ggmlId;
    }

    /** ggml's own lower-case name (e.g. {@code q4_K}), or empty when GGUF cannot store this type. */
    public Optional<String> ggmlName() {
        return Optional.ofNullable(ggmlName);
    }

    public boolean isGgml() {
        return ggmlId >= 0;
    }

    public boolean isSafetensors() {
        return safetensorsName != null;
    }

    /** Elements per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** True for ggml's block-quantized types (block size above one element and not a sub-byte float). */
    public boolean isQuantized() {
        return isGgml() && blockSize > 1;
    }

    /** True for types whose elements are floating point values of one to eight bytes (F64…F8). */
    public boolean isPlainFloat() {
        return switch (this) {
            case F64, F32, F16, BF16, F8_E4M3, F8_E5M2 -> true;
            default -> false;
        };
    }

    /** Bits per weight of this type, e.g. 8.5 for Q8_0. */
    public double bitsPerWeight() {
        return blockBytes * 8.0 / blockSize;
    }

    /**
     * Bytes taken by {@code elements} elements.
     *
     * @throws IllegalArgumentException when the count is not a whole number of blocks
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    elements + " elements are not a whole number of " + name() + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The type with this ggml id, or empty for unknown and removed ids (4, 5, 31–33, 36–38). */
    public static Optional<DType> fromGgmlId(int id) {
        return id >= 0 && id < GGML_TYPE_COUNT ? Optional.ofNullable(BY_GGML_ID[id]) : Optional.empty();
    }

    /** The type with this safetensors dtype string (exact, as in the header), or empty. */
    public static Optional<DType> fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (name.equals(t.safetensorsName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Parses a user-supplied type name in any case: {@code q8_0}, {@code Q8_0}, {@code bf16}, {@code F8_E4M3}. */
    public static Optional<DType> parse(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        for (DType t : values()) {
            if (t.name().equals(upper)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The name to show users: ggml's name for GGUF types (upper case), the safetensors name otherwise. */
    public String displayName() {
        return name();
    }
}
