package io.weightcast.core.diffusion;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Recognises a diffusion checkpoint from its tensor names as ComfyUI-GGUF's {@code tools/convert.py} does: strip
 * the state-dict prefix ({@code model.diffusion_model.} or {@code model.} when any key has it, {@code net.} when every
 * key has it), then take the first family in {@link DiffusionArch} order one of whose key sets is fully present
 * (key sets marked early are probed before all others).
 */
public final class ArchDetector {
    /** The prefixes convert.py strips when any key starts with them, in order. */
    static final List<String> MIXED_PREFIXES = List.of("model.diffusion_model.", "model.");
    /** The prefixes convert.py strips only when every key starts with them. */
    static final List<String> UNIFORM_PREFIXES = List.of("net.");

    private ArchDetector() {
    }

    /**
     * A recognised checkpoint.
     *
     * @param prefix the state-dict prefix stripped from the names ("" when none); keys without it are left out
     */
    public record Detection(DiffusionArch arch, KeyLayout layout, String prefix) {
    }

    /** The family of a checkpoint with these tensor names, or empty when none of the key sets is present. */
    public static Optional<Detection> detect(Collection<String> names) {
        String prefix = prefix(names);
        Set<String> keys = strip(names, prefix).keySet();
        for (boolean early : new boolean[] {true, false}) {
            for (DiffusionArch arch : DiffusionArch.values()) {
                for (DiffusionArch.KeySet set : arch.keysDetect()) {
                    if (set.early() == early && keys.containsAll(set.keys())) {
                        return Optional.of(new Detection(arch, set.layout(), prefix));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The prefix convert.py would strip from these names, or "" for none. */
    public static String prefix(Collection<String> names) {
        for (String p : MIXED_PREFIXES) {
            if (names.stream().anyMatch(n -> n.startsWith(p))) {
                return p;
            }
        }
        for (String p : UNIFORM_PREFIXES) {
            if (!names.isEmpty() && names.stream().allMatch(n -> n.startsWith(p))) {
                return p;
            }
        }
        return "";
    }

    /**
     * Stripped name → original name, in order. With a prefix, names without it (a full checkpoint's VAE under
     * {@code first_stage_model.}, its text encoders under {@code cond_stage_model.}) are left out.
     */
    public static Map<String, String> strip(Collection<String> names, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : names) {
            if (prefix.isEmpty()) {
                out.put(n, n);
            } else if (n.startsWith(prefix)) {
                out.put(n.substring(prefix.length()), n);
            }
        }
        return out;
    }
}
