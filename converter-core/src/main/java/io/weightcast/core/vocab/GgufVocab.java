package io.weightcast.core.vocab;

import com.fasterxml.jackson.databind.JsonNode;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufValue;
import io.weightcast.formats.gguf.GgufValueType;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.hf.HfModelFolder;
import io.weightcast.formats.hf.HfTokenizerConfig;
import io.weightcast.formats.hf.HfTokenizerJson;
import io.weightcast.formats.hf.SentencePieceModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the {@code tokenizer.*} keys of a GGUF from a checkpoint's tokenizer files, as convert_hf_to_gguf's
 * {@code _set_vocab_sentencepiece}, {@code _set_vocab_llama_hf} and {@code _set_vocab_gpt2} plus gguf-py's
 * {@code SpecialVocab} do, without running the Python tokenizer:
 * <ul>
 * <li>{@code tokenizer.model} (SentencePiece protobuf) → {@code llama}: pieces, scores, types.</li>
 * <li>{@code tokenizer.json} Unigram, or BPE in SentencePiece style (Metaspace pre-tokenizer or byte fallback) →
 * {@code llama}; BPE scores are minus the merge rank that creates the token, so llama.cpp's SPM tokenizer
 * (highest score first) merges in BPE's order.</li>
 * <li>{@code tokenizer.json} byte-level BPE → {@code gpt2} with merges; {@code tokenizer.ggml.pre} from the
 * pre-tokenizer's split regex and known vocabulary fingerprints (convert_hf_to_gguf hashes the tokenizer's
 * output instead), {@code default} with a warning when unrecognized.</li>
 * <li>{@code tokenizer.json} WordPiece → {@code bert}.</li>
 * </ul>
 * Then special token ids, {@code add_bos_token}/{@code add_eos_token} and the chat template.
 */
public final class GgufVocab {
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** What was written, and anything the user should know. */
    public record Result(String model, String pre, int tokens, List<String> notes) {
    }

    private GgufVocab() {
    }

    /**
     * Adds the tokenizer keys to {@code kv}; empty when the folder has no tokenizer (nothing is written then).
     *
     * @param addSpacePrefix the architecture's forced {@code add_space_prefix} (Gemma: false), or empty
     */
    public static Optional<Result> write(GgufMetadata kv, HfModelFolder folder, HfConfig config,
                                         Optional<Boolean> addSpacePrefix) throws IOException {
        if (!folder.hasTokenizer()) {
            return Optional.empty();
        }
        List<String> notes = new ArrayList<>();
        HfTokenizerConfig tc = folder.tokenizerConfig();
        Optional<HfTokenizerJson> tj = folder.tokenizerJson();
        int vocabSize = config == null ? -1 : config.vocabSize().orElse(-1);
        Map<String, Integer> ids = new HashMap<>();
        Result result;
        Optional<SentencePieceModel> spm = folder.sentencePiece();
        Boolean spaceFromTokenizer = null;
        if (spm.isPresent()) {
            result = sentencePiece(kv, spm.get(), tj, tc, vocabSize, ids, notes);
        } else {
            HfTokenizerJson t = tj.orElseThrow();
            boolean metaspace = !HfTokenizerJson.components(t.preTokenizer(), "Metaspace").isEmpty()
                    || !HfTokenizerJson.components(t.normalizer(), "Prepend").isEmpty();
            switch (t.modelType()) {
                case UNIGRAM -> result = fromTokenizerJsonSpm(kv, t, vocabSize, ids, notes, true);
                case BPE -> {
                    if (metaspace || t.byteFallback()) {
                        result = fromTokenizerJsonSpm(kv, t, vocabSize, ids, notes, false);
                    } else {
                        result = gpt2(kv, t, vocabSize, ids, notes);
                    }
                }
                case WORDPIECE -> result = wordPiece(kv, t, vocabSize, ids, notes);
                default -> throw new IllegalArgumentException(t.file() + ": tokenizer model type '"
                        + t.json().path("model").path("type").asText() + "' is not supported; pass --vocab-from "
                        + "a GGUF with the vocabulary instead");
            }
            List<JsonNode> ms = HfTokenizerJson.components(t.preTokenizer(), "Metaspace");
            if (!ms.isEmpty() && result.model().equals("llama")) {
                String scheme = ms.get(0).path("prepend_scheme").asText(
                        ms.get(0).path("add_prefix_space").asBoolean(true) ? "always" : "never");
                spaceFromTokenizer = !scheme.equals("never");
            }
        }
        special(kv, folder, config, tc, tj, ids, notes);
        Boolean fromTokenizer = spaceFromTokenizer;
        Optional<Boolean> space = addSpacePrefix.or(() -> tc.addPrefixSpace())
                .or(() -> Optional.ofNullable(fromTokenizer));
        space.ifPresent(v -> kv.putBool("tokenizer.ggml.add_space_prefix", v));
        return Optional.of(new Result(result.model(), result.pre(), result.tokens(), List.copyOf(notes)));
    }

