package io.weightcast.core.plan.llama;

import io.weightcast.formats.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * llama-quantize's per-tensor type selection ({@code llama-quant.cpp}: {@code tensor_allows_quantization},
 * {@code llama_tensor_get_type}, {@code llama_tensor_get_type_impl}, {@code tensor_type_fallback},
 * {@code tensor_requires_imatrix}), as pure functions of the tensor list, the model's hyper-parameters and the
 * options. The layer schedules (attn_v, ffn_down…) count tensors in processing order, so {@link #select} takes
 * the whole list in the order llama-quantize processes it ({@link #WEIGHT_ORDER}).
 */
public final class LlamaQuantizeRules {
    private LlamaQuantizeRules() {
    }

    /** What the rules decided for one tensor. */
    public record Decision(QuantTensor tensor, DType target, boolean allowsQuantization, boolean requiresImatrix,
                           boolean fellBack) {
        /** True when the bytes are re-encoded (the type changes). */
        public boolean quantize() {
            return target != tensor.type();
        }
    }

    enum Category {
        TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_OUTPUT,
        FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER;

        boolean isAttnV() {
            return this == ATTENTION_V || this == ATTENTION_QKV || this == ATTENTION_KV_B;
        }
    }

    /**
     * The order llama.cpp's model loader keeps weights in ({@code weight_name_comparer}): by the layer number of a
     * {@code blk.N.} prefix (tensors without one first), then by byte-wise name.
     */
    public static final Comparator<String> WEIGHT_ORDER = (a, b) -> {
        int la = layerOf(a);
        int lb = layerOf(b);
        if (la != lb) {
            return Integer.compare(la, lb);
        }
        return compareBytes(a, b);
    };

    /** {@code sscanf(name, "blk.%d.", &layer)}: the layer, or -1 when the name has no such prefix. */
    public static int layerOf(String name) {
        Integer l = parseLayer(name);
        return l == null ? -1 : l;
    }

    /** The {@code blk.N.} number, or null when sscanf would not match. */
    static Integer parseLayer(String name) {
        if (!name.startsWith("blk.")) {
            return null;
        }
        int i = 4;
        int n = name.length();
        while (i < n && Character.isWhitespace(name.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (name.charAt(i) == '-' || name.charAt(i) == '+')) {
            negative = name.charAt(i) == '-';
            i++;
        }
        int start = i;
        long v = 0;
        while (i < n && name.charAt(i) >= '0' && name.charAt(i) <= '9') {
            v = Math.min(v * 10 + (name.charAt(i) - '0'), Integer.MAX_VALUE);
            i++;
        }
        if (i == start) {
            return null;
        }
        return (int) (negative ? -v : v);
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static Category category(String name) {
        if (name.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (isTokenEmbd(name)) {
            return Category.TOKEN_EMBD;
        }
        if (name.contains("attn_qkv.weight")) {
            return Category.ATTENTION_QKV;
        }
        if (name.contains("attn_kv_b.weight")) {
            return Category.ATTENTION_KV_B;
        }
        if (name.contains("attn_v.weight")) {
            return Category.ATTENTION_V;
        }
        if (name.contains("attn_k.weight")) {
            return Category.ATTENTION_K;
        }
        if (name.contains("attn_q.weight")) {
            return Category.ATTENTION_Q;
        }
        if (name.contains("attn_output.weight")) {
            return Category.ATTENTION_OUTPUT;
        }
        if (name.contains("ffn_up")) {
            return Category.FFN_UP;
        }
        if (name.contains("ffn_gate")) {
            return Category.FFN_GATE;
        }
        if (name.contains("ffn_down")) {
            return Category.FFN_DOWN;
        }
        return Category.OTHER;
    }

    static boolean isTokenEmbd(String name) {
        return name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight");
    }

    private static final String[] NEVER_QUANTIZED_PARTS = {
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
        ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
        "a.rvq.codebook", "mm.a.code_embd"
    };

    /**
     * {@code tensor_allows_quantization}: weights of two or more dims whose name ends in {@code weight}, except
     * norms, MoE routers, positional embeddings and the other small tensors llama.cpp keeps as they are.
     */
    public static boolean allowsQuantization(QuantTensor t, QuantizeOptions o) {
        if (o.onlyCopy() || t.nDims() < 2) {
            return false;
        }
        String name = t.name();
        if (!name.endsWith("weight")) {
            return false;
        }
        if (!o.quantizeOutputTensor() && name.equals("output.weight")) {
            return false;
        }
        if (name.equals("position_embd.weight") || name.equals("token_types.weight")) {
            return false;
        }
        for (String part : NEVER_QUANTIZED_PARTS) {
            if (name.contains(part)) {
                return false;
            }
        }
        return true;
    }

    /** {@code tensor_requires_imatrix}: the very-low-bit targets that produce garbage without one. */
    public static boolean requiresImatrix(String name, DType target, LlamaFtype ftype) {
        if (isTokenEmbd(name) || name.equals("output.weight")) {
            return false;
        }
        return switch (target) {
            case IQ3_XXS, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            case Q2_K -> ftype == LlamaFtype.Q2_K_S;
            default -> false;
        };
    }

    /**
     * {@code tensor_type_fallback}: a type whose block does not divide the row length is replaced (k-quants by the
     * nearest 32-block type, IQ types by IQ4_NL), and by F16 when even that does not fit.
     *
     * @throws IllegalArgumentException for a type without a fallback (the message is llama.cpp's)
     */
    public static DType fallback(long ncols, DType target) {
        if (ncols % target.blockSize() == 0) {
            return target;
        }
        DType r = switch (target) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> DType.IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> DType.Q4_0;
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            // The peer build (llama.cpp 0ad4a86) also falls back for the 32-block types, straight to F16 (measured
            // with llama_model_quantize: an FFN of 688 stays F16 for Q8_0, Q4_0…Q5_1 and IQ4_NL).
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> DType.F16;
            default -> throw new IllegalArgumentException("no tensor type fallback is defined for type "
                    + target.displayName() + " (rows of " + ncols + " are not a multiple of its block of "
                    + target.blockSize() + ")");
        };
        return ncols % r.blockSize() == 0 ? r : DType.F16;
    }

    /** Selects the type of every tensor, in the given (processing) order. */
    public static List<Decision> select(List<QuantTensor> tensors, ModelHparams hp, QuantizeOptions o,
            boolean hasImatrix) {
        State s = new State(hp, o, hasImatrix);
        for (QuantTensor t : tensors) {
            Category c = category(t.name());
            if (c.isAttnV()) {
                s.nAttentionWv++;
            }
            if (c == Category.OUTPUT) {
                s.hasTiedEmbeddings = false;
            }
        }
        s.nFfnDown = s.nFfnGate = s.nFfnUp = hp.nLayer();
        DType defaultType = o.ftype().defaultType();
        List<Decision> out = new ArrayList<>(tensors.size());
        for (QuantTensor t : tensors) {
            boolean allows = allowsQuantization(t, o);
            DType target = t.type();
            boolean fell = false;
            if (allows) {
                Category c = category(t.name());
                if (o.tokenEmbeddingType() != null && c == Category.TOKEN_EMBD) {
                    target = o.tokenEmbeddingType();
                } else if (o.outputTensorType() != null && c == Category.OUTPUT) {
                    target = o.outputTensorType();
                } else {
                    target = defaultType;
                    if (defaultType.isQuantized()) {
                        boolean manual = false;
                        for (TensorTypeOverride p : o.tensorTypes()) {
                            if (p.matches(t.name())) {
                                target = p.type();
                                manual = true;
                                break;
                            }
                        }
                        if (!manual && !o.pure()) {
                            target = s.impl(target, t, c);
                        }
                        DType f = fallback(t.ne(0), target);
                        fell = f != target;
                        target = f;
                    }
                }
            }
            out.add(new Decision(t, target, allows, requiresImatrix(t.name(), target, o.ftype()), fell));
        }
        return out;
    }

    private static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    /** quantize_state_impl: the counters of one pass. */
    private static final class State {
        final ModelHparams hp;
        final QuantizeOptions o;
        final boolean hasImatrix;
        int nAttentionWv;
        int nFfnDown;
        int nFfnGate;
        int nFfnUp;
        int iAttentionWv;
        int iFfnDown;
        int iFfnGate;
        int iFfnUp;
        boolean hasTiedEmbeddings = true;

        State(ModelHparams hp, QuantizeOptions o, boolean hasImatrix) {
            this.hp = hp;
            this.o = o;
            this.hasImatrix = hasImatrix;
        }

        /** The layer of an FFN tensor: the counter, or for MoE models the {@code blk.N.} number. */
        private int layer(int counter, int nLayer, String name) {
            int nExpert = Math.max(1, hp.nExpert());
            if (nExpert > 1) {
                Integer l = parseLayer(name);
                if (l == null) {
                    throw new IllegalArgumentException("Failed to determine layer for tensor " + name);
                }
                if (l < 0 || l >= nLayer) {
                    throw new IllegalArgumentException("Bad layer " + l + " for tensor " + name + ". Must be in [0, "
                            + nLayer + ")");
                }
                return l;
            }
            return counter;
        }

        @SuppressWarnings("checkstyle:CyclomaticComplexity")
        DType impl(DType newType, QuantTensor t, Category c) {
            LlamaFtype ft = o.ftype();
            String name = t.name();
            boolean falcon = hp.isFalcon();
            int nGqa = hp.nGqa();
            int nExpert = hp.nExpert();
            if (c == Category.OUTPUT || (hasTiedEmbeddings && c == Category.TOKEN_EMBD)) {
                if (o.outputTensorType() != null) {
                    return o.outputTensorType();
                }
                long nx = t.ne(0);
                if (ft == LlamaFtype.MXFP4_MOE) {
                    return DType.Q8_0;
                } else if (falcon || nx % newType.blockSize() != 0) {
                    return DType.Q8_0;
                } else if (ft == LlamaFtype.IQ2_XXS || ft == LlamaFtype.IQ2_XS || ft == LlamaFtype.IQ3_XXS
                        || ft == LlamaFtype.IQ1_S || ft == LlamaFtype.IQ2_S || ft == LlamaFtype.IQ2_M
                        || ft == LlamaFtype.IQ1_M) {
                    return DType.Q5_K;
                } else if (newType != DType.Q8_0) {
                    return DType.Q6_K;
                }
                return newType;
            }
            if (ft == LlamaFtype.MXFP4_MOE) {
                return t.ne(2) > 1 ? DType.MXFP4 : DType.Q8_0;
            }
            if (c == Category.TOKEN_EMBD) {
                if (o.tokenEmbeddingType() != null) {
                    return o.tokenEmbeddingType();
                }
                return switch (ft) {
                    case IQ2_XXS, IQ2_XS, IQ1_S, IQ1_M -> DType.Q2_K;
                    case IQ2_S, IQ2_M, IQ3_XXS -> DType.IQ3_S;
                    case TQ1_0, TQ2_0 -> DType.Q4_K;
                    default -> newType;
                };
            }
            if (ft == LlamaFtype.IQ2_XXS || ft == LlamaFtype.IQ2_XS || ft == LlamaFtype.IQ1_S
                    || ft == LlamaFtype.IQ2_S || ft == LlamaFtype.IQ2_M || ft == LlamaFtype.IQ1_M) {
                boolean s2 = ft == LlamaFtype.IQ2_S || ft == LlamaFtype.IQ2_M;
                if (c.isAttnV()) {
                    newType = nGqa >= 4 || nExpert >= 4 ? DType.Q4_K : s2 ? DType.IQ3_S : DType.Q2_K;
                    iAttentionWv++;
                } else if (nExpert == 8 && c == Category.ATTENTION_K) {
                    newType = DType.Q4_K;
                } else if (c == Category.FFN_DOWN) {
                    if (iFfnDown < nFfnDown / 8) {
                        newType = s2 ? DType.IQ3_S : DType.Q2_K;
                    }
                    iFfnDown++;
                } else if (c == Category.ATTENTION_OUTPUT) {
                    if (nExpert == 8) {
                        newType = DType.Q5_K;
                    } else if (ft == LlamaFtype.IQ1_S || ft == LlamaFtype.IQ1_M) {
                        newType = DType.IQ2_XXS;
                    } else if (s2) {
                        newType = DType.IQ3_S;
                    }
                }
                return newType;
            }
            if (c.isAttnV()) {
                if (ft == LlamaFtype.Q2_K) {
                    newType = nGqa >= 4 ? DType.Q4_K : DType.Q3_K;
                } else if (ft == LlamaFtype.Q2_K_S && nGqa >= 4) {
                    newType = DType.Q4_K;
                } else if (ft == LlamaFtype.IQ3_XXS) {
                    newType = nGqa >= 4 ? DType.Q4_K : !hasImatrix ? DType.IQ3_S : DType.IQ3_XXS;
                } else if ((ft == LlamaFtype.IQ3_XS || ft == LlamaFtype.IQ3_S) && nGqa >= 4) {
                    newType = DType.Q4_K;
                } else if (ft == LlamaFtype.IQ3_M) {
                    newType = DType.Q4_K;
                } else if (ft == LlamaFtype.Q3_K_M) {
                    newType = iAttentionWv < 2 ? DType.Q5_K : DType.Q4_K;
                } else if (ft == LlamaFtype.Q3_K_L) {
                    newType = DType.Q5_K;
                } else if ((ft == LlamaFtype.IQ4_NL || ft == LlamaFtype.IQ4_XS) && nGqa >= 4) {
                    newType = DType.Q5_K;
                } else if ((ft == LlamaFtype.Q4_K_M || ft == LlamaFtype.Q5_K_M)
                        && useMoreBits(iAttentionWv, nAttentionWv)) {
                    newType = DType.Q6_K;
                } else if (ft == LlamaFtype.Q4_K_S && iAttentionWv < 4) {
                    newType = DType.Q5_K;
                }
                if (hp.isLlama70B() && (newType == DType.Q3_K || newType == DType.Q4_K)) {
                    newType = DType.Q5_K;
                }
                if (nExpert == 8) {
                    newType = DType.Q8_0;
                }
                iAttentionWv++;
                return newType;
            }
            if (c == Category.ATTENTION_K) {
                if (nExpert == 8) {
                    return DType.Q8_0;
                } else if (ft == LlamaFtype.IQ3_XS) {
                    return DType.IQ3_XXS;
                } else if (ft == LlamaFtype.IQ3_XXS) {
                    return DType.IQ2_S;
                }
                return newType;
            }
            if (c == Category.ATTENTION_Q) {
                if (ft == LlamaFtype.IQ3_XS) {
                    return DType.IQ3_XXS;
                } else if (ft == LlamaFtype.IQ3_XXS) {
                    return DType.IQ2_S;
                }
                return newType;
            }
            if (c == Category.FFN_DOWN) {
                int iLayer = layer(iFfnDown, nFfnDown, name);
                int nLayer = nFfnDown;
                if (ft == LlamaFtype.Q2_K) {
                    newType = DType.Q3_K;
                } else if (ft == LlamaFtype.Q2_K_S) {
                    if (iLayer < nLayer / 8) {
                        newType = DType.Q4_K;
                    }
                } else if (ft == LlamaFtype.IQ3_XXS && !hasImatrix) {
                    newType = iLayer < nLayer / 8 ? DType.Q4_K : DType.Q3_K;
                } else if (ft == LlamaFtype.Q3_K_M) {
                    newType = iLayer < nLayer / 16 ? DType.Q5_K
                            : !falcon || useMoreBits(iLayer, nLayer) ? DType.Q4_K : DType.Q3_K;
                } else if (ft == LlamaFtype.IQ3_M && (iLayer < nLayer / 8
                        || (nExpert == 8 && useMoreBits(iLayer, nLayer)))) {
                    newType = DType.Q4_K;
                } else if (ft == LlamaFtype.Q3_K_L) {
                    newType = falcon ? DType.Q4_K : DType.Q5_K;
                } else if (ft == LlamaFtype.Q4_K_M) {
                    if (falcon) {
                        newType = iLayer < nLayer / 16 ? DType.Q6_K
                                : useMoreBits(iLayer, nLayer) ? DType.Q5_K : DType.Q4_K;
                    } else if (useMoreBits(iLayer, nLayer)) {
                        newType = DType.Q6_K;
                    }
                } else if (iLayer < nLayer / 8 && (ft == LlamaFtype.IQ4_NL || ft == LlamaFtype.IQ4_XS)
                        && !hasImatrix) {
                    newType = DType.Q5_K;
                } else if (ft == LlamaFtype.Q5_K_M && useMoreBits(iLayer, nLayer)) {
                    newType = DType.Q6_K;
                } else if (ft == LlamaFtype.Q4_K_S && !falcon && iLayer < nLayer / 8) {
                    newType = DType.Q5_K;
                } else if ((ft == LlamaFtype.Q4_0 || ft == LlamaFtype.Q5_0) && hasImatrix && iLayer < nLayer / 8) {
                    newType = ft == LlamaFtype.Q4_0 ? DType.Q4_1 : DType.Q5_1;
                }
                iFfnDown++;
                return newType;
            }
            if (c == Category.ATTENTION_OUTPUT) {
                if (!falcon) {
                    if (nExpert == 8) {
                        switch (ft) {
                            case Q2_K, IQ3_XS, IQ3_XXS, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ3_S, IQ3_M, IQ4_XS ->
                                newType = DType.Q5_K;
                            default -> {
                            }
                        }
                    } else {
                        switch (ft) {
                            case Q2_K -> newType = DType.Q3_K;
                            case IQ3_XXS -> newType = DType.IQ3_S;
                            case Q3_K_M, IQ3_M -> newType = DType.Q4_K;
                            case Q3_K_L -> newType = DType.Q5_K;
                            default -> {
                            }
                        }
                    }
                } else if (ft == LlamaFtype.Q3_K_L) {
                    newType = DType.Q4_K;
                }
                return newType;
            }
            if (c == Category.ATTENTION_QKV) {
                if (ft == LlamaFtype.Q3_K_M || ft == LlamaFtype.Q3_K_L || ft == LlamaFtype.IQ3_M) {
                    newType = DType.Q4_K;
                } else if (ft == LlamaFtype.Q4_K_M) {
                    newType = DType.Q5_K;
                } else if (ft == LlamaFtype.Q5_K_M) {
                    newType = DType.Q6_K;
                }
                return newType;
            }
            if (c == Category.FFN_GATE || c == Category.FFN_UP) {
                int counter = c == Category.FFN_GATE ? iFfnGate : iFfnUp;
                int n = c == Category.FFN_GATE ? nFfnGate : nFfnUp;
                int iLayer = layer(counter, n, name);
                if (ft == LlamaFtype.IQ3_XS && iLayer >= n / 8 && iLayer < 7 * n / 8) {
                    newType = DType.IQ3_XXS;
                }
                if (c == Category.FFN_GATE) {
                    iFfnGate++;
                } else {
                    iFfnUp++;
                }
                return newType;
            }
            return newType;
        }
    }
}
