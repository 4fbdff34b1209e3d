package io.weightcast.core.plan;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** The file format a conversion writes. */
public enum TargetFormat {
    GGUF,
    SAFETENSORS;

    public static Optional<TargetFormat> parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "gguf" -> Optional.of(GGUF);
            case "safetensors", "st" -> Optional.of(SAFETENSORS);
            default -> Optional.empty();
        };
    }

    /** Guesses from the output path: {@code .gguf} → GGUF, {@code .safetensors} or a folder name → safetensors. */
    public static Optional<TargetFormat> fromPath(Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gguf")) {
            return Optional.of(GGUF);
        }
        if (name.endsWith(".safetensors")) {
            return Optional.of(SAFETENSORS);
        }
        return Optional.empty();
    }
}
