package io.weightcast.core.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A diffusers pipeline folder: {@code model_index.json} and one subfolder per component. */
public final class PipelineFolder {
    public static final String MODEL_INDEX = "model_index.json";

    /** What a component is, for conversion purposes. */
    public enum Kind { DENOISER, T5_ENCODER, CLIP_ENCODER, LLM_ENCODER, VAE, OTHER }

    /** One entry of model_index.json with weights in its subfolder. */
    public record Component(String name, String library, String className, Path folder, Kind kind) {
    }

    private PipelineFolder() {
    }

    public static boolean isPipeline(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(MODEL_INDEX));
    }

    /** The components that hold safetensors weights, in model_index.json order. */
    public static List<Component> components(Path folder) throws IOException {
        JsonNode index = new ObjectMapper().readTree(folder.resolve(MODEL_INDEX).toFile());
        List<Component> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = index.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode v = e.getValue();
            if (!v.isArray() || v.size() != 2 || !v.get(0).isTextual() || !v.get(1).isTextual()) {
                continue;
            }
            Path sub = folder.resolve(e.getKey());
            if (!Files.isDirectory(sub) || !hasSafetensors(sub)) {
                continue;
            }
            String lib = v.get(0).asText();
            String cls = v.get(1).asText();
            out.add(new Component(e.getKey(), lib, cls, sub, classify(e.getKey(), lib, cls)));
        }
        return out;
    }

    static Kind classify(String name, String library, String className) {
        String c = className.toLowerCase(Locale.ROOT);
        if (c.startsWith("autoencoder") || name.startsWith("vae")) {
            return Kind.VAE;
        }
        if (c.equals("t5encodermodel") || c.equals("umt5encodermodel")) {
            return Kind.T5_ENCODER;
        }
        if (c.startsWith("clip")) {
            return Kind.CLIP_ENCODER;
        }
        if (library.equals("transformers")) {
            return Kind.LLM_ENCODER;
        }
        if (library.equals("diffusers") && (name.startsWith("transformer") || name.startsWith("unet")
                || name.equals("prior") || c.contains("transformer") || c.contains("unet"))) {
            return Kind.DENOISER;
        }
        return Kind.OTHER;
    }

    private static boolean hasSafetensors(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors"));
        }
    }

    /** The component's config.json, or null when absent. */
    static JsonNode config(Path componentFolder) throws IOException {
        Path cfg = componentFolder.resolve("config.json");
        return Files.isRegularFile(cfg) ? new ObjectMapper().readTree(cfg.toFile()) : null;
    }
}
