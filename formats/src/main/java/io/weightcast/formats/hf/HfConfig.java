package io.weightcast.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A read-only view of a Hugging Face {@code config.json}. For multimodal configs that nest the language model
 * under {@code text_config} (Gemma 3, Mistral 3, …) the nested keys are merged over the top-level ones, as
 * {@code convert_hf_to_gguf.py} does. Both the classic {@code rope_theta} and transformers 5's
 * {@code rope_parameters.rope_theta} are understood.
 */
public final class HfConfig {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonNode root;

    private HfConfig(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    public static HfConfig read(Path configJson) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(configJson));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedFileException(configJson, -1, "is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new MalformedFileException(configJson, -1, "is not a JSON object");
        }
        return new HfConfig(configJson, merged((ObjectNode) node));
    }

    /** For tests and synthetic checkpoints. */
    public static HfConfig parse(String json) throws IOException {
        return new HfConfig(null, merged((ObjectNode) JSON.readTree(json)));
    }

    private static JsonNode merged(ObjectNode node) {
        JsonNode text = node.get("text_config");
        if (text != null && text.isObject()) {
            ObjectNode copy = node.deepCopy();
            copy.setAll((ObjectNode) text);
            return copy;
        }
        return node;
    }

    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    public JsonNode json() {
        return root;
    }

    public List<String> architectures() {
        List<String> out = new ArrayList<>();
        JsonNode a = root.get("architectures");
        if (a != null && a.isArray()) {
            a.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    public Optional<String> modelType() {
        return string("model_type");
    }

    public OptionalInt hiddenSize() {
        return integer("hidden_size", "n_embd", "dim");
    }

    public OptionalInt numHiddenLayers() {
        return integer("num_hidden_layers", "n_layer", "n_layers");
    }

    public OptionalInt intermediateSize() {
        return integer("intermediate_size", "n_inner", "hidden_dim");
    }

    public OptionalInt numAttentionHeads() {
        return integer("num_attention_heads", "n_head", "n_heads");
    }

    /** {@code num_key_value_heads}, absent when the config has none (then it equals the head count). */
    public OptionalInt numKeyValueHeads() {
        return integer("num_key_value_heads", "n_kv_heads");
    }

    public OptionalInt headDim() {
        return integer("head_dim");
    }

    public OptionalDouble rmsNormEps() {
        return number("rms_norm_eps");
    }

    /** {@code rope_theta}, else transformers 5's {@code rope_parameters.rope_theta} (or its full_attention entry). */
    public OptionalDouble ropeTheta() {
        OptionalDouble direct = number("rope_theta");
        if (direct.isPresent()) {
            return direct;
        }
        JsonNode p = ropeParameters();
        if (p != null && p.get("rope_theta") != null && p.get("rope_theta").isNumber()) {
            return OptionalDouble.of(p.get("rope_theta").asDouble());
        }
        return OptionalDouble.empty();
    }

    /**
     * The rope scaling block: {@code rope_scaling} (transformers 4) or {@code rope_parameters} (transformers 5;
     * for per-layer-type parameters, the {@code full_attention} entry). Null when neither is present.
     */
    public JsonNode ropeParameters() {
        JsonNode p = root.get("rope_parameters");
        if (p == null || p.isNull()) {
            p = root.get("rope_scaling");
        }
        if (p != null && p.has("full_attention") && p.get("full_attention").isObject()) {
            p = p.get("full_attention");
        }
        return p == null || p.isNull() ? null : p;
    }

    /** The rope type ("default", "linear", "yarn", "llama3", …), from rope_type or the older type key. */
    public Optional<String> ropeType() {
        JsonNode p = ropeParameters();
        if (p == null) {
            return Optional.empty();
        }
        JsonNode t = p.has("rope_type") ? p.get("rope_type") : p.get("type");
        return t == null || t.isNull() ? Optional.empty() : Optional.of(t.asText());
    }

    public OptionalInt maxPositionEmbeddings() {
        return integer("max_position_embeddings", "n_ctx", "n_positions");
    }

    public OptionalInt vocabSize() {
        return integer("vocab_size");
    }

    public boolean tieWordEmbeddings() {
        JsonNode t = root.get("tie_word_embeddings");
        return t != null && t.asBoolean(false);
    }

    public Optional<String> torchDtype() {
        return string("torch_dtype").or(() -> string("dtype"));
    }

    public OptionalInt integer(String... keys) {
        for (String k : keys) {
            JsonNode n = root.get(k);
            if (n != null && n.isNumber()) {
                return OptionalInt.of(n.asInt());
            }
        }
        return OptionalInt.empty();
    }

    public OptionalDouble number(String... keys) {
        for (String k : keys) {
            JsonNode n = root.get(k);
            if (n != null && n.isNumber()) {
                return OptionalDouble.of(n.asDouble());
            }
        }
        return OptionalDouble.empty();
    }

    public Optional<String> string(String key) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(n.asText());
    }

    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    /** A required integer, with an error naming the file and key. */
    public int requireInt(String key) {
        return integer(key).orElseThrow(() -> new IllegalArgumentException(
                (file == null ? "config.json" : file.toString()) + ": missing integer '" + key + "'"));
    }
}
