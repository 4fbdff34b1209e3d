package io.weightcast.core.layout;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An opened model seen as logical tensors: each quantized weight's keys grouped and dequantized on the fly,
 * every other tensor as it is. Recognises the layout from {@code config.json}'s {@code quantization_config} (or
 * MLX's {@code quantization}) and from the key names.
 *
 * @param summary what {@code inspect} prints: method, bits, block or group size, skipped modules
 */
public record QuantizedCheckpoint(List<LogicalTensor> tensors, Summary summary) {

    /** The layout of a checkpoint as its config and keys say. */
    public record Summary(String method, String detail, List<String> skippedModules, int quantizedWeights,
            Map<String, Object> quantizationConfig) {
        public boolean quantized() {
            return quantizedWeights > 0;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static QuantizedCheckpoint of(ModelFile model) throws IOException {
        Path folder = folderOf(model.path());
        Map<String, Object> config = readJson(folder == null ? null : folder.resolve("config.json"));
        return of(model, folder, config);
    }

    @SuppressWarnings("unchecked")
    public static QuantizedCheckpoint of(ModelFile model, Path folder, Map<String, Object> config)
            throws IOException {
        Map<String, Object> qc = config.get("quantization_config") instanceof Map<?, ?> m
                ? (Map<String, Object>) m
                : config.get("quantization") instanceof Map<?, ?> m2 ? (Map<String, Object>) m2 : Map.of();
        Map<String, TensorView> remaining = new LinkedHashMap<>();
        Map<String, Integer> position = new HashMap<>();
        for (TensorView t : model.tensors()) {
            position.put(t.name(), position.size());
            remaining.put(t.name(), t);
        }
        LayoutReader.ReadContext ctx = new LayoutReader.ReadContext(folder, config);
        List<LogicalTensor> out = new ArrayList<>();
        for (LayoutReader r : readers()) {
            out.addAll(r.claim(remaining, qc, ctx));
        }
        int quantized = out.size();
        for (TensorView t : remaining.values()) {
            out.add(LogicalTensor.plain(t));
        }
        out.sort(Comparator.comparingInt(t -> position.getOrDefault(t.parts().get(0).name(),
                position.getOrDefault(t.name(), Integer.MAX_VALUE))));
        return new QuantizedCheckpoint(List.copyOf(out), summarize(qc, out, quantized));
    }

    private static List<LayoutReader> readers() {
        return List.of(new Fp8BlockReader(), new BnbReader(), new CompressedTensorsReader(), new MlxReader(),
                new QuantoReader(), new SdnqReader());
    }

    private static Summary summarize(Map<String, Object> qc, List<LogicalTensor> tensors, int quantized) {
        String method = qc.containsKey("quant_method") ? String.valueOf(qc.get("quant_method"))
                : qc.containsKey("group_size") && qc.containsKey("bits") ? "mlx"
                : tensors.stream().anyMatch(t -> t.layout().startsWith("quanto ")) ? "quanto"
                : tensors.stream().anyMatch(t -> t.layout().startsWith("mlx ")) ? "mlx"
                : quantized > 0 ? "unknown" : "none";
        StringBuilder detail = new StringBuilder();
        tensors.stream().filter(t -> !t.isPlain()).map(LogicalTensor::layout).distinct()
                .forEach(l -> detail.append(detail.isEmpty() ? "" : "; ").append(l));
        List<String> skipped = new ArrayList<>();
        for (String key : List.of("modules_to_not_convert", "llm_int8_skip_modules", "ignore")) {
            if (qc.get(key) instanceof List<?> l) {
                l.forEach(x -> skipped.add(String.valueOf(x)));
            }
        }
        return new Summary(method, detail.toString(), skipped, quantized, qc);
    }

    /** The folder holding config.json: the path itself, or the folder of a file. */
    public static Path folderOf(Path path) {
        Path abs = path.toAbsolutePath();
        return Files.isDirectory(abs) ? abs : abs.getParent();
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> readJson(Path file) throws IOException {
        if (file == null || !Files.isRegularFile(file)) {
            return Map.of();
        }
        try {
            return JSON.readValue(file.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
