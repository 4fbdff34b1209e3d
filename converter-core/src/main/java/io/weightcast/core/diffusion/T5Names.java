package io.weightcast.core.diffusion;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names of a T5 encoder (transformers' {@code T5EncoderModel}/{@code UMT5EncoderModel}) in llama.cpp's
 * {@code t5encoder} convention, as {@code convert_hf_to_gguf.py} writes them and ComfyUI-GGUF's CLIP loader maps back
 * ({@code T5_SD_MAP} in its loader.py).
 */
public final class T5Names {
    private static final Pattern BLOCK = Pattern.compile("encoder\\.block\\.(\\d+)\\.layer\\.(\\d)\\.(.+)");
    private static final Map<String, String> LAYER0 = Map.of(
            "SelfAttention.q.weight", "attn_q.weight",
            "SelfAttention.k.weight", "attn_k.weight",
            "SelfAttention.v.weight", "attn_v.weight",
            "SelfAttention.o.weight", "attn_o.weight",
            "SelfAttention.relative_attention_bias.weight", "attn_rel_b.weight",
            "layer_norm.weight", "attn_norm.weight");
    private static final Map<String, String> LAYER1 = Map.of(
            "DenseReluDense.wi_0.weight", "ffn_gate.weight",
            "DenseReluDense.wi_1.weight", "ffn_up.weight",
            "DenseReluDense.wi.weight", "ffn_up.weight",
            "DenseReluDense.wo.weight", "ffn_down.weight",
            "layer_norm.weight", "ffn_norm.weight");
    /** ComfyUI-GGUF's T5_SD_MAP (llama.cpp → original), applied as ordered substring replacements. */
    private static final Map<String, String> BACK = new LinkedHashMap<>();

    static {
        BACK.put("enc.", "encoder.");
        BACK.put(".blk.", ".block.");
        BACK.put("token_embd", "shared");
        BACK.put("output_norm", "final_layer_norm");
        BACK.put("attn_q", "layer.0.SelfAttention.q");
        BACK.put("attn_k", "layer.0.SelfAttention.k");
        BACK.put("attn_v", "layer.0.SelfAttention.v");
        BACK.put("attn_o", "layer.0.SelfAttention.o");
        BACK.put("attn_norm", "layer.0.layer_norm");
        BACK.put("attn_rel_b", "layer.0.SelfAttention.relative_attention_bias");
        BACK.put("ffn_up", "layer.1.DenseReluDense.wi_1");
        BACK.put("ffn_down", "layer.1.DenseReluDense.wo");
        BACK.put("ffn_gate", "layer.1.DenseReluDense.wi_0");
        BACK.put("ffn_norm", "layer.1.layer_norm");
    }

    private T5Names() {
    }

    /** The llama.cpp name of an HF T5 encoder tensor, or empty for tensors the encoder GGUF leaves out. */
    public static Optional<String> toGguf(String hf) {
        if (hf.equals("shared.weight") || hf.equals("encoder.embed_tokens.weight")) {
            return Optional.of("token_embd.weight");
        }
        if (hf.equals("encoder.final_layer_norm.weight")) {
            return Optional.of("enc.output_norm.weight");
        }
        Matcher m = BLOCK.matcher(hf);
        if (m.matches()) {
            String mapped = (m.group(2).equals("0") ? LAYER0 : m.group(2).equals("1") ? LAYER1 : Map.<String, String>of())
                    .get(m.group(3));
            if (mapped != null) {
                return Optional.of("enc.blk." + m.group(1) + "." + mapped);
            }
        }
        return Optional.empty();
    }

    /** The original name ComfyUI-GGUF's loader gives a llama.cpp T5 tensor name. */
    public static String toComfyOriginal(String gguf) {
        String k = gguf;
        for (var e : BACK.entrySet()) {
            k = k.replace(e.getKey(), e.getValue());
        }
        return k;
    }
}
