package io.weightcast.cli;

import io.weightcast.core.diffusion.DiffusionArch;
import io.weightcast.core.diffusion.DiffusionConvertService;
import io.weightcast.core.diffusion.DiffusionRequest;
import io.weightcast.core.diffusion.DiffusionTarget;
import io.weightcast.core.diffusion.PipelineFolder;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertResult;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.job.VerifyService;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.verify.VerifyReport;
import io.weightcast.formats.tensor.DType;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.core.plan.llama.TensorTypeOverride;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {
            "Converts a model: safetensors (a file, an index or a folder of shards) to GGUF, GGUF to safetensors",
            "(dequantized), or safetensors to safetensors (cast).",
            "",
            "For GGUF, --type applies to weights of rank 2 or more whose rows are whole blocks of the type; 1-D",
            "tensors (norms, biases) stay F32 and weights whose rows do not fit the block fall back to F16, as",
            "llama.cpp's convert_hf_to_gguf.py does. Quantization is bit-exact with ggml's reference quantizers.",
            "",
            "A Hugging Face checkpoint converted to GGUF is mapped as llama.cpp's convert_hf_to_gguf.py does when",
            "config.json names an architecture weightcast knows (Llama/Mistral, Qwen2, Qwen3, Gemma2, Gemma3):",
            "GGUF tensor names, the Q/K rotary permutation, Gemma's +1 on norms, hyperparameters and the tokenizer",
            "(tokenizer.json / tokenizer.model). Other checkpoints keep their tensor names, with a note.",
            "",
            "Diffusion models (Flux, SD3, SDXL/SD1 UNets, Aura, HiDream, Cosmos, LTX-Video, HunyuanVideo, Wan, Lumina2,",
            "Qwen-Image; detected from the tensor names as ComfyUI-GGUF's convert.py does) get ComfyUI-GGUF's rules:",
            "general.architecture, names kept (up to 127 bytes), 1-D/small/protected tensors in F32, BF16 sources as",
            "BF16 else F16, embedding/in/out layers unquantized, SD1/SDXL rows reshaped with comfy.gguf.orig_shape.*.",
            "A diffusers pipeline folder (model_index.json) gives one GGUF per component in the OUT folder: the",
            "transformer/unet, T5 text encoders (t5encoder, llama.cpp names) and mapped LLM encoders (llama, ...);",
            "CLIP, unmapped encoders and the VAE are left as they are, with a note.",
            "",
            "The output is written to a temporary file and renamed into place only when complete, so an existing",
            "file at OUT is never left half-written.",
            "",
            "Examples:",
            "  weightcast convert ./my-hf-model -o my-model-q8_0.gguf --type q8_0 --report",
            "  weightcast convert ./my-hf-model -o my-model-Q4_K_M.gguf --type Q4_K_M --imatrix imatrix.gguf",
            "  weightcast convert model.gguf -o model.safetensors",
            "  weightcast convert model.safetensors -o model-bf16.safetensors --type bf16",
            "  weightcast convert flux1-dev.safetensors -o flux1-dev-Q8_0.gguf --type q8_0",
            "  weightcast convert ./FLUX.1-dev -o ./flux-gguf --type q4_k --target diffusers",
            ""})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "the model to convert")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
            description = "the output file (.gguf or .safetensors), or a folder for sharded safetensors")
    Path output;

    @Option(names = "--to", paramLabel = "FORMAT",
            description = "gguf or safetensors (default: from OUT's extension; a folder means safetensors)")
    String to;

    @Option(names = "--type", paramLabel = "T",
            description = "target type, any case. A ggml type name (F32, F16, BF16, Q8_0, Q4_0…Q5_1, Q2_K…Q6_K, "
                    + "IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4…) gives every weight that type (GGUF default F16); "
                    + "for safetensors F32, F16, BF16, F8_E4M3, F8_E5M2 (default: keep floats). A llama.cpp file "
                    + "type (Q4_K_M, Q5_K_S, Q3_K_L, Q2_K_S, MXFP4_MOE… as llama-quantize) applies llama-quantize's "
                    + "per-tensor mixture in the same pass (checkpoint -> GGUF with a mapped architecture); so does "
                    + "any type given with one of the llama-quantize options below")
    String type;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "with a file type mixture: importance matrix "
            + "(GGUF or legacy .dat, keyed by GGUF tensor names), as llama-quantize")
    Path imatrix;

    @Option(names = "--tensor-type", paramLabel = "REGEX=GGML_TYPE", description = "with a file type mixture: "
            + "the type of the tensors whose GGUF name matches REGEX (first match wins), as llama-quantize")
    java.util.List<String> tensorTypes = new java.util.ArrayList<>();

    @Option(names = "--output-tensor-type", paramLabel = "GGML_TYPE", description = "with a file type mixture: the "
            + "type of output.weight")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "GGML_TYPE", description = "with a file type mixture: "
            + "the type of token_embd.weight")
    String tokenEmbeddingType;

    @Option(names = "--leave-output-tensor", description = "with a file type mixture: leave output.weight "
            + "unquantized (F16/BF16)")
    boolean leaveOutputTensor;

    @Option(names = "--pure", description = "with a file type mixture: no mixture, every quantizable tensor gets "
            + "the file type's default type")
    boolean pure;

    @Option(names = "--outtype", paramLabel = "T",
            description = "as convert_hf_to_gguf.py: f32, f16, bf16, q8_0 or auto (the default for a checkpoint: bf16 "
                    + "when its weights are bf16, else f16). --type takes any ggml type instead")
    String outtype;

    @Option(names = "--vocab-from", paramLabel = "FILE.gguf",
            description = "take the vocabulary (every tokenizer.* key) from this GGUF, e.g. for a checkpoint that "
                    + "ships no tokenizer")
    Path vocabFrom;

    @Option(names = "--keep-names", description = "GGUF from a checkpoint: keep the HF tensor names and write no "
            + "architecture metadata, even when the architecture is known")
    boolean keepNames;

    @Option(names = "--max-shard-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "split the output into shards of at most SIZE tensor bytes (e.g. 2G, 500M): "
                    + "model-00001-of-0000N.safetensors + index, or name-00001-of-0000N.gguf with split.* keys")
    Long maxShardSize;

    @Option(names = "--target", paramLabel = "LOADER",
            description = "diffusion models: comfyui, diffusers or llama.cpp (default auto: comfyui for the "
                    + "original key layout, diffusers for diffusers' layout). diffusers: no reshape, only the types its "
                    + "dequantizers cover; llama.cpp: names of at most 63 bytes")
    String target;

    @Option(names = "--arch", paramLabel = "NAME",
            description = "diffusion models: the family to assume when detection fails (flux, sd1, sdxl, sd3, aura, "
                    + "hidream, cosmos, ltxv, hyvid, wan, lumina2, qwen_image)")
    String arch;

    @Option(names = "--recipe", paramLabel = "R.json",
            description = "write a pre-quantized Hugging Face checkpoint folder (safetensors + config.json with "
                    + "quantization_config + the source's tokenizer files) as the recipe says: diffusers' "
                    + "PipelineQuantizationConfig vocabulary (quant_backend + quant_kwargs + components_to_quantize, "
                    + "or quant_mapping) with backends fp8, bitsandbytes_4bit, bitsandbytes_8bit, compressed-tensors; "
                    + "a diffusers pipeline folder converts component by component")
    Path recipe;

    @Option(names = "--report", description = "after converting, compare every tensor with the input and print "
            + "the round-trip report (relative RMSE, max abs error, cosine similarity)")
    boolean report;

    @Option(names = "--dry-run", description = "print the plan (tensor, shape, from-type, to-type, bytes) and "
            + "write nothing")
    boolean dryRun;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar and no summary")
    boolean quiet;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        if (recipe != null) {
            return runRecipe();
        }
        if (isDiffusion()) {
            DType plain = type == null ? null : parseType(type);
            return new DiffusionConvert(spec.commandLine().getOut(), quiet, report, dryRun).run(
                    new DiffusionRequest(input, output, target == null ? null : DiffusionTarget.parse(target).orElse(null),
                            plain, arch == null ? null : DiffusionArch.fromGgufName(arch).orElseThrow(
                                    () -> new UserInputException("--arch: unknown family '" + arch + "'")),
                            threads.engineOptions()));
        }
        TargetFormat format = resolveFormat(to, output);
        QuantizeOptions mixture = mixture(format);
        DType requested = mixture != null ? null : resolveType(type == null ? null : parseType(type), outtype);
        ConvertRequest request = new ConvertRequest(input, output, format, requested, threads.engineOptions(),
                maxShardSize == null ? 0 : maxShardSize, vocabFrom, keepNames);
        if (mixture != null) {
            request = request.withMixture(mixture, imatrix);
        }
        var out = spec.commandLine().getOut();
        if (dryRun) {
            PlanPrinter.print(out, ConvertService.plan(request));
            return ExitCodes.OK;
        }
        ConvertResult result;
        try (Progress progress = Progress.start("convert", sourceBytes(request), quiet)) {
            result = ConvertService.convert(request, progress);
        }
        for (String note : result.notes()) {
            spec.commandLine().getErr().println("note: " + note);
        }
        spec.commandLine().getErr().flush();
        if (!quiet) {
            ConversionPlan plan = result.plan();
            out.printf(Locale.ROOT, "wrote %s: %d tensors, %s -> %s in %.2f s%n", result.output(),
                    plan.jobs().size(), Footprint.humanBytes(plan.sourceBytes()),
                    Footprint.humanBytes(plan.targetBytes()), result.elapsed().toNanos() / 1e9);
        }
        if (report) {
            VerifyReport r = VerifyService.verify(input, firstOutputFile(result.output(), format));
            ReportPrinter.printText(out, r, Double.NaN);
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** Diffusion rules apply to GGUF outputs of pipeline folders, of recognised checkpoints, or when asked for. */
    private boolean isDiffusion() throws java.io.IOException {
        boolean pipeline = PipelineFolder.isPipeline(input);
        if (to != null && TargetFormat.parse(to).orElse(null) == TargetFormat.SAFETENSORS) {
            return false;
        }
        if (pipeline || target != null || arch != null) {
            return true;
        }
        return TargetFormat.fromPath(output).orElse(null) == TargetFormat.GGUF
                && DiffusionConvertService.isDiffusionModel(input);
    }

    private int runRecipe() throws Exception {
        if (type != null) {
            throw new UserInputException("--recipe and --type do not combine: the recipe chooses the types");
        }
        io.weightcast.core.layout.Recipe r;
        try {
            r = io.weightcast.core.layout.Recipe.read(recipe);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        if (r.ggufType() == null && to != null && !to.equalsIgnoreCase("safetensors")) {
            throw new UserInputException("--recipe writes safetensors checkpoint folders; drop --to " + to);
        }
        var out = spec.commandLine().getOut();
        if (r.ggufType() != null) { // a GGUF type name in the recipe: the plain GGUF conversion with that type
            if (to != null && !to.equalsIgnoreCase("gguf")
                    || TargetFormat.fromPath(output).orElse(null) != TargetFormat.GGUF) {
                throw new UserInputException("the recipe asks for GGUF type " + r.ggufType() + "; name the output "
                        + "*.gguf");
            }
            ConvertRequest request = new ConvertRequest(input, output, TargetFormat.GGUF, r.ggufType(),
                    threads.engineOptions(), maxShardSize == null ? 0 : maxShardSize);
            ConvertResult result;
            try (Progress progress = Progress.start("convert", sourceBytes(request), quiet)) {
                result = ConvertService.convert(request, progress);
            }
            if (!quiet) {
                out.printf(Locale.ROOT, "wrote %s: %d tensors, GGUF %s%n", result.output(),
                        result.plan().jobs().size(), r.ggufType());
            }
            if (report) {
                ReportPrinter.printText(out, VerifyService.verify(input, firstOutputFile(result.output(),
                        TargetFormat.GGUF)), Double.NaN);
            }
            out.flush();
            return ExitCodes.OK;
        }
        java.util.Map<String, io.weightcast.core.job.QuantizeService.Result> results;
        try (Progress progress = Progress.start("quantize", 0, quiet)) {
            results = io.weightcast.core.job.RecipeService.run(input, output, r, threads.engineOptions(),
                    maxShardSize == null ? 0 : maxShardSize, progress);
        }
        if (!quiet) {
            for (var e : results.entrySet()) {
                var res = e.getValue();
                String what = e.getKey().isEmpty() ? output.toString() : output.resolve(e.getKey()).toString();
                if (res == null) {
                    out.printf(Locale.ROOT, "copied %s%n", what);
                    continue;
                }
                out.printf(Locale.ROOT, "wrote %s: %d weights quantized, %s -> %s in %.2f s%n", what,
                        res.quantized(), Footprint.humanBytes(res.sourceBytes()), Footprint.humanBytes(res.targetBytes()),
                        res.elapsed().toNanos() / 1e9);
                if (!res.unquantized().isEmpty()) {
                    out.printf(Locale.ROOT, "  unquantized: %s%n", String.join(", ", res.unquantized()));
                }
                if (!res.shapeSkipped().isEmpty()) {
                    out.printf(Locale.ROOT, "  (shape does not fit the layout: %s)%n",
                            String.join(", ", res.shapeSkipped()));
                }
                res.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            }
        }
        if (report) {
            for (var e : results.entrySet()) {
                if (e.getValue() != null) {
                    Path in = e.getKey().isEmpty() ? input : input.resolve(e.getKey());
                    ReportPrinter.printText(out, VerifyService.verify(in, e.getValue().output()), Double.NaN);
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static long sourceBytes(ConvertRequest request) {
        try {
            return ConvertService.plan(request).sourceBytes();
        } catch (Exception e) {
            return 1; // the real error is raised by the conversion itself
        }
    }

    /** The file to read the output back from: the path itself, or the first split for a sharded GGUF. */
    static Path firstOutputFile(Path output, TargetFormat format) {
        if (format == TargetFormat.GGUF && !java.nio.file.Files.exists(output)) {
            String name = output.getFileName().toString().replaceFirst("\\.gguf$", "");
            try (var files = java.nio.file.Files.list(output.toAbsolutePath().getParent())) {
                return files.filter(f -> f.getFileName().toString().matches(
                        java.util.regex.Pattern.quote(name) + "-00001-of-\\d{5}\\.gguf")).findFirst().orElse(output);
            } catch (java.io.IOException e) {
                return output;
            }
        }
        return output;
    }

    private boolean mixtureOptionGiven() {
        return imatrix != null || !tensorTypes.isEmpty() || outputTensorType != null || tokenEmbeddingType != null
                || leaveOutputTensor || pure;
    }

    /**
     * The llama.cpp file type mixture asked for: {@code --type} names a file type that is not a ggml type
     * (Q4_K_M…), or any type comes with a llama-quantize option; null for a plain type.
     */
    QuantizeOptions mixture(TargetFormat format) {
        boolean options = mixtureOptionGiven();
        if (type == null) {
            if (options) {
                throw new UserInputException("--imatrix, --tensor-type, --output-tensor-type, --token-embedding-type,"
                        + " --leave-output-tensor and --pure need a llama.cpp file type: add --type (e.g. Q4_K_M)");
            }
            return null;
        }
        if (!options && DType.parse(type).isPresent()) {
            return null;
        }
        LlamaFtype ftype = LlamaFtype.parse(type).filter(f -> !type.trim().matches("\\d+"))
                .orElseThrow(() -> new UserInputException(options
                        ? "'" + type + "' is not a llama.cpp file type (needed with the llama-quantize options); "
                                + "file types:\n" + QuantizeCommand.ftypeTable()
                        : unknownType(type)));
        if (format != TargetFormat.GGUF) {
            throw new UserInputException("the llama.cpp file type " + ftype.name() + " applies to GGUF output only");
        }
        if (outtype != null) {
            throw new UserInputException("give either --type or --outtype, not both");
        }
        List<TensorTypeOverride> tt = new ArrayList<>();
        try {
            for (String s : tensorTypes) {
                tt.add(TensorTypeOverride.parse(s));
            }
            return QuantizeOptions.of(ftype).withPure(pure).withLeaveOutputTensor(leaveOutputTensor)
                    .withOutputTensorType(ggmlType(outputTensorType))
                    .withTokenEmbeddingType(ggmlType(tokenEmbeddingType)).withTensorTypes(tt);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    private static DType ggmlType(String name) {
        return name == null ? null : TensorTypeOverride.parseGgmlType(name);
    }

    static DType parseType(String name) {
        return DType.parse(name).orElseThrow(() -> new UserInputException(unknownType(name)));
    }

    private static String unknownType(String name) {
        return "unknown type '" + name + "'; use a ggml type name such as F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K "
                + "(safetensors also takes F8_E4M3, F8_E5M2), or a llama.cpp file type such as Q4_K_M, Q5_K_S";
    }

    /** {@code --type} or {@code --outtype} (not both); null means auto. */
    static DType resolveType(DType type, String outtype) {
        if (outtype == null) {
            return type;
        }
        if (type != null) {
            throw new UserInputException("give either --type or --outtype, not both");
        }
        return switch (outtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            case "q8_0" -> DType.Q8_0;
            case "auto" -> null;
            default -> throw new UserInputException("--outtype must be f32, f16, bf16, q8_0 or auto (as "
                    + "convert_hf_to_gguf.py), got '" + outtype + "'; use --type for other ggml types");
        };
    }

    static TargetFormat resolveFormat(String to, Path output) {
        if (to != null) {
            return TargetFormat.parse(to).orElseThrow(() -> new UserInputException(
                    "--to must be gguf or safetensors, got '" + to + "'"));
        }
        return TargetFormat.fromPath(output).orElseGet(() -> {
            if (output.getFileName().toString().contains(".")) {
                throw new UserInputException("cannot tell the output format from '" + output.getFileName()
                        + "'; name it .gguf or .safetensors, or pass --to gguf|safetensors");
            }
            return TargetFormat.SAFETENSORS;
        });
    }
}
