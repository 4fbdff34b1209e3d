package io.weightcast.core.arch;

import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.tensor.TensorView;
import java.util.List;
import java.util.Optional;

/**
 * How one Hugging Face architecture becomes a GGUF that llama.cpp runs, as {@code convert_hf_to_gguf.py} does it:
 * tensor names (and per-tensor value transforms), the hyperparameter keys, and tokenizer specifics. One small
 * class per architecture; {@link Architectures} picks it from {@code config.json}.
 */
public interface ArchitectureMapping {

    /** Where an HF tensor goes. */
    record Target(String name, SourceTransform transform) {
        public Target(String name) {
            this(name, SourceTransform.NONE);
        }
    }

    /** The value of {@code general.architecture} (llama.cpp's LLM_ARCH name): "llama", "qwen2", … */
    String ggufArchitecture();

    /** The config this mapping was made for. */
    HfConfig config();

    /**
     * The GGUF name and transform of an HF tensor; empty when the tensor is not mapped (the caller refuses the
     * conversion, as convert_hf_to_gguf's "Can not map tensor" does), unless {@link #ignored} says to drop it.
     */
    Optional<Target> map(String hfName);

    /** True for tensors convert_hf_to_gguf drops (rotary caches, a tied lm_head, vision towers, …). */
    boolean ignored(String hfName);

    /** Tensors the converter generates (e.g. Llama 3's {@code rope_freqs.weight}); none by default. */
    default List<TensorView> generatedTensors() {
        return List.of();
    }

    /** Writes {@code <arch>.*} hyperparameters in convert_hf_to_gguf's order. */
    void writeHyperparameters(GgufMetadata kv);

    /** {@code tokenizer.ggml.add_space_prefix} forced by the architecture (Gemma: false), else empty. */
    default Optional<Boolean> addSpacePrefix() {
        return Optional.empty();
    }

    /** Maps a GGUF tensor name back to the HF name it came from, given the HF names present (for verify). */
    default Optional<String> hfNameOf(String ggufName, Iterable<String> hfNames) {
        for (String hf : hfNames) {
            Optional<Target> t = map(hf);
            if (t.isPresent() && t.get().name().equals(ggufName)) {
                return Optional.of(hf);
            }
        }
        return Optional.empty();
    }
}
