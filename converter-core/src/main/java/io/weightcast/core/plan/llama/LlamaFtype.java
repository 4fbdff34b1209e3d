package io.weightcast.core.plan.llama;

import io.weightcast.formats.tensor.DType;
import java.util.Locale;
import java.util.Optional;

/**
 * llama.cpp's {@code llama_ftype}: what {@code llama-quantize TYPE} asks for and what {@code general.file_type}
 * records. Each ftype has a default tensor type ({@code llama_ftype_get_default_type}); the mixtures (_S/_M/_L)
 * differ only in {@link LlamaQuantizeRules}'s per-tensor schedule. Ids are llama.h's, not ggml's {@code ggml_ftype}.
 */
public enum LlamaFtype {
    F32(0, DType.F32, "26.00G              @ 7B"),
    F16(1, DType.F16, "14.00G, +0.0020 ppl @ Mistral-7B"),
    Q4_0(2, DType.Q4_0, " 4.34G, +0.4685 ppl @ Llama-3-8B"),
    Q4_1(3, DType.Q4_1, " 4.78G, +0.4511 ppl @ Llama-3-8B"),
    Q8_0(7, DType.Q8_0, " 7.96G, +0.0026 ppl @ Llama-3-8B"),
    Q5_0(8, DType.Q5_0, " 5.21G, +0.1316 ppl @ Llama-3-8B"),
    Q5_1(9, DType.Q5_1, " 5.65G, +0.1062 ppl @ Llama-3-8B"),
    Q2_K(10, DType.Q2_K, " 2.96G, +3.5199 ppl @ Llama-3-8B"),
    Q3_K_S(11, DType.Q3_K, " 3.41G, +1.6321 ppl @ Llama-3-8B"),
    Q3_K_M(12, DType.Q3_K, " 3.74G, +0.6569 ppl @ Llama-3-8B"),
    Q3_K_L(13, DType.Q3_K, " 4.03G, +0.5562 ppl @ Llama-3-8B"),
    Q4_K_S(14, DType.Q4_K, " 4.37G, +0.2689 ppl @ Llama-3-8B"),
    Q4_K_M(15, DType.Q4_K, " 4.58G, +0.1754 ppl @ Llama-3-8B"),
    Q5_K_S(16, DType.Q5_K, " 5.21G, +0.1049 ppl @ Llama-3-8B"),
    Q5_K_M(17, DType.Q5_K, " 5.33G, +0.0569 ppl @ Llama-3-8B"),
    Q6_K(18, DType.Q6_K, " 6.14G, +0.0217 ppl @ Llama-3-8B"),
    IQ2_XXS(19, DType.IQ2_XXS, " 2.06 bpw quantization (needs an imatrix)"),
    IQ2_XS(20, DType.IQ2_XS, " 2.31 bpw quantization (needs an imatrix)"),
    Q2_K_S(21, DType.Q2_K, " 2.96G, +3.1836 ppl @ Llama-3-8B (needs an imatrix)"),
    IQ3_XS(22, DType.IQ3_S, " 3.3 bpw quantization"),
    IQ3_XXS(23, DType.IQ3_XXS, " 3.06 bpw quantization (needs an imatrix)"),
    IQ1_S(24, DType.IQ1_S, " 1.56 bpw quantization (needs an imatrix)"),
    IQ4_NL(25, DType.IQ4_NL, " 4.50 bpw non-linear quantization"),
    IQ3_S(26, DType.IQ3_S, " 3.44 bpw quantization"),
    IQ3_M(27, DType.IQ3_S, " 3.66 bpw quantization mix"),
    IQ2_S(28, DType.IQ2_XS, " 2.5  bpw quantization"),
    IQ2_M(29, DType.IQ2_S, " 2.7  bpw quantization"),
    IQ4_XS(30, DType.IQ4_XS, " 4.25 bpw non-linear quantization"),
    IQ1_M(31, DType.IQ1_M, " 1.75 bpw quantization (needs an imatrix)"),
    BF16(32, DType.BF16, "14.00G, -0.0050 ppl @ Mistral-7B"),
    TQ1_0(36, DType.TQ1_0, " 1.69 bpw ternarization"),
    TQ2_0(37, DType.TQ2_0, " 2.06 bpw ternarization"),
    MXFP4_MOE(38, DType.MXFP4, " MXFP4 for MoE experts, Q8_0 elsewhere");

    private final int id;
    private final DType defaultType;
    private final String description;

    LlamaFtype(int id, DType defaultType, String description) {
        this.id = id;
        this.defaultType = defaultType;
        this.description = description;
    }

    /** The value written to {@code general.file_type}. */
    public int id() {
        return id;
    }

    /** {@code llama_ftype_get_default_type}: the type every quantizable tensor starts from. */
    public DType defaultType() {
        return defaultType;
    }

    /** llama-quantize's one-line description (size and perplexity delta on its reference model). */
    public String description() {
        return description;
    }

    /** Bits per weight of the default type. */
    public double bitsPerWeight() {
        return 8.0 * defaultType.blockBytes() / defaultType.blockSize();
    }

    /**
     * Parses a type as llama-quantize does: a name in any case (including the aliases Q3_K, Q4_K, Q5_K for the
     * _M mixtures) or its numeric id.
     */
    public static Optional<LlamaFtype> parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        switch (s) {
            case "Q3_K" -> {
                return Optional.of(Q3_K_M);
            }
            case "Q4_K" -> {
                return Optional.of(Q4_K_M);
            }
            case "Q5_K" -> {
                return Optional.of(Q5_K_M);
            }
            default -> {
            }
        }
        for (LlamaFtype f : values()) {
            if (f.name().equals(s)) {
                return Optional.of(f);
            }
        }
        try {
            int n = Integer.parseInt(s);
            return byId(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static Optional<LlamaFtype> byId(int id) {
        for (LlamaFtype f : values()) {
            if (f.id == id) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The ftype llama.cpp records for a file whose weights are {@code type} (the non-mixture ftypes). */
    public static Optional<LlamaFtype> forType(DType type) {
        for (LlamaFtype f : values()) {
            if (f.defaultType == type && !f.name().endsWith("_S") && !f.name().endsWith("_L")
                    && f != MXFP4_MOE && f != IQ3_XS && f != IQ3_M && f != IQ2_S && f != IQ2_M) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