    // ---- SentencePiece ------------------------------------------------------------------------------------------

    private static Result sentencePiece(GgufMetadata kv, SentencePieceModel spm, Optional<HfTokenizerJson> tj,
                                        HfTokenizerConfig tc, int vocabSize, Map<String, Integer> ids,
                                        List<String> notes) {
        List<SentencePieceModel.Piece> pieces = spm.pieces();
        int n = vocabSize > 0 ? vocabSize : pieces.size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = UNUSED;
        }
        for (int i = 0; i < Math.min(n, pieces.size()); i++) {
            tokens[i] = pieces.get(i).piece();
            scores[i] = pieces.get(i).score();
            types[i] = pieces.get(i).type();
        }
        if (pieces.size() > n) {
            notes.add("tokenizer.model has " + pieces.size() + " pieces but config.json vocab_size is " + n
                    + "; the extra pieces are dropped");
        }
        // added tokens (tokenizer_config.json added_tokens_decoder, tokenizer.json added_tokens) override pieces
        Map<Integer, HfTokenizerJson.AddedToken> added = new HashMap<>(tc.addedTokensDecoder());
        tj.ifPresent(t -> t.addedTokens().forEach(a -> added.putIfAbsent(a.id(), a)));
        for (var a : added.values()) {
            if (a.id() < 0 || a.id() >= n) {
                continue;
            }
            if (!a.content().equals(tokens[a.id()]) || types[a.id()] == UNUSED) {
                tokens[a.id()] = a.content();
                scores[a.id()] = -1000f;
                types[a.id()] = a.special() ? CONTROL : USER_DEFINED;
            }
        }
        for (int i = 0; i < n; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        if (spm.modelType() != 1 && spm.modelType() != 2) {
            notes.add("tokenizer.model is a SentencePiece model of type " + spm.modelType()
                    + " (word/char); llama.cpp's SPM tokenizer treats it as unigram/BPE");
        }
        kv.putString("tokenizer.ggml.model", "llama");
        kv.putString("tokenizer.ggml.pre", "default");
        kv.putStringArray("tokenizer.ggml.tokens", List.of(tokens));
        kv.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
        kv.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        return new Result("llama", "default", n, notes);
    }

