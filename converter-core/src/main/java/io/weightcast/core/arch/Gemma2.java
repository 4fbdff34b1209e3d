package io.weightcast.core.arch;

import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code Gemma2ForCausalLM} → {@code gemma2}: four norms per layer (post-attention, pre- and post-feed-forward),
 * {@code +1} on every norm weight (Gemma's RMSNorm scales by {@code 1 + w}), tied embeddings (lm_head dropped),
 * attention/final logit softcapping and the sliding window.
 */
public class Gemma2 extends DecoderMapping {
    static final Map<String, String> GEMMA_LAYER_NAMES;

    static {
        Map<String, String> m = new HashMap<>(LAYER_NAMES);
        m.put("post_attention_layernorm", "post_attention_norm");
        m.put("pre_feedforward_layernorm", "ffn_norm");
        m.put("post_feedforward_layernorm", "post_ffw_norm");
        GEMMA_LAYER_NAMES = Map.copyOf(m);
    }

    public Gemma2(HfConfig config) {
        super(config);
    }

    @Override
    public String ggufArchitecture() {
        return "gemma2";
    }

    @Override
    Map<String, String> layerNames() {
        return GEMMA_LAYER_NAMES;
    }

    @Override
    public boolean ignored(String hfName) {
        return super.ignored(hfName) || normalize(hfName).equals("lm_head.weight");
    }

    @Override
    SourceTransform transformFor(String hfName, String ggufName) {
        return hfName.endsWith("norm.weight") ? SourceTransform.add(1f) : SourceTransform.NONE;
    }

    @Override
    public Optional<Boolean> addSpacePrefix() {
        return Optional.of(false);
    }

    @Override
    public void writeHyperparameters(GgufMetadata kv) {
        config.maxPositionEmbeddings().ifPresent(v -> kv.putUint32(key("context_length"), v));
        kv.putUint32(key("embedding_length"), config.hiddenSize().orElseThrow(() -> missing("hidden_size")));
        kv.putUint32(key("block_count"), config.numHiddenLayers().orElseThrow(() -> missing("num_hidden_layers")));
        config.intermediateSize().ifPresent(v -> kv.putUint32(key("feed_forward_length"), v));
        kv.putUint32(key("attention.head_count"), headCount());
        kv.putUint32(key("attention.head_count_kv"), kvHeadCount());
        config.rmsNormEps().ifPresent(v -> kv.putFloat32(key("attention.layer_norm_rms_epsilon"), (float) v));
        int headDim = config.headDim().orElseThrow(() -> missing("head_dim"));
        kv.putUint32(key("attention.key_length"), headDim);
        kv.putUint32(key("attention.value_length"), headDim);
        config.number("attn_logit_softcapping").ifPresent(v -> kv.putFloat32(key("attn_logit_softcapping"), (float) v));
        config.number("final_logit_softcapping").ifPresent(v -> kv.putFloat32(key("final_logit_softcapping"), (float) v));
        config.integer("sliding_window").ifPresent(v -> kv.putUint32(key("attention.sliding_window"), v));
    }
}
