package io.weightcast.core.diffusion;

import io.weightcast.core.arch.ArchitectureMapping;
import io.weightcast.core.arch.Architectures;
import io.weightcast.core.engine.ConversionEngine;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertResult;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.hf.HfModelFolder;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Converts diffusion checkpoints to GGUF for ComfyUI-GGUF, diffusers or ggml programs: a single UNet/DiT checkpoint
 * (file, shards or folder) to one GGUF, or a diffusers pipeline folder to one GGUF per component (the denoiser and
 * the T5 encoders, LLM encoders of a mapped family through the LLM path; CLIP encoders and the VAE are left as
 * they are, each with a note saying why).
 */
public final class DiffusionConvertService {
    private DiffusionConvertService() {
    }

    /**
     * One component's outcome.
     *
     * @param plan       null when the component is left out
     * @param skipReason why it is left out, else null
     */
    public record ComponentResult(String component, Path source, Path output, DiffusionPlan plan, String skipReason,
                                  Duration elapsed) {
        public boolean converted() {
            return plan != null;
        }
    }

    /** Whether the input is a diffusion model: a pipeline folder, or a checkpoint whose keys one family matches. */
    public static boolean isDiffusionModel(Path input) throws IOException {
        if (PipelineFolder.isPipeline(input)) {
            return true;
        }
        try (ModelFile m = ModelFiles.open(input)) {
            return ArchDetector.detect(names(m.tensors())).isPresent();
        }
    }

    /** Plans without writing (dry run). */
    public static List<ComponentResult> plan(DiffusionRequest request) throws IOException {
        return run(request, ProgressListener.NONE, false);
    }

    public static List<ComponentResult> convert(DiffusionRequest request, ProgressListener progress)
            throws IOException {
        return run(request, progress, true);
    }

    private static List<ComponentResult> run(DiffusionRequest r, ProgressListener progress, boolean write)
            throws IOException {
        if (!PipelineFolder.isPipeline(r.input())) {
            return List.of(convertDenoiser(r.input().getFileName().toString(), r.input(), r.output(), r, progress,
                    write));
        }
        if (r.output().getFileName().toString().endsWith(".gguf")) {
            throw new IllegalArgumentException(r.input() + " is a diffusers pipeline folder: give a folder as the "
                    + "output (one GGUF per component is written there, e.g. OUT/transformer.gguf)");
        }
        List<ComponentResult> out = new ArrayList<>();
        for (PipelineFolder.Component c : PipelineFolder.components(r.input())) {
            Path target = r.output().resolve(c.name() + ".gguf");
            out.add(switch (c.kind()) {
                case DENOISER -> convertDenoiser(c.name(), c.folder(), target, r, progress, write);
                case T5_ENCODER -> convertT5(c, target, r, progress, write);
                case VAE -> skipped(c, "VAE kept as safetensors: ComfyUI and diffusers load VAEs from safetensors"
                        + " (no GGUF VAE loader)");
                case CLIP_ENCODER -> skipped(c, "CLIP encoder kept as safetensors: ComfyUI-GGUF's text encoder loader"
                        + " takes t5/t5encoder/llama/qwen GGUFs only, and CLIP is small");
                case LLM_ENCODER -> convertLlm(c, target, r, progress, write);
                case OTHER -> skipped(c, "not a model component weightcast converts (" + c.className() + ")");
            });
        }
        return out;
    }

    /**
     * An LLM text encoder (HiDream's Llama 3.1, …) through the LLM path: llama.cpp names and the rotary permutation
     * that ComfyUI-GGUF's CLIP loader reverses. Families without a mapping are left as safetensors.
     */
    private static ComponentResult convertLlm(PipelineFolder.Component c, Path output, DiffusionRequest r,
                                              ProgressListener progress, boolean write) throws IOException {
        long start = System.nanoTime();
        Optional<HfConfig> config = HfModelFolder.of(c.folder()).isPresent()
                ? HfModelFolder.of(c.folder()).get().config() : Optional.empty();
        Optional<ArchitectureMapping> mapping = config.flatMap(Architectures::forConfig);
        if (mapping.isEmpty()) {
            return skipped(c, c.className() + " is an LLM text encoder without an architecture mapping in weightcast"
                    + " (mapped: " + Architectures.supportedClasses() + "); kept as safetensors");
        }
        DiffusionTarget target = r.target() != null ? r.target() : DiffusionTarget.COMFYUI;
        target.requireLoadable(r.type());
        ConvertRequest req = new ConvertRequest(c.folder(), output, TargetFormat.GGUF, r.type(), r.engine(), 0);
        List<String> notes = new ArrayList<>();
        ConversionPlan plan;
        if (write) {
            requireDistinct(r.input(), output);
            ConvertResult res = ConvertService.convert(req, progress);
            plan = res.plan();
            notes.addAll(res.notes());
        } else {
            plan = ConvertService.plan(req);
        }
        String arch = mapping.get().ggufArchitecture();
        if (arch.equals("llama")) {
            notes.add("ComfyUI-GGUF's loader undoes the attn_q/attn_k permutation of 'llama' GGUFs assuming 32 query "
                    + "and 8 KV heads (Llama-3-8B, as HiDream's encoder); other head counts load wrongly there");
        }
        notes.add("ComfyUI uses its own tokenizer for this encoder; the pipeline's tokenizer folder is not read");
        return new ComponentResult(c.name(), c.folder(), output, new DiffusionPlan(arch, target, plan,
                new GgufMetadata(), List.of(), notes), null, Duration.ofNanos(System.nanoTime() - start));
    }