    private static Result fromTokenizerJsonSpm(GgufMetadata kv, HfTokenizerJson t, int vocabSize,
                                               Map<String, Integer> ids, List<String> notes, boolean unigram) {
        int n = Math.max(vocabSize, t.size());
        if (vocabSize > 0 && t.size() > vocabSize) {
            notes.add("tokenizer.json has " + t.size() + " tokens but config.json vocab_size is " + vocabSize);
        }
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        float[] unigramScores = t.unigramScores().orElse(null);
        Map<String, Integer> rank = new HashMap<>();
        if (!unigram) {
            List<String> merges = t.merges();
            for (int r = 0; r < merges.size(); r++) {
                String m = merges.get(r);
                int sp = m.indexOf(' ', m.startsWith(" ") ? 1 : 0);
                rank.putIfAbsent(m.substring(0, sp) + m.substring(sp + 1), r);
            }
        }
        Map<Integer, HfTokenizerJson.AddedToken> added = new HashMap<>();
        t.addedTokens().forEach(a -> added.put(a.id(), a));
        String unk = t.unkToken().orElse(null);
        boolean byteFallback = t.byteFallback();
        for (int i = 0; i < n; i++) {
            String tok = t.token(i);
            if (tok == null) {
                tokens[i] = "[PAD" + i + "]";
                scores[i] = -10000f;
                types[i] = UNUSED;
                continue;
            }
            tokens[i] = tok;
            var a = added.get(i);
            if (tok.equals(unk)) {
                types[i] = UNKNOWN;
            } else if (a != null) {
                types[i] = a.special() ? CONTROL : USER_DEFINED;
            } else if (byteFallback && tok.length() == 6 && tok.startsWith("<0x") && tok.endsWith(">")) {
                types[i] = BYTE;
            } else {
                types[i] = NORMAL;
            }
            if (unigram) {
                scores[i] = unigramScores != null && i < unigramScores.length ? unigramScores[i] : 0f;
            } else if (a != null) {
                scores[i] = -1000f;
            } else {
                Integer r = rank.get(tok);
                scores[i] = r == null ? 0f : -(r + 1);
            }
        }
        for (int i = 0; i < n; i++) {
            ids.putIfAbsent(tokens[i], i);
        }
        if (!unigram) {
            notes.add("tokenizer.json is a SentencePiece-style BPE (" + (byteFallback ? "byte fallback" : "Metaspace")
                    + "): written as llama.cpp's 'llama' (SPM) vocabulary with scores from the merge ranks");
        }
        kv.putString("tokenizer.ggml.model", "llama");
        kv.putString("tokenizer.ggml.pre", "default");
        kv.putStringArray("tokenizer.ggml.tokens", List.of(tokens));
        kv.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
        kv.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        return new Result("llama", "default", n, notes);
    }

    // ---- byte-level BPE (gpt2) ----------------------------------------------------------------------------------

    private static Result gpt2(GgufMetadata kv, HfTokenizerJson t, int vocabSize, Map<String, Integer> ids,
                               List<String> notes) {
        int n = vocabSize > 0 ? Math.max(vocabSize, t.size()) : t.size();
        String[] tokens = new String[n];
        int[] types = new int[n];
        Map<Integer, HfTokenizerJson.AddedToken> added = new HashMap<>();
        t.addedTokens().forEach(a -> added.put(a.id(), a));
        for (int i = 0; i < n; i++) {
            String tok = t.token(i);
            if (tok == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
                continue;
            }
            var a = added.get(i);
            if (a != null) {
                if (a.special() || looksSpecial(tok)) {
                    types[i] = CONTROL;
                } else {
                    tok = tok.replace("\u2581", " ");
                    types[i] = USER_DEFINED;
                }
            } else {
                types[i] = NORMAL;
            }
            tokens[i] = tok;
            ids.putIfAbsent(tok, i);
        }
        String pre = PreTokenizers.detect(t);
        if (pre.equals("default")) {
            notes.add("WARNING: the BPE pre-tokenizer of " + t.file().getFileName() + " is not one weightcast "
                    + "recognizes; wrote tokenizer.ggml.pre = \"default\" (llama.cpp may tokenize text differently "
                    + "from transformers). convert_hf_to_gguf would refuse this tokenizer.");
        }
        kv.putString("tokenizer.ggml.model", "gpt2");
        kv.putString("tokenizer.ggml.pre", pre);
        kv.putStringArray("tokenizer.ggml.tokens", List.of(tokens));
        kv.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        kv.putStringArray("tokenizer.ggml.merges", t.merges());
        return new Result("gpt2", pre, n, notes);
    }

    /** convert_hf_to_gguf's does_token_look_special. */
    static boolean looksSpecial(String tok) {
        return tok.equals("<pad>") || tok.equals("<mask>") || tok.equals("<2mass>") || tok.equals("[@BOS@]")
                || (tok.startsWith("<|") && tok.endsWith("|>")) || (tok.startsWith("<｜") && tok.endsWith("｜>"))
                || (tok.startsWith("<unused") && tok.endsWith(">"));
    }

    // ---- WordPiece (bert) ---------------------------------------------------------------------------------------

