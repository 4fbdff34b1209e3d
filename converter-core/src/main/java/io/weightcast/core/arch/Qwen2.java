package io.weightcast.core.arch;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;

/**
 * {@code Qwen2ForCausalLM} → {@code qwen2}: the Llama layout with q/k/v biases and no rotary permutation
 * (llama.cpp runs Qwen with NEOX rope, which matches HF's rotate-half order).
 */
public class Qwen2 extends DecoderMapping {

    public Qwen2(HfConfig config) {
        super(config);
    }

    @Override
    public String ggufArchitecture() {
        return "qwen2";
    }

    @Override
    public void writeHyperparameters(GgufMetadata kv) {
        writeCommon(kv);
    }
}
