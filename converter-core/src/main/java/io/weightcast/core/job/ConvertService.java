package io.weightcast.core.job;

import io.weightcast.core.arch.HfGgufPlan;
import io.weightcast.core.engine.ConversionEngine;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.layout.GgufLayout;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.Planner;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one conversion end to end: opens the input, plans every tensor, streams the plan through the engine
 * into the writer for the target format, and commits the output only when every byte is written.
 */
public final class ConvertService {
    private ConvertService() {
    }

    public static ConvertResult convert(ConvertRequest request, ProgressListener progress) throws IOException {
        long start = System.nanoTime();
        requireDistinctPaths(request.input(), request.output());
        try (ModelFile source = ModelFiles.open(request.input())) {
            Optional<HfGgufPlan> hf = hfPlan(request, source);
            ConversionPlan plan = hf.isPresent() ? hf.get().plan() : planLogical(source, request);
            createParentFolder(request.output());
            try (TensorSink sink = openSink(request, source, plan, hf.map(HfGgufPlan::metadata).orElse(null))) {
                new ConversionEngine(request.engine()).run(plan, sink, progress);
                sink.commit();
            }
            return new ConvertResult(plan, request.output(), Duration.ofNanos(System.nanoTime() - start),
                    hf.map(HfGgufPlan::notes).orElse(List.of()));
        }
    }

    /** Plans without writing: what {@code --dry-run} prints. */
    public static ConversionPlan plan(ConvertRequest request) throws IOException {
        try (ModelFile source = ModelFiles.open(request.input())) {
            Optional<HfGgufPlan> hf = hfPlan(request, source);
            return hf.isPresent() ? hf.get().plan() : planLogical(source, request);
        }
    }

    /**
     * The plan over logical tensors: a pre-quantized checkpoint's weights (FP8 blocks, bnb, compressed-tensors,
     * …) are dequantized on the fly with their scales, never cast byte by byte; plain tensors are as before.
     */
    static ConversionPlan planLogical(ModelFile source, ConvertRequest request) throws IOException {
        QuantizedCheckpoint cp = QuantizedCheckpoint.of(source);
        if (!cp.summary().quantized()) {
            return Planner.plan(source.tensors(), request.format(), request.type());
        }
        Map<String, LogicalTensor> byName = new java.util.HashMap<>();
        cp.tensors().forEach(t -> byName.put(t.name(), t));
        ConversionPlan plan = Planner.plan(cp.tensors().stream().map(LogicalTensor::asView).toList(),
                request.format(), request.type());
        return new ConversionPlan(plan.jobs().stream().map(j -> {
            LogicalTensor t = byName.get(j.source().name());
            return t == null || t.isPlain() ? j : new TensorJob(j.source(), j.target(), t.source());
        }).toList());
    }

    /**
     * Plans a checkpoint → GGUF conversion the way convert_hf_to_gguf does (architecture mapping, metadata,
     * tokenizer); empty for other directions, or when {@code keepNames} asks for the plain tensor copy.
     */
    public static Optional<HfGgufPlan> hfPlan(ConvertRequest request, ModelFile source) throws IOException {
        Optional<HfGgufPlan> hf = hfPlanWithoutMixture(request, source);
        if (request.mixture() == null) {
            return hf;
        }
        if (hf.isEmpty()) {
            throw new IllegalArgumentException("the llama.cpp file type " + request.mixture().ftype().name()
                    + " applies to a checkpoint converted to GGUF with its architecture mapped"
                    + (source instanceof GgufModel ? "; to requantize a GGUF use 'weightcast quantize'" : ""));
        }
        List<String> warnings = new java.util.ArrayList<>();
        HfGgufPlan mixed = ConvertMixture.apply(hf.get(), request.mixture(), request.imatrix(), warnings);
        List<String> notes = new java.util.ArrayList<>(mixed.notes());
        warnings.forEach(w -> notes.add("warning: " + w));
        return Optional.of(new HfGgufPlan(mixed.plan(), mixed.metadata(), mixed.mapping(), mixed.type(), notes));
    }

