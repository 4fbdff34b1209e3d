package io.weightcast.core.arch;

import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decoder-only transformer layout shared by Llama, Mistral, Qwen and Gemma checkpoints
 * ({@code model.layers.N.self_attn.q_proj.weight}, …), mapped to llama.cpp's names
 * (gguf-py {@code tensor_mapping.py} / {@code constants.py TENSOR_NAMES}). Subclasses adjust the per-layer table,
 * transforms and hyperparameters.
 */
abstract class DecoderMapping implements ArchitectureMapping {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");

    /** Per-layer HF module path (after {@code model.layers.N.}) → GGUF name after {@code blk.N.}. */
    static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"));

    protected final HfConfig config;

    DecoderMapping(HfConfig config) {
        this.config = config;
    }

    @Override
    public HfConfig config() {
        return config;
    }

    /** The per-layer table of this architecture. */
    Map<String, String> layerNames() {
        return LAYER_NAMES;
    }

    /** Undoes the multimodal wrappers: {@code model.language_model.X} and {@code language_model.model.X}. */
    static String normalize(String hfName) {
        if (hfName.startsWith("model.language_model.")) {
            return "model." + hfName.substring("model.language_model.".length());
        }
        if (hfName.startsWith("language_model.")) {
            return hfName.substring("language_model.".length());
        }
        return hfName;
    }

    @Override
    public boolean ignored(String hfName) {
        String n = normalize(hfName);
        return n.endsWith(".rotary_emb.inv_freq") || n.endsWith(".attention.masked_bias")
                || n.endsWith(".attention.bias")
                || (n.equals("lm_head.weight") && config.tieWordEmbeddings())
                || n.startsWith("vision_tower.") || n.startsWith("model.vision_tower.")
                || n.startsWith("multi_modal_projector.") || n.startsWith("model.multi_modal_projector.");
    }

    @Override
    public Optional<Target> map(String hfName) {
        String n = normalize(hfName);
        String mapped = switch (n) {
            case "model.embed_tokens.weight" -> "token_embd.weight";
            case "model.norm.weight" -> "output_norm.weight";
            case "lm_head.weight" -> "output.weight";
            default -> null;
        };
        if (mapped != null) {
            return Optional.of(new Target(mapped, transformFor(n, mapped)));
        }
        Matcher m = LAYER.matcher(n);
        if (!m.matches()) {
            return Optional.empty();
        }
        String g = layerNames().get(m.group(2));
        if (g == null) {
            return Optional.empty();
        }
        String name = "blk." + m.group(1) + "." + g + "." + m.group(3);
        return Optional.of(new Target(name, transformFor(n, name)));
    }

    /** The value transform of a tensor (none by default). */
    SourceTransform transformFor(String hfName, String ggufName) {
        return SourceTransform.NONE;
    }

    int headCount() {
        return config.numAttentionHeads().orElseThrow(() -> missing("num_attention_heads"));
    }

    int kvHeadCount() {
        return config.numKeyValueHeads().orElse(headCount());
    }

    IllegalArgumentException missing(String key) {
        return new IllegalArgumentException("config.json has no '" + key + "', which " + ggufArchitecture()
                + " needs");
    }

    String key(String suffix) {
        return ggufArchitecture() + "." + suffix;
    }

    /** TextModel.set_gguf_parameters: the keys every text model gets, in convert_hf_to_gguf's order. */
    void writeCommon(GgufMetadata kv) {
        kv.putUint32(key("block_count"), config.numHiddenLayers().orElseThrow(() -> missing("num_hidden_layers")));
        config.maxPositionEmbeddings().ifPresent(v -> kv.putUint32(key("context_length"), v));
        kv.putUint32(key("embedding_length"), config.hiddenSize().orElseThrow(() -> missing("hidden_size")));
        config.intermediateSize().ifPresent(v -> kv.putUint32(key("feed_forward_length"), v));
        kv.putUint32(key("attention.head_count"), headCount());
        config.numKeyValueHeads().ifPresent(v -> kv.putUint32(key("attention.head_count_kv"), v));
        config.ropeTheta().ifPresent(v -> kv.putFloat32(key("rope.freq_base"), (float) v));
        config.rmsNormEps().ifPresent(v -> kv.putFloat32(key("attention.layer_norm_rms_epsilon"), (float) v));
        OptionalDouble normEps = config.number("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon");
        normEps.ifPresent(v -> kv.putFloat32(key("attention.layer_norm_epsilon"), (float) v));
        config.integer("num_local_experts").ifPresent(v -> kv.putUint32(key("expert_count"), v));
        config.integer("num_experts_per_tok").ifPresent(v -> kv.putUint32(key("expert_used_count"), v));
        OptionalInt headDim = config.headDim();
        headDim.ifPresent(v -> {
            kv.putUint32(key("attention.key_length"), v);
            kv.putUint32(key("attention.value_length"), v);
        });
        writeRopeScaling(kv);
    }

    /** Rope scaling keys (linear / yarn / longrope factors) when config.json asks for them. */
    void writeRopeScaling(GgufMetadata kv) {
        var p = config.ropeParameters();
        String type = config.ropeType().orElse("default");
        if (p == null || !p.has("factor")) {
            return;
        }
        float factor = (float) p.get("factor").asDouble();
        switch (type) {
            case "linear" -> {
                kv.putString(key("rope.scaling.type"), "linear");
                kv.putFloat32(key("rope.scaling.factor"), factor);
            }
            case "yarn" -> {
                kv.putString(key("rope.scaling.type"), "yarn");
                kv.putFloat32(key("rope.scaling.factor"), factor);
                if (p.has("original_max_position_embeddings")) {
                    kv.putUint32(key("rope.scaling.original_context_length"),
                            p.get("original_max_position_embeddings").asInt());
                }
            }
            default -> {
                // llama3 rope is expressed by the generated rope_freqs tensor; other types are left to llama.cpp
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " (" + ggufArchitecture() + ")";
    }
}