    private static ComponentResult skipped(PipelineFolder.Component c, String why) {
        return new ComponentResult(c.name(), c.folder(), null, null, why, Duration.ZERO);
    }

    private static ComponentResult convertDenoiser(String component, Path source, Path output, DiffusionRequest r,
                                                   ProgressListener progress, boolean write) throws IOException {
        long start = System.nanoTime();
        try (ModelFile m = ModelFiles.open(source)) {
            // A ComfyUI GGUF as input: plan on the recorded original shapes, so the reshape rules apply afresh
            List<TensorView> tensors = DiffusionVerify.withOriginalShapes(m);
            List<String> names = names(tensors);
            Optional<ArchDetector.Detection> found = ArchDetector.detect(names);
            ArchDetector.Detection d;
            if (r.arch() != null) {
                d = found.filter(f -> f.arch() == r.arch())
                        .orElse(new ArchDetector.Detection(r.arch(), KeyLayout.ORIGINAL, ArchDetector.prefix(names)));
            } else {
                d = found.orElseThrow(() -> new IllegalArgumentException(source + ": not a diffusion model "
                        + "weightcast recognises (none of ComfyUI-GGUF's architecture key sets is present); pass "
                        + "--arch NAME to convert it with that family's rules"));
            }
            DiffusionPlan plan = DiffusionPlanner.plan(tensors, d, r.target(), r.type());
            if (write) {
                write(m, plan, output, r, progress, component);
            }
            return new ComponentResult(component, source, output, plan, null,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static ComponentResult convertT5(PipelineFolder.Component c, Path output, DiffusionRequest r,
                                             ProgressListener progress, boolean write) throws IOException {
        long start = System.nanoTime();
        try (ModelFile m = ModelFiles.open(c.folder())) {
            DiffusionTarget target = r.target() != null ? r.target() : DiffusionTarget.COMFYUI;
            DiffusionPlan plan = TextEncoderPlanner.planT5(m.tensors(), PipelineFolder.config(c.folder()), target,
                    r.type());
            if (write) {
                write(m, plan, output, r, progress, c.name());
            }
            return new ComponentResult(c.name(), c.folder(), output, plan, null,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static void write(ModelFile source, DiffusionPlan plan, Path output, DiffusionRequest r,
                              ProgressListener progress, String name) throws IOException {
        requireDistinct(r.input(), output);
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        GgufMetadata kv = new GgufMetadata(plan.metadata());
        if (!kv.containsKey("general.name")) {
            kv.putString("general.name", name.replaceFirst("\\.(gguf|safetensors)$", ""));
        }
        WriterOptions opts = plan.target() == DiffusionTarget.LLAMA_CPP ? WriterOptions.defaults()
                : WriterOptions.comfyUi(w -> { }); // long names are reported once in the plan's notes
        try (GgufWriter sink = GgufWriter.create(output, kv, plan.plan().targetSpecs(), opts)) {
            new ConversionEngine(r.engine()).run(plan.plan(), sink, progress);
            sink.commit();
        }
    }

    private static void requireDistinct(Path input, Path output) throws IOException {
        Path in = input.toAbsolutePath().normalize();
        Path out = output.toAbsolutePath().normalize();
        if (in.equals(out) || (Files.exists(out) && Files.isSameFile(in, out))) {
            throw new IllegalArgumentException("the output " + output + " is the input; choose another output path");
        }
    }

    static List<String> names(List<TensorView> tensors) {
        return tensors.stream().map(TensorView::name).toList();
    }
}
