package io.weightcast.formats;

import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.gguf.ReaderOptions;
import io.weightcast.formats.safetensors.SafetensorsReader;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.ModelFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** Opens any model weightcast reads, choosing the reader from the bytes (GGUF magic) and the name. */
public final class ModelFiles {
    /** Extensions of Python pickles: loading one can run arbitrary code, so they are refused, never opened. */
    private static final Set<String> PICKLE_EXTENSIONS = Set.of(".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle");

    private ModelFiles() {
    }

    /**
     * Opens a GGUF file (or the first file of a split), a safetensors file, a safetensors index, or a folder of
     * safetensors shards.
     */
    public static ModelFile open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        if (Files.isDirectory(path)) {
            try (var files = Files.list(path)) {
                boolean hasGguf = files.anyMatch(f -> f.getFileName().toString().endsWith(".gguf"));
                boolean hasSafetensors = hasSafetensors(path);
                if (!hasSafetensors && hasGguf) {
                    throw new MalformedFileException(path, -1,
                            "is a folder of GGUF files; give the .gguf file (or the first file of a split) instead");
                }
            }
            return SafetensorsReader.open(path);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : PICKLE_EXTENSIONS) {
            if (name.endsWith(ext)) {
                throw new MalformedFileException(path, -1, "is a Python pickle (" + ext + "); weightcast never "
                        + "loads pickles because unpickling can run arbitrary code. Convert it to safetensors in a "
                        + "trusted environment first (e.g. transformers' save_pretrained(safe_serialization=True))");
            }
        }
        if (startsWithGgufMagic(path)) {
            // Reading is lenient about ComfyUI-GGUF's 127-byte tensor names; writers enforce each target's limit.
            return GgufReader.open(path, ReaderOptions.comfyUi());
        }
        if (name.endsWith(".gguf")) {
            throw new MalformedFileException(path, 0, "does not start with the GGUF magic bytes 'GGUF'");
        }
        return SafetensorsReader.open(path);
    }

    private static boolean hasSafetensors(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> {
                String n = f.getFileName().toString();
                return n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json");
            });
        }
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return new String(magic, StandardCharsets.ISO_8859_1).equals("GGUF");
        }
    }
}
