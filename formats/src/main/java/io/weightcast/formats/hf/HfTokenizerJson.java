package io.weightcast.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code tokenizer.json} (Hugging Face tokenizers): the model (BPE, Unigram or WordPiece) with its vocabulary,
 * BPE merges, the added tokens, and the normalizer / pre-tokenizer / decoder configuration as raw JSON.
 */
public final class HfTokenizerJson {
    /** The kinds of {@code model.type}. */
    public enum ModelType { BPE, UNIGRAM, WORDPIECE, OTHER }

    /** One entry of {@code added_tokens}. */
    public record AddedToken(int id, String content, boolean special, boolean normalized) {
    }

    private final Path file;
    private final JsonNode root;
    private final ModelType type;
    private final String[] tokensById;
    private final float[] unigramScores;
    private final List<String> merges;
    private final List<AddedToken> added;

    private HfTokenizerJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        JsonNode model = root.path("model");
        String t = model.path("type").asText("");
        if (t.isEmpty() && model.has("merges")) {
            t = "BPE";
        }
        this.type = switch (t) {
            case "BPE" -> ModelType.BPE;
            case "Unigram" -> ModelType.UNIGRAM;
            case "WordPiece" -> ModelType.WORDPIECE;
            default -> ModelType.OTHER;
        };
        this.added = new ArrayList<>();
        for (JsonNode a : root.path("added_tokens")) {
            added.add(new AddedToken(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean(),
                    a.path("normalized").asBoolean(false)));
        }
        JsonNode vocab = model.path("vocab");
        int max = -1;
        if (type == ModelType.UNIGRAM) {
            max = vocab.size() - 1;
        } else {
            for (var it = vocab.fields(); it.hasNext(); ) {
                max = Math.max(max, it.next().getValue().asInt());
            }
        }
        for (AddedToken a : added) {
            max = Math.max(max, a.id());
        }
        tokensById = new String[max + 1];
        if (type == ModelType.UNIGRAM) {
            unigramScores = new float[max + 1];
            int i = 0;
            for (JsonNode pair : vocab) {
                tokensById[i] = pair.get(0).asText();
                unigramScores[i] = (float) pair.get(1).asDouble();
                i++;
            }
        } else {
            unigramScores = null;
            for (var it = vocab.fields(); it.hasNext(); ) {
                var e = it.next();
                tokensById[e.getValue().asInt()] = e.getKey();
            }
        }
        for (AddedToken a : added) {
            tokensById[a.id()] = a.content();
        }
        merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            // tokenizers < 0.20 writes "a b"; newer versions write ["a", "b"]
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
    }

    public static HfTokenizerJson read(Path file) throws IOException {
        try {
            return new HfTokenizerJson(file, HfConfig.JSON.readTree(Files.readString(file)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedFileException(file, -1, "is not valid JSON: " + e.getOriginalMessage());
        }
    }

    public Path file() {
        return file;
    }

    public ModelType modelType() {
        return type;
    }

    /** Highest id + 1 over the model vocabulary and added tokens. */
    public int size() {
        return tokensById.length;
    }

    /** The token text for an id, or null when no token has it (a hole in the vocabulary). */
    public String token(int id) {
        return id >= 0 && id < tokensById.length ? tokensById[id] : null;
    }

    public Optional<Integer> idOf(String token) {
        for (int i = 0; i < tokensById.length; i++) {
            if (token.equals(tokensById[i])) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** Unigram scores (log probabilities) by id; empty for other models. */
    public Optional<float[]> unigramScores() {
        return Optional.ofNullable(unigramScores == null ? null : unigramScores.clone());
    }

    /** BPE merges as "left right" strings, in rank order. */
    public List<String> merges() {
        return List.copyOf(merges);
    }

    public List<AddedToken> addedTokens() {
        return List.copyOf(added);
    }

    public boolean byteFallback() {
        return root.path("model").path("byte_fallback").asBoolean(false);
    }

    public Optional<String> unkToken() {
        JsonNode u = root.path("model").path("unk_token");
        if (u.isTextual()) {
            return Optional.of(u.asText());
        }
        JsonNode id = root.path("model").path("unk_id");
        return id.isInt() ? Optional.ofNullable(token(id.asInt())) : Optional.empty();
    }

    public JsonNode normalizer() {
        return root.path("normalizer");
    }

    public JsonNode preTokenizer() {
        return root.path("pre_tokenizer");
    }

    public JsonNode decoder() {
        return root.path("decoder");
    }

    public JsonNode postProcessor() {
        return root.path("post_processor");
    }

    public JsonNode json() {
        return root;
    }

    /** Every node of type {@code typeName} in a component, looking inside Sequence lists. */
    public static List<JsonNode> components(JsonNode node, String typeName) {
        List<JsonNode> out = new ArrayList<>();
        collect(node, typeName, out);
        return out;
    }

    private static void collect(JsonNode node, String typeName, List<JsonNode> out) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return;
        }
        if (typeName.equals(node.path("type").asText())) {
            out.add(node);
        }
        for (String list : new String[] {"pretokenizers", "normalizers", "decoders", "processors"}) {
            for (JsonNode child : node.path(list)) {
                collect(child, typeName, out);
            }
        }
    }

    /** The vocabulary as token → id (model vocabulary and added tokens). */
    public Map<String, Integer> vocabulary() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < tokensById.length; i++) {
            if (tokensById[i] != null) {
                out.putIfAbsent(tokensById[i], i);
            }
        }
        return out;
    }
}
