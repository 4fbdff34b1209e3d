package io.weightcast.core.layout;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which weights a quantized layout touches, with transformers' semantics (hf-formats.md §1.7).
 *
 * <p>A tensor is a candidate when it is the {@code .weight} of a module and has rank ≥ 2 (Linear-like), and is not
 * an embedding or a norm. By default the output head ({@code lm_head}) stays unquantized, as transformers' default
 * list does. User patterns ({@code modules_to_not_convert}) skip a module when, as in transformers'
 * {@code should_convert_module}, {@code re.match(p + "\\.", name)}, {@code re.match(p, name)} (anchored at the start
 * only) or {@code name.endswith(p)}.
 */
public final class ModuleRules {
    private static final System.Logger LOG = System.getLogger(ModuleRules.class.getName());
    private static final List<String> DEFAULT_SKIPS = List.of("lm_head");

    private final List<String> patterns;
    private final List<Pattern> compiled;
    private final boolean explicit;
    private final List<String> warnings = new ArrayList<>();

    private ModuleRules(List<String> patterns, boolean explicit) {
        this.patterns = List.copyOf(patterns);
        this.explicit = explicit;
        this.compiled = new ArrayList<>();
        for (String p : patterns) {
            try {
                compiled.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("modules_to_not_convert: '" + p + "' is not a valid regular"
                        + " expression (transformers matches these patterns as regexes): " + e.getDescription());
            }
        }
    }

    /** The transformers default: skip the output head. */
    public static ModuleRules defaults() {
        return new ModuleRules(DEFAULT_SKIPS, false);
    }

    /** A user list; null means {@link #defaults()}. */
    public static ModuleRules of(List<String> modulesToNotConvert) {
        return modulesToNotConvert == null ? defaults() : new ModuleRules(modulesToNotConvert, true);
    }

    /** Whether the user gave the list (then it is written to the config as given). */
    public boolean explicit() {
        return explicit;
    }

    public List<String> patterns() {
        return patterns;
    }

    /** Warnings collected while matching (a pattern that also matched longer names, e.g. layers.1 → layers.10). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The module of a weight key: {@code a.b.weight} → {@code a.b}. */
    public static String moduleOf(String tensorName) {
        int dot = tensorName.lastIndexOf('.');
        return dot < 0 ? tensorName : tensorName.substring(0, dot);
    }

    /** Whether the tensor is a Linear-like weight at all (before any skip list). */
    public static boolean isLinearWeight(String name, long[] shape) {
        if (!name.endsWith(".weight") || shape.length < 2) {
            return false;
        }
        String module = moduleOf(name).toLowerCase(Locale.ROOT);
        String last = module.substring(module.lastIndexOf('.') + 1);
        return !(last.contains("embed") || last.equals("wte") || last.equals("wpe") || last.contains("norm")
                || last.startsWith("ln") || last.contains("conv") && shape.length > 2);
    }

    /** The pattern that skips this module, if any (transformers' should_convert_module, negated). */
    public synchronized Optional<String> skippedBy(String module) {
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            Pattern c = compiled.get(i);
            boolean match = c.matcher(module).lookingAt() || module.endsWith(p);
            if (match) {
                boolean literal = module.equals(p) || module.startsWith(p + ".") || module.endsWith("." + p)
                        || module.endsWith(p) && !p.contains(".") && module.endsWith("." + p);
                if (!literal && !p.startsWith("\\Q")) {
                    String w = "modules_to_not_convert pattern '" + p + "' also matches '" + module
                            + "' (transformers matches patterns as start-anchored regexes and by suffix; write '"
                            + p + "\\.' or the full name to match only that module)";
                    if (!warnings.contains(w)) {
                        warnings.add(w);
                        LOG.log(System.Logger.Level.WARNING, w);
                    }
                }
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
