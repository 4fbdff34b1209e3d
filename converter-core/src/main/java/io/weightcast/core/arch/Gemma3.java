package io.weightcast.core.arch;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;

/**
 * {@code Gemma3ForCausalLM} / {@code Gemma3ForConditionalGeneration} (text part) → {@code gemma3}: Gemma 2's
 * layout plus per-head q/k norms (also {@code +1}), no attention softcapping, the global layers' rope base
 * (default 1e6), linear rope scaling when configured, and the sliding window unless every layer is global.
 */
public final class Gemma3 extends Gemma2 {

    public Gemma3(HfConfig config) {
        super(config);
    }

    @Override
    public String ggufArchitecture() {
        return "gemma3";
    }

    @Override
    public void writeHyperparameters(GgufMetadata kv) {
        writeCommon(kv);
        kv.putUint32(key("context_length"), config.maxPositionEmbeddings().orElse(131072));
        kv.putUint32(key("attention.head_count"), config.numAttentionHeads().orElse(8));
        kv.putFloat32(key("attention.layer_norm_rms_epsilon"), (float) config.rmsNormEps().orElse(1e-6));
        int headDim = config.headDim().orElse(256);
        kv.putUint32(key("attention.key_length"), headDim);
        kv.putUint32(key("attention.value_length"), headDim);
        kv.putFloat32(key("rope.freq_base"), (float) config.ropeTheta().orElse(1_000_000.0));
        config.number("final_logit_softcapping").ifPresent(v -> {
            if (v != 0) {
                kv.putFloat32(key("final_logit_softcapping"), (float) v);
            }
        });
        if (config.integer("sliding_window_pattern").orElse(-1) != 1) {
            config.integer("sliding_window").ifPresent(v -> kv.putUint32(key("attention.sliding_window"), v));
        }
        kv.putUint32(key("attention.head_count_kv"), config.numKeyValueHeads().orElse(4));
    }

    @Override
    int headCount() {
        return config.numAttentionHeads().orElse(8);
    }
}
