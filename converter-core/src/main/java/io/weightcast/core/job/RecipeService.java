package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.layout.QuantLayout;
import io.weightcast.core.layout.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a {@link Recipe}: one model folder is quantized with the recipe's layout; a diffusers pipeline folder
 * ({@code model_index.json} + component subfolders) converts component by component, each quantized component
 * getting its own {@code config.json} with its {@code quantization_config}, the others copied unchanged.
 */
public final class RecipeService {
    private RecipeService() {
    }

    /** Per component ("" for a single model): the result, or null when the component was copied. */
    public static Map<String, QuantizeService.Result> run(Path input, Path output, Recipe recipe,
            EngineOptions engine, long maxShardBytes, ProgressListener progress) throws IOException {
        Map<String, QuantizeService.Result> results = new LinkedHashMap<>();
        if (Files.isDirectory(input) && Files.isRegularFile(input.resolve("model_index.json"))) {
            Files.createDirectories(output);
            List<String> unknown = new ArrayList<>();
            for (String c : recipe.components()) {
                if (!Files.isDirectory(input.resolve(c))) {
                    unknown.add(c);
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("recipe names components " + unknown + " that are not folders of "
                        + input);
            }
            try (var entries = Files.list(input)) {
                for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                    String name = p.getFileName().toString();
                    QuantLayout layout = recipe.components().isEmpty() && recipe.byComponent().containsKey("")
                            ? (hasWeights(p) && isModelComponent(p) ? recipe.layoutFor("") : null)
                            : recipe.layoutFor(name);
                    if (Files.isDirectory(p) && layout != null && hasWeights(p)) {
                        results.put(name, QuantizeService.quantize(p, output.resolve(name), layout, engine,
                                maxShardBytes, progress));
                    } else {
                        copyTree(p, output.resolve(name));
                        results.put(name, null);
                    }
                }
            }
            return results;
        }
        QuantLayout layout = recipe.layoutFor("");
        if (layout == null) {
            throw new IllegalArgumentException("the recipe maps components " + recipe.byComponent().keySet()
                    + " but " + input + " is a single model (no model_index.json); use quant_backend instead");
        }
        results.put("", QuantizeService.quantize(input, output, layout, engine, maxShardBytes, progress));
        return results;
    }

    private static boolean hasWeights(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var f = Files.list(dir)) {
            return f.anyMatch(x -> x.getFileName().toString().endsWith(".safetensors"));
        }
    }

    /** Without components_to_quantize, diffusers quantizes the denoiser and text encoders, not the VAE. */
    private static boolean isModelComponent(Path dir) {
        String n = dir.getFileName().toString();
        return !n.startsWith("vae");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            Files.createDirectories(to);
            try (var f = Files.list(from)) {
                for (Path p : (Iterable<Path>) f::iterator) {
                    copyTree(p, to.resolve(p.getFileName().toString()));
                }
            }
        } else {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
