package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.LayoutEngine;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.engine.WriteItem;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.ModuleRules;
import io.weightcast.core.layout.PyJson;
import io.weightcast.core.layout.QuantLayout;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorSink;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a pre-quantized Hugging Face checkpoint folder: quantizes the Linear weights with a {@link QuantLayout},
 * keeps every other tensor, writes {@code config.json} with the layout's {@code quantization_config} and copies the
 * source folder's other files (tokenizer, generation config, …) so the output is a complete checkpoint. The input
 * may itself be quantized (any layout weightcast reads): its weights are dequantized on the fly first.
 */
public final class QuantizeService {
    private QuantizeService() {
    }

    /** What was done: tensors quantized, modules left unquantized (and why), warnings, sizes. */
    public record Result(Path output, int quantized, List<String> unquantized, List<String> shapeSkipped,
            List<String> warnings, long sourceBytes, long targetBytes, Duration elapsed) {
    }

    /**
     * The decisions for one model, without writing: the items and the skip lists ({@code unquantized} holds every
     * Linear left unquantized; {@code shapeSkipped} and {@code recipeSkipped} those left out for the layout's shape
     * rules and the recipe's skip patterns; both are written explicitly into the config's skip list).
     */
    public record Plan(List<WriteItem> items, int quantized, List<String> unquantized, List<String> shapeSkipped,
            List<String> recipeSkipped) {
        public List<TensorSpec> specs() {
            return LayoutEngine.specs(items);
        }
    }

    public static Plan plan(QuantizedCheckpoint model, QuantLayout layout) {
        List<WriteItem> items = new ArrayList<>();
        List<String> unquantized = new ArrayList<>();
        List<String> shapeSkipped = new ArrayList<>();
        List<String> recipeSkipped = new ArrayList<>();
        int quantized = 0;
        ModuleRules rules = layout.rules();
        for (LogicalTensor t : model.tensors()) {
            String module = ModuleRules.moduleOf(t.name());
            boolean linear = ModuleRules.isLinearWeight(t.name(), t.shape());
            if (linear && layout.recipeSkip(t.name()).isPresent()) {
                recipeSkipped.add(module);
            } else if (linear && rules.skippedBy(module).isEmpty()) {
                Optional<String> why = layout.unsupportedShape(t.shape());
                if (why.isEmpty()) {
                    long srcBytes = t.storedBytes();
                    items.add(new WriteItem.Encoded(t.name(), t.elementCount(), srcBytes, t.source(),
                            layout.encoder(t.name(), t.shape(), t.dtype(), t.source()), module));
                    quantized++;
                    continue;
                }
                shapeSkipped.add(module);
            }
            if (linear) {
                unquantized.add(module);
            }
            TensorSpec target = new TensorSpec(t.name(), t.shape(), t.dtype());
            items.add(new WriteItem.Plain(t.isPlain() ? new TensorJob(t.asView(), target)
                    : new TensorJob(t.asView(), target, t.source()), module));
        }
        return new Plan(items, quantized, unquantized, shapeSkipped, recipeSkipped);
    }

    public static Result quantize(Path input, Path outputFolder, QuantLayout layout, EngineOptions engine,
            long maxShardBytes, ProgressListener progress) throws IOException {
        long start = System.nanoTime();
        Path in = input.toAbsolutePath().normalize();
        Path out = outputFolder.toAbsolutePath().normalize();
        if (out.equals(in) || out.equals(QuantizedCheckpoint.folderOf(in))) {
            throw new IllegalArgumentException("the output folder " + outputFolder + " is the input; choose another");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("the output " + outputFolder + " must be a folder (a quantized "
                    + "checkpoint is config.json + safetensors + tokenizer files)");
        }
        try (ModelFile source = ModelFiles.open(input)) {
            QuantizedCheckpoint model = QuantizedCheckpoint.of(source);
            Plan plan = plan(model, layout);
            Files.createDirectories(out);
            Map<String, String> groupOf = new HashMap<>();
            for (WriteItem item : plan.items()) {
                item.outputs().forEach(s -> groupOf.put(s.name(), item.group()));
            }
            long max = maxShardBytes > 0 ? maxShardBytes : Long.MAX_VALUE;
            try (TensorSink sink = SafetensorsWriter.createSharded(out, "model", plan.specs(), Map.of("format", "pt"),
                    max, s -> groupOf.getOrDefault(s.name(), s.name()))) {
                new LayoutEngine(engine).run(plan.items(), sink, progress);
                sink.commit();
            }
            Path srcFolder = QuantizedCheckpoint.folderOf(input);
            List<String> listed = new ArrayList<>(plan.shapeSkipped());
            listed.addAll(plan.recipeSkipped());
            writeConfig(srcFolder, out, layout.quantizationConfig(plan.unquantized(), listed));
            copyOtherFiles(srcFolder, out);
            long srcBytes = plan.items().stream().mapToLong(WriteItem::sourceBytes).sum();
            long dstBytes = plan.specs().stream().mapToLong(TensorSpec::byteSize).sum();
            return new Result(out, plan.quantized(), plan.unquantized(), plan.shapeSkipped(),
                    layout.rules().warnings(), srcBytes, dstBytes, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** The source's config.json with {@code quantization_config} set, written as transformers writes it. */
    static void writeConfig(Path srcFolder, Path out, Map<String, Object> quantizationConfig) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>(
                QuantizedCheckpoint.readJson(srcFolder == null ? null : srcFolder.resolve("config.json")));
        config.put("quantization_config", quantizationConfig);
        Files.writeString(out.resolve("config.json"), PyJson.configFile(config), StandardCharsets.UTF_8);
    }

    /** Copies the non-weight files (tokenizer, generation config, chat template, …) so the folder is complete. */
    static void copyOtherFiles(Path srcFolder, Path out) throws IOException {
        if (srcFolder == null || !Files.isDirectory(srcFolder)) {
            return;
        }
        try (var files = Files.list(srcFolder)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json")
                        || n.equals("config.json") || n.endsWith(".gguf") || n.equals("quanto_qmap.json")
                        || n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt")) {
                    continue;
                }
                Files.copy(f, out.resolve(n), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
