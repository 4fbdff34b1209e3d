package io.weightcast.core.plan.llama;

import io.weightcast.formats.tensor.DType;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One {@code --tensor-type PATTERN=TYPE}: PATTERN is a regular expression searched anywhere in the tensor name
 * (C++ {@code std::regex_search}, so {@code attn_q} matches {@code blk.0.attn_q.weight}); the pattern is
 * lower-cased as llama-quantize does. The first matching option wins.
 */
public record TensorTypeOverride(String pattern, Pattern regex, DType type) {

    public static TensorTypeOverride parse(String option) {
        int eq = option.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("malformed --tensor-type '" + option + "': expected PATTERN=TYPE, "
                    + "e.g. attn_v=q8_0");
        }
        if (eq == 0) {
            throw new IllegalArgumentException("--tensor-type '" + option + "': missing tensor name pattern");
        }
        if (eq == option.length() - 1) {
            throw new IllegalArgumentException("--tensor-type '" + option + "': missing quantization type");
        }
        String pattern = option.substring(0, eq).toLowerCase(Locale.ROOT);
        DType type = parseGgmlType(option.substring(eq + 1));
        try {
            return new TensorTypeOverride(pattern, Pattern.compile(pattern), type);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--tensor-type '" + option + "': bad regular expression: "
                    + e.getDescription());
        }
    }

    public boolean matches(String tensorName) {
        return regex.matcher(tensorName).find();
    }

    /** A ggml type name in any case (q4_k, Q8_0, f16…), as llama-quantize's {@code parse_ggml_type}. */
    public static DType parseGgmlType(String name) {
        String n = name.trim();
        for (DType t : DType.values()) {
            if (t.ggmlName().map(g -> g.equalsIgnoreCase(n)).orElse(false)) {
                return t;
            }
        }
        throw new IllegalArgumentException("invalid ggml type '" + name + "'; use a ggml type name such as q4_K, "
                + "q6_K, q8_0, f16, iq4_nl");
    }
}
