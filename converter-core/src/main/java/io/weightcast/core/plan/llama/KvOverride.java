package io.weightcast.core.plan.llama;

import io.weightcast.formats.gguf.GgufValue;

/**
 * One {@code --override-kv KEY=TYPE:VALUE}, TYPE ∈ int, float, bool, str. Written as llama-quantize writes it:
 * int as UINT32 of the absolute value (llama.cpp #14182), float as FLOAT32, bool, str (at most 127 bytes).
 */
public record KvOverride(String key, GgufValue value) {

    public static KvOverride parse(String option) {
        int eq = option.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("malformed --override-kv '" + option + "': expected KEY=TYPE:VALUE, "
                    + "e.g. tokenizer.ggml.add_bos_token=bool:false");
        }
        String key = option.substring(0, eq);
        if (key.length() >= 128) {
            throw new IllegalArgumentException("--override-kv key too long (" + key.length() + " > 127): " + key);
        }
        String rest = option.substring(eq + 1);
        int colon = rest.indexOf(':');
        String type = colon < 0 ? rest : rest.substring(0, colon);
        String v = colon < 0 ? "" : rest.substring(colon + 1);
        GgufValue value = switch (type) {
            case "int" -> {
                try {
                    yield GgufValue.uint32(Math.abs(Long.parseLong(v.trim())) & 0xFFFF_FFFFL);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--override-kv '" + option + "': '" + v + "' is not an int");
                }
            }
            case "float" -> {
                try {
                    yield GgufValue.float32((float) Double.parseDouble(v.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--override-kv '" + option + "': '" + v + "' is not a float");
                }
            }
            case "bool" -> switch (v) {
                case "true" -> GgufValue.bool(true);
                case "false" -> GgufValue.bool(false);
                default -> throw new IllegalArgumentException("--override-kv '" + option
                        + "': bool values are true or false, got '" + v + "'");
            };
            case "str" -> {
                if (v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 127) {
                    throw new IllegalArgumentException("--override-kv '" + option + "': string values are at most "
                            + "127 bytes");
                }
                yield GgufValue.string(v);
            }
            default -> throw new IllegalArgumentException("--override-kv '" + option + "': unknown type '" + type
                    + "'; use int, float, bool or str");
        };
        return new KvOverride(key, value);
    }
}
