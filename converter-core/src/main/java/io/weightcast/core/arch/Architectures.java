package io.weightcast.core.arch;

import io.weightcast.formats.hf.HfConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The registry of architecture mappings, keyed by config.json's {@code architectures[0]} (as convert_hf_to_gguf's
 * {@code ModelBase.register}) and, when that is absent or unknown, by {@code model_type}. Adding an architecture
 * is adding one class and one line here.
 */
public final class Architectures {
    private static final Map<String, Function<HfConfig, ArchitectureMapping>> BY_CLASS = new LinkedHashMap<>();
    private static final Map<String, Function<HfConfig, ArchitectureMapping>> BY_MODEL_TYPE = new LinkedHashMap<>();

    static {
        register(Llama::new, "llama", "LlamaForCausalLM", "LLaMAForCausalLM", "MistralForCausalLM", "LlamaModel");
        BY_MODEL_TYPE.put("mistral", Llama::new);
        register(Qwen2::new, "qwen2", "Qwen2ForCausalLM");
        register(Qwen3::new, "qwen3", "Qwen3ForCausalLM");
        register(Gemma2::new, "gemma2", "Gemma2ForCausalLM");
        register(Gemma3::new, "gemma3", "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration");
        BY_MODEL_TYPE.put("gemma3_text", Gemma3::new);
    }

    private Architectures() {
    }

    private static void register(Function<HfConfig, ArchitectureMapping> factory, String modelType,
                                 String... classes) {
        for (String c : classes) {
            BY_CLASS.put(c, factory);
        }
        BY_MODEL_TYPE.put(modelType, factory);
    }

    /** The mapping for a config, or empty when weightcast does not map its architecture. */
    public static Optional<ArchitectureMapping> forConfig(HfConfig config) {
        for (String a : config.architectures()) {
            var f = BY_CLASS.get(a);
            if (f != null) {
                return Optional.of(f.apply(config));
            }
        }
        return config.modelType().map(t -> BY_MODEL_TYPE.get(t.toLowerCase(Locale.ROOT))).map(f -> f.apply(config));
    }

    /** The HF class names weightcast maps, for messages. */
    public static java.util.Set<String> supportedClasses() {
        return java.util.Collections.unmodifiableSet(BY_CLASS.keySet());
    }
}
