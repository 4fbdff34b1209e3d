package io.weightcast.formats.safetensors;

/**
 * Writes JSON strings byte-for-byte the way the reference writers do, which Jackson's generator does not
 * (it writes upper-case hex escapes). Two dialects: serde_json's, used inside safetensors headers (non-ASCII kept
 * as UTF-8), and Python {@code json.dumps}' default, used by transformers for index files (everything outside
 * printable ASCII escaped).
 */
final class JsonText {
    private JsonText() {
    }

    /** serde_json's escaping: quote, backslash and control characters only. */
    static void serdeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!escapeCommon(out, c)) {
                if (c < 0x20) {
                    unicodeEscape(out, c);
                } else {
                    out.append(c);
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code json.dumps(..., ensure_ascii=True)}: anything outside {@code ' '..'~'} becomes \\uXXXX. */
    static void pythonString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!escapeCommon(out, c)) {
                if (c < 0x20 || c > 0x7e) {
                    unicodeEscape(out, c); // UTF-16 units, so supplementary characters become surrogate pairs
                } else {
                    out.append(c);
                }
            }
        }
        out.append('"');
    }

    private static boolean escapeCommon(StringBuilder out, char c) {
        String e = switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            default -> null;
        };
        if (e != null) {
            out.append(e);
        }
        return e != null;
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        out.append("0".repeat(4 - hex.length())).append(hex);
    }
}
