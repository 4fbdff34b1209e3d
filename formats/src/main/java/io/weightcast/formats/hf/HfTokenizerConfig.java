package io.weightcast.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code tokenizer_config.json}: special token strings (plain or {@code {"content": …}} objects), whether BOS/EOS
 * are added, the chat template (a string, or a list of named templates, of which "default" is taken), and the
 * {@code added_tokens_decoder} table.
 */
public final class HfTokenizerConfig {
    private final JsonNode root;

    private HfTokenizerConfig(JsonNode root) {
        this.root = root;
    }

    public static HfTokenizerConfig read(Path file) throws IOException {
        try {
            return new HfTokenizerConfig(HfConfig.JSON.readTree(Files.readString(file)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedFileException(file, -1, "is not valid JSON: " + e.getOriginalMessage());
        }
    }

    public static HfTokenizerConfig empty() {
        return new HfTokenizerConfig(HfConfig.JSON.createObjectNode());
    }

    /** The text of a special token: {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}, … */
    public Optional<String> specialToken(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (n.isObject()) {
            n = n.get("content");
        }
        return n == null || !n.isTextual() ? Optional.empty() : Optional.of(n.asText());
    }

    public Optional<Boolean> addBosToken() {
        return bool("add_bos_token");
    }

    public Optional<Boolean> addEosToken() {
        return bool("add_eos_token");
    }

    public Optional<Boolean> addPrefixSpace() {
        return bool("add_prefix_space");
    }

    private Optional<Boolean> bool(String key) {
        JsonNode n = root.get(key);
        return n != null && n.isBoolean() ? Optional.of(n.asBoolean()) : Optional.empty();
    }

    /** The chat template; with a list of named templates, the one named "default" (or the first). */
    public Optional<String> chatTemplate() {
        JsonNode n = root.get("chat_template");
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (n.isTextual()) {
            return Optional.of(n.asText());
        }
        if (n.isArray()) {
            for (JsonNode t : n) {
                if ("default".equals(t.path("name").asText())) {
                    return Optional.of(t.path("template").asText());
                }
            }
            return n.isEmpty() ? Optional.empty() : Optional.of(n.get(0).path("template").asText());
        }
        return Optional.empty();
    }

    /** {@code added_tokens_decoder}: id → (content, special). */
    public Map<Integer, HfTokenizerJson.AddedToken> addedTokensDecoder() {
        Map<Integer, HfTokenizerJson.AddedToken> out = new LinkedHashMap<>();
        JsonNode d = root.path("added_tokens_decoder");
        for (var it = d.fields(); it.hasNext(); ) {
            var e = it.next();
            int id = Integer.parseInt(e.getKey());
            out.put(id, new HfTokenizerJson.AddedToken(id, e.getValue().path("content").asText(),
                    e.getValue().path("special").asBoolean(), e.getValue().path("normalized").asBoolean(false)));
        }
        return out;
    }

    public JsonNode json() {
        return root;
    }
}