    private static Result wordPiece(GgufMetadata kv, HfTokenizerJson t, int vocabSize, Map<String, Integer> ids,
                                    List<String> notes) {
        int n = vocabSize > 0 ? Math.max(vocabSize, t.size()) : t.size();
        String[] tokens = new String[n];
        int[] types = new int[n];
        Map<Integer, HfTokenizerJson.AddedToken> added = new HashMap<>();
        t.addedTokens().forEach(a -> added.put(a.id(), a));
        for (int i = 0; i < n; i++) {
            String tok = t.token(i);
            if (tok == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
                continue;
            }
            ids.putIfAbsent(tok, i);
            var a = added.get(i);
            if (a != null && a.special()) {
                types[i] = CONTROL;
            } else if (tok.startsWith("##")) {
                tok = tok.substring(2);
                types[i] = NORMAL;
            } else {
                tok = "\u2581" + tok; // llama.cpp's WPM vocabulary marks word starts with a phantom space
                types[i] = NORMAL;
            }
            tokens[i] = tok;
        }
        kv.putString("tokenizer.ggml.model", "bert");
        kv.putString("tokenizer.ggml.pre", "default");
        kv.putStringArray("tokenizer.ggml.tokens", List.of(tokens));
        kv.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        notes.add("WordPiece vocabulary written as llama.cpp's 'bert' model with pre-tokenizer 'default'");
        return new Result("bert", "default", n, notes);
    }

    // ---- SpecialVocab -------------------------------------------------------------------------------------------

    private static void special(GgufMetadata kv, HfModelFolder folder, HfConfig config, HfTokenizerConfig tc,
                                Optional<HfTokenizerJson> tj, Map<String, Integer> ids, List<String> notes)
            throws IOException {
        String[][] kinds = {{"bos", "bos_token", "bos"}, {"eos", "eos_token", "eos"}, {"unk", "unk_token", "unknown"},
            {"sep", "sep_token", "seperator"}, {"pad", "pad_token", "padding"}};
        Integer bosId = null;
        Integer eosId = null;
        for (String[] k : kinds) {
            Integer id = tc.specialToken(k[1]).map(ids::get).orElse(null);
            if (id == null && config != null) {
                var fromConfig = config.integer(k[0] + "_token_id");
                if (fromConfig.isPresent()) {
                    id = fromConfig.getAsInt();
                }
            }
            if (id == null && k[0].equals("unk") && tj.isPresent()) {
                id = tj.get().unkToken().map(ids::get).orElse(null);
            }
            if (id != null) {
                kv.putUint32("tokenizer.ggml." + k[2] + "_token_id", id);
                if (k[0].equals("bos")) {
                    bosId = id;
                } else if (k[0].equals("eos")) {
                    eosId = id;
                }
            }
        }
        Optional<Boolean> addBos = tc.addBosToken();
        Optional<Boolean> addEos = tc.addEosToken();
        if ((addBos.isEmpty() || addEos.isEmpty()) && tj.isPresent()) {
            // SpecialVocab reads tokenizer.json's TemplateProcessing: a leading special token means add_bos, etc.
            JsonNode single = tj.get().postProcessor().path("single");
            if (single.isArray() && !single.isEmpty()) {
                JsonNode first = single.get(0).path("SpecialToken");
                JsonNode last = single.get(single.size() - 1).path("SpecialToken");
                boolean leading = !first.isMissingNode();
                boolean trailing = !last.isMissingNode();
                if (addBos.isEmpty()) {
                    addBos = Optional.of(leading && (bosId == null
                            || first.path("id").asText().equals(tj.get().token(bosId))));
                }
                if (addEos.isEmpty()) {
                    addEos = Optional.of(trailing && (eosId == null
                            || last.path("id").asText().equals(tj.get().token(eosId))));
                }
            }
        }
        addBos.ifPresent(v -> kv.putBool("tokenizer.ggml.add_bos_token", v));
        addEos.ifPresent(v -> kv.putBool("tokenizer.ggml.add_eos_token", v));
        Optional<String> template = tc.chatTemplate();
        if (template.isEmpty()) {
            var jinja = folder.file("chat_template.jinja");
            if (jinja.isPresent()) {
                template = Optional.of(Files.readString(jinja.get()));
            }
        }
        template.filter(s -> !s.isEmpty()).ifPresent(s -> kv.putString("tokenizer.chat_template", s));
    }

    /** Copies every {@code tokenizer.*} key of another GGUF (e.g. a llama.cpp vocab-only file). */
    public static int copyFrom(GgufMetadata kv, GgufMetadata source) {
        int n = 0;
        for (String key : source.keys()) {
            if (key.startsWith("tokenizer.")) {
                kv.put(key, source.get(key).orElseThrow());
                n++;
            }
        }
        return n;
    }

}
