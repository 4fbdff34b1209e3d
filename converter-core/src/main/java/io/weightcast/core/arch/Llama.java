package io.weightcast.core.arch;

import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code LlamaForCausalLM} and {@code MistralForCausalLM} → {@code llama}. Query and key projections (weights and
 * biases) get the rotary permutation, with the KV head count for keys; {@code <arch>.vocab_size} and
 * {@code rope.dimension_count} are written; Llama 3.1-style rope ({@code rope_type: llama3}) adds the generated
 * {@code rope_freqs.weight} factors.
 */
public final class Llama extends DecoderMapping {

    public Llama(HfConfig config) {
        super(config);
    }

    @Override
    public String ggufArchitecture() {
        return "llama";
    }

    @Override
    SourceTransform transformFor(String hfName, String ggufName) {
        if (hfName.endsWith("self_attn.q_proj.weight") || hfName.endsWith("self_attn.q_proj.bias")) {
            return SourceTransform.rotary(headCount());
        }
        if (hfName.endsWith("self_attn.k_proj.weight") || hfName.endsWith("self_attn.k_proj.bias")) {
            return SourceTransform.rotary(kvHeadCount());
        }
        return SourceTransform.NONE;
    }

    int ropeDim() {
        return config.headDim().orElseGet(() -> config.hiddenSize().orElseThrow(() -> missing("hidden_size"))
                / headCount());
    }

    @Override
    public void writeHyperparameters(GgufMetadata kv) {
        writeCommon(kv);
        config.vocabSize().ifPresent(v -> kv.putUint32(key("vocab_size"), v));
        kv.putUint32(key("rope.dimension_count"), ropeDim());
    }

    @Override
    public List<TensorView> generatedTensors() {
        var p = config.ropeParameters();
        if (p == null || !"llama3".equalsIgnoreCase(config.ropeType().orElse(""))) {
            return List.of();
        }
        double base = p.has("rope_theta") ? p.get("rope_theta").asDouble() : config.ropeTheta().orElse(10000.0);
        int dim = ropeDim();
        double factor = p.path("factor").asDouble(8.0);
        double lowFreqFactor = p.path("low_freq_factor").asDouble(1.0);
        double highFreqFactor = p.path("high_freq_factor").asDouble(4.0);
        double oldContext = p.path("original_max_position_embeddings").asDouble(
                config.number("original_max_position_embeddings").orElse(8192));
        double lowWavelen = oldContext / lowFreqFactor;
        double highWavelen = oldContext / highFreqFactor;
        float[] factors = new float[dim / 2];
        for (int i = 0; i < factors.length; i++) {
            // torch: 1 / base ** (arange(0, dim, 2, float32) / dim), in float32
            float freq = (float) (1.0 / Math.pow(base, (float) (2 * i) / dim));
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                factors[i] = 1f;
            } else if (wavelen > lowWavelen) {
                factors[i] = (float) factor;
            } else {
                double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        MemorySegment data = MemorySegment.ofArray(factors);
        return List.of(new TensorView("rope_freqs.weight", new long[] {factors.length}, DType.F32, data,
                config.file().orElse(null), 0));
    }
}
