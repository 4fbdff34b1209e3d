package io.weightcast.core.arch;

import io.weightcast.formats.hf.HfConfig;

/** {@code Qwen3ForCausalLM} → {@code qwen3}: Qwen2's layout with per-head q/k RMS norms and no biases. */
public final class Qwen3 extends Qwen2 {

    public Qwen3(HfConfig config) {
        super(config);
    }

    @Override
    public String ggufArchitecture() {
        return "qwen3";
    }
}
