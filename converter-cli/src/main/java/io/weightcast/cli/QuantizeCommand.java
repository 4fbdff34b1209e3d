package io.weightcast.cli;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.QuantizePlan;
import io.weightcast.core.job.QuantizeRequest;
import io.weightcast.core.job.LlamaQuantizeService;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.core.plan.llama.KvOverride;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.core.plan.llama.TensorTypeOverride;
import io.weightcast.formats.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        customSynopsis = "weightcast quantize [OPTIONS] IN.gguf [OUT.gguf] TYPE [NTHREADS]",
        description = {
            "Quantizes a GGUF model the way llama.cpp's llama-quantize does, with the same arguments: the same",
            "per-tensor types (the k-quant mixtures give attn_v and ffn_down more bits on some layers, output.weight",
            "Q6_K, norms stay F32, rows that are not whole 256-blocks fall back to a 32-block type), the same bytes",
            "(bit-exact with ggml's quantizers), the same tensor and metadata order.",
            "",
            "TYPE is a file type from the table below (name in any case, or its number). OUT defaults to",
            "<IN's folder>/ggml-model-<TYPE>.gguf. Norms, biases and other 1-D tensors are never quantized.",
            "",
            "An importance matrix (--imatrix, from llama-imatrix: GGUF or legacy .dat) weights the rounding",
            "search by how much each input column matters; it needs the exact tensor names and sizes of this",
            "model (ne0 x experts), and it is required for Q2_K_S and the IQ1/IQ2/IQ3_XXS types.",
            "",
            "Examples:",
            "  weightcast quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M",
            "  weightcast quantize --imatrix imatrix.gguf model-f16.gguf model-iq4_xs.gguf IQ4_XS 8",
            "  weightcast quantize --tensor-type attn_v=q8_0 --output-tensor-type q8_0 model-f16.gguf out.gguf Q4_K_M",
            "  weightcast quantize --dry-run model-f16.gguf Q5_K_M",
            ""})
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..4", paramLabel = "ARGS", description = "IN.gguf [OUT.gguf] TYPE [NTHREADS]")
    List<String> args;

    @Option(names = "--allow-requantize", description = {"allow re-quantizing tensors that are already quantized",
        "(they are dequantized first). Off by default: quantizing a quantized model loses much more quality than",
        "quantizing its F16/F32 original (llama.cpp #1691)."})
    boolean allowRequantize;

    @Option(names = "--leave-output-tensor", description = "leave output.weight un(re)quantized; larger, sometimes "
            + "better, especially when requantizing")
    boolean leaveOutputTensor;

    @Option(names = "--pure", description = "no k-quant mixture: every quantizable tensor gets TYPE's default type "
            + "(--tensor-type, --output-tensor-type, --token-embedding-type still apply)")
    boolean pure;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "importance matrix (GGUF or legacy .dat)")
    Path imatrix;

    @Option(names = "--include-weights", paramLabel = "NAME", description = "use the imatrix only for tensors "
            + "whose name contains NAME (repeatable)")
    List<String> includeWeights = new ArrayList<>();

    @Option(names = "--exclude-weights", paramLabel = "NAME", description = "do not use the imatrix for tensors "
            + "whose name contains NAME (repeatable; not with --include-weights)")
    List<String> excludeWeights = new ArrayList<>();

    @Option(names = "--output-tensor-type", paramLabel = "GGML_TYPE", description = "type of output.weight")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "GGML_TYPE", description = "type of token_embd.weight")
    String tokenEmbeddingType;

    @Option(names = "--tensor-type", paramLabel = "REGEX=GGML_TYPE", description = {
        "type of the tensors whose name contains a match of REGEX (repeatable; the first matching option wins),",
        "e.g. --tensor-type attn_v=q8_0 --tensor-type 'blk\\.[0-3]\\.ffn_down=q6_k'"})
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--tensor-type-file", paramLabel = "FILE", description = "REGEX=GGML_TYPE entries separated by "
            + "spaces or newlines, added after the --tensor-type options")
    Path tensorTypeFile;

    @Option(names = "--keep-split", description = "write one output shard per input shard "
            + "(OUT-0000N-of-0000M.gguf)")
    boolean keepSplit;

    @Option(names = "--override-kv", paramLabel = "KEY=TYPE:VALUE", description = "set a metadata key in the "
            + "output; TYPE is int (written as u32), float, bool or str (repeatable)")
    List<String> overrideKv = new ArrayList<>();

    @Option(names = "--dry-run", description = "print each tensor's shape, from-type, to-type and bytes; write "
            + "nothing")
    boolean dryRun;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores; "
            + "the NTHREADS argument sets it too)")
    Integer threads;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar, warnings or summary")
    boolean quiet;

    /** The table of file types for the usage footer, like llama-quantize's. */
    static String ftypeTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("%nFile types (TYPE), with the bits per weight of their main type; * = codec available in this"
                + " build:%n");
        for (LlamaFtype f : LlamaFtype.values()) {
            boolean ok = Codecs.canEncode(f.defaultType());
            sb.append(String.format(Locale.ROOT, "  %2d  or  %-9s %s %5.2f bpw %s : %s%%n", f.id(), f.name(),
                    ok ? "*" : " ", f.bitsPerWeight(), String.format(Locale.ROOT, "%-7s",
                            f.defaultType().displayName()), f.description().trim()));
        }
        sb.append("  Q3_K, Q4_K, Q5_K are aliases of Q3_K_M, Q4_K_M, Q5_K_M.%n");
        sb.append("%nGGML_TYPE names: f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q2_K q3_K q4_K q5_K q6_K iq4_nl iq4_xs"
                + " tq1_0 tq2_0 mxfp4 (any case).%n");
        return sb.toString();
    }

    @Override
    public Integer call() throws Exception {
        Path input = Path.of(args.getFirst());
        Optional<LlamaFtype> second = LlamaFtype.parse(args.get(1));
        Path output;
        LlamaFtype ftype;
        int next;
        if (second.isPresent()) {
            ftype = second.get();
            Path dir = input.toAbsolutePath().getParent();
            output = dir.resolve("ggml-model-" + args.get(1).toUpperCase(Locale.ROOT) + ".gguf");
            next = 2;
        } else {
            if (args.size() < 3) {
                throw new UserInputException("'" + args.get(1) + "' is not a file type, and no TYPE follows it; "
                        + "see the list in 'weightcast quantize --help'");
            }
            output = Path.of(args.get(1));
            ftype = LlamaFtype.parse(args.get(2)).orElseThrow(() -> new UserInputException("invalid file type '"
                    + args.get(2) + "'; see the list in 'weightcast quantize --help'"));
            next = 3;
        }
        Integer nthreads = threads;
        if (args.size() > next) {
            try {
                nthreads = Integer.parseInt(args.get(next));
            } catch (NumberFormatException e) {
                throw new UserInputException("invalid NTHREADS '" + args.get(next) + "'");
            }
            if (args.size() > next + 1) {
                throw new UserInputException("unexpected argument '" + args.get(next + 1) + "'");
            }
        }
        if (nthreads != null && nthreads < 1) {
            nthreads = Runtime.getRuntime().availableProcessors(); // llama-quantize: <= 0 means all cores
        }
        if (!includeWeights.isEmpty() && !excludeWeights.isEmpty()) {
            throw new UserInputException("--include-weights and --exclude-weights cannot be used together");
        }
        List<TensorTypeOverride> tt = new ArrayList<>();
        for (String s : tensorTypes) {
            tt.add(TensorTypeOverride.parse(s));
        }
        if (tensorTypeFile != null) {
            for (String s : Files.readString(tensorTypeFile).trim().split("\\s+")) {
                if (!s.isEmpty()) {
                    tt.add(TensorTypeOverride.parse(s));
                }
            }
        }
        QuantizeOptions opts = QuantizeOptions.of(ftype).withPure(pure).withLeaveOutputTensor(leaveOutputTensor)
                .withOutputTensorType(type(outputTensorType)).withTokenEmbeddingType(type(tokenEmbeddingType))
                .withTensorTypes(tt);
        List<KvOverride> kvs = overrideKv.stream().map(KvOverride::parse).toList();
        EngineOptions engine = nthreads == null ? EngineOptions.defaults() : EngineOptions.withThreads(nthreads);
        if (keepSplit && output.toString().endsWith(".gguf")) {
            output = Path.of(output.toString().substring(0, output.toString().length() - 5));
        }
        QuantizeRequest request = new QuantizeRequest(input, output, opts, allowRequantize, imatrix,
                imatrix == null ? null : imatrix.toString(), includeWeights, excludeWeights, kvs, keepSplit, engine);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun) {
            QuantizePlan plan = LlamaQuantizeService.plan(request);
            print(out, plan);
            if (!quiet) {
                plan.warnings().forEach(w -> err.println("warning: " + w));
                if (plan.requiresImatrix() && imatrix == null) {
                    err.println("warning: dry run completed, but actually doing this quantization requires an "
                            + "imatrix (--imatrix)");
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
        LlamaQuantizeService.Result result;
        long total = sourceBytes(input);
        try (Progress progress = Progress.start("quantize", total, quiet)) {
            result = LlamaQuantizeService.quantize(request, progress);
        }
        if (!quiet) {
            result.plan().warnings().forEach(w -> err.println("warning: " + w));
            var plan = result.plan().plan();
            out.printf(Locale.ROOT, "wrote %s as %s: %d tensors, %s -> %s (%.2f bpw) in %.2f s%n",
                    String.join(", ", result.outputs().stream().map(Path::toString).toList()), ftype.name(),
                    plan.jobs().size(), Footprint.humanBytes(plan.sourceBytes()),
                    Footprint.humanBytes(plan.targetBytes()), bpw(plan), result.elapsed().toNanos() / 1e9);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static long sourceBytes(Path input) {
        try {
            return Math.max(1, Files.size(input));
        } catch (IOException e) {
            return 1;
        }
    }

    private static double bpw(io.weightcast.core.plan.ConversionPlan plan) {
        long elements = plan.jobs().stream().mapToLong(j -> j.source().elementCount()).sum();
        return elements == 0 ? 0 : plan.targetBytes() * 8.0 / elements;
    }

    private static DType type(String name) {
        return name == null ? null : TensorTypeOverride.parseGgmlType(name);
    }

    /** The dry-run table: tensor, shape (ggml ne order, as llama-quantize prints), from, to, bytes. */
    static void print(PrintWriter out, QuantizePlan plan) {
        List<TensorJob> jobs = plan.plan().jobs();
        int w = Math.min(64, jobs.stream().mapToInt(j -> j.target().name().length()).max().orElse(6));
        String row = "%-" + w + "s  %-24s  %-7s  %-7s  %14s%n";
        out.printf(row, "tensor", "shape (ne)", "from", "to", "bytes");
        for (TensorJob j : jobs) {
            long[] s = j.target().shape();
            long[] ne = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                ne[i] = s[s.length - 1 - i];
            }
            out.printf(row, j.target().name(), Arrays.toString(ne), j.source().dtype().displayName(),
                    j.target().dtype().displayName(), String.format(Locale.ROOT, "%,d", j.target().byteSize()));
        }
        var p = plan.plan();
        out.printf(Locale.ROOT, "%d tensors: %s -> %s (%.2f bpw)%n", jobs.size(), Footprint.humanBytes(p.sourceBytes()),
                Footprint.humanBytes(p.targetBytes()), bpw(p));
    }
}
