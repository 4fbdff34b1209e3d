package io.weightcast.core.vocab;

import com.fasterxml.jackson.databind.JsonNode;
import io.weightcast.formats.hf.HfTokenizerJson;
import java.util.List;

/**
 * Chooses {@code tokenizer.ggml.pre} for a byte-level BPE tokenizer. convert_hf_to_gguf hashes the Python
 * tokenizer's ids for a test text; without Python we recognize the pre-tokenizer's split regex (the part that
 * differs between families) and a few vocabulary fingerprints.
 */
final class PreTokenizers {
    /** Llama 3's split: digits in groups of up to 3. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen 2/2.5/3's split: single digits. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private PreTokenizers() {
    }

    static String detect(HfTokenizerJson t) {
        // vocabulary fingerprints first: they identify the family even when the regex was re-serialized
        if (t.idOf("<|begin_of_text|>").filter(id -> id == 128000).isPresent()) {
            return "llama-bpe";
        }
        if (t.idOf("<|endoftext|>").filter(id -> id == 151643).isPresent()) {
            return "qwen2";
        }
        JsonNode pre = t.preTokenizer();
        List<JsonNode> splits = HfTokenizerJson.components(pre, "Split");
        for (JsonNode s : splits) {
            String regex = s.path("pattern").path("Regex").asText(s.path("pattern").path("String").asText(""));
            if (regex.equals(LLAMA3)) {
                return "llama-bpe";
            }
            if (regex.equals(QWEN2)) {
                return "qwen2";
            }
        }
        List<JsonNode> byteLevel = HfTokenizerJson.components(pre, "ByteLevel");
        if (splits.isEmpty() && byteLevel.size() == 1 && byteLevel.get(0).path("use_regex").asBoolean(true)) {
            return "gpt-2";
        }
        return "default";
    }
}