    private static Optional<HfGgufPlan> hfPlanWithoutMixture(ConvertRequest request, ModelFile source)
            throws IOException {
        if (request.format() != TargetFormat.GGUF || source instanceof GgufModel || request.keepNames()) {
            if (request.vocabFrom() != null) {
                throw new IllegalArgumentException("--vocab-from applies only to a checkpoint converted to GGUF with "
                        + "its architecture mapped");
            }
            return Optional.empty();
        }
        QuantizedCheckpoint cp = QuantizedCheckpoint.of(source);
        if (!cp.summary().quantized()) {
            return Optional.of(HfGgufPlan.prepare(request.input(), source.tensors(), request.type(),
                    request.vocabFrom(), modelName(request.input())));
        }
        // a pre-quantized checkpoint: map its logical tensors, each dequantized on the fly by its own decoder
        Map<String, LogicalTensor> byName = new java.util.HashMap<>();
        cp.tensors().forEach(t -> byName.put(t.name(), t));
        HfGgufPlan hf = HfGgufPlan.prepare(request.input(), cp.tensors().stream().map(LogicalTensor::asView).toList(),
                request.type(), request.vocabFrom(), modelName(request.input()));
        ConversionPlan plan = new ConversionPlan(hf.plan().jobs().stream().map(j -> {
            LogicalTensor t = byName.get(j.source().name());
            return t == null || t.isPlain() ? j : j.withDecoder(t.source());
        }).toList());
        return Optional.of(new HfGgufPlan(plan, hf.metadata(), hf.mapping(), hf.type(), hf.notes()));
    }

    private static TensorSink openSink(ConvertRequest r, ModelFile source, ConversionPlan plan, GgufMetadata hfKv)
            throws IOException {
        if (r.format() == TargetFormat.GGUF) {
            GgufMetadata kv = hfKv != null ? hfKv : GgufLayout.metadata(source, plan,
                    r.type() == null ? io.weightcast.formats.tensor.DType.F16 : r.type(), modelName(r.input()));
            if (r.maxShardBytes() > 0) {
                return GgufWriter.createSplit(r.output(), kv, plan.targetSpecs(), WriterOptions.defaults(),
                        r.maxShardBytes(), Integer.MAX_VALUE);
            }
            return GgufWriter.create(r.output(), kv, plan.targetSpecs(), WriterOptions.defaults());
        }
        // transformers reads "format": "pt" to know the tensors are PyTorch-ordered.
        Map<String, String> metadata = Map.of("format", "pt");
        if (r.maxShardBytes() > 0 || Files.isDirectory(r.output()) || !r.output().toString().endsWith(".safetensors")) {
            long max = r.maxShardBytes() > 0 ? r.maxShardBytes() : Long.MAX_VALUE;
            return SafetensorsWriter.createSharded(r.output(), "model", plan.targetSpecs(), metadata, max);
        }
        return SafetensorsWriter.create(r.output(), plan.targetSpecs(), metadata);
    }

    static String modelName(Path input) {
        Path abs = input.toAbsolutePath().normalize();
        String name = abs.getFileName() == null ? "model" : abs.getFileName().toString();
        if (name.endsWith(".safetensors.index.json")) {
            name = abs.getParent() != null ? abs.getParent().getFileName().toString() : "model";
        } else if (name.equals("model.safetensors") && abs.getParent() != null) {
            name = abs.getParent().getFileName().toString();
        }
        return name.replaceFirst("\\.(gguf|safetensors)$", "");
    }

    /** Like {@code -o out/model.gguf} in llama.cpp's tools: a missing parent folder is created, not an error. */
    private static void createParentFolder(Path output) throws IOException {
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    private static void requireDistinctPaths(Path input, Path output) throws IOException {
        Path in = input.toAbsolutePath().normalize();
        Path out = output.toAbsolutePath().normalize();
        if (in.equals(out) || (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out))) {
            throw new IllegalArgumentException("the output " + output + " is the input; choose another output path");
        }
    }
}
