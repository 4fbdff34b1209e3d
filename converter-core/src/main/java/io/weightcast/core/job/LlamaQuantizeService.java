package io.weightcast.core.job;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.ConversionEngine;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.layout.GgufLayout;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.core.plan.llama.KvOverride;
import io.weightcast.core.plan.llama.LlamaQuantizeRules;
import io.weightcast.core.plan.llama.LlamaQuantizeRules.Decision;
import io.weightcast.core.plan.llama.ModelHparams;
import io.weightcast.core.plan.llama.QuantTensor;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.gguf.GgufValue;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.imatrix.ImportanceMatrix;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * GGUF → GGUF quantization with llama-quantize's semantics ({@code llama_model_quantize}): per-tensor types by
 * {@link LlamaQuantizeRules}, importance matrices, requantization only on request, and the output laid out as
 * llama-quantize lays it out (tensors in the model loader's order, KVs: input minus split keys,
 * {@code general.quantization_version} and {@code general.file_type} moved to the end, then the overrides, then
 * {@code quantize.imatrix.*}).
 */
public final class LlamaQuantizeService {
    public static final String KV_IMATRIX_FILE = "quantize.imatrix.file";
    public static final String KV_IMATRIX_DATASET = "quantize.imatrix.dataset";
    public static final String KV_IMATRIX_ENTRIES = "quantize.imatrix.entries_count";
    public static final String KV_IMATRIX_CHUNKS = "quantize.imatrix.chunks_count";

    private LlamaQuantizeService() {
    }

    public record Result(QuantizePlan plan, List<Path> outputs, Duration elapsed) {
    }

    /** Plans without writing: what {@code --dry-run} prints (imatrix requirements become warnings). */
    public static QuantizePlan plan(QuantizeRequest request) throws IOException {
        try (GgufModel model = GgufReader.open(request.input())) {
            return plan(model, request, true);
        }
    }

    public static Result quantize(QuantizeRequest request, ProgressListener progress) throws IOException {
        long start = System.nanoTime();
        requireDistinctPaths(request.input(), request.output());
        try (GgufModel model = GgufReader.open(request.input())) {
            QuantizePlan qp = plan(model, request, false);
            for (TensorJob j : qp.plan().jobs()) {
                if (!j.isCopy()) {
                    requireCodec(j, j.source().dtype(), "decoding");
                    requireCodec(j, j.target().dtype(), "encoding");
                }
            }
            Path parent = request.output().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            List<TensorSpec> specs = qp.plan().targetSpecs();
            List<Path> outputs;
            try (GgufWriter sink = qp.shardCounts().size() > 1
                    ? GgufWriter.createSplit(request.output(), qp.metadata(), specs, WriterOptions.defaults(),
                            qp.shardCounts())
                    : GgufWriter.create(request.output(), qp.metadata(), specs, WriterOptions.defaults())) {
                new ConversionEngine(request.engine()).run(qp.plan(), sink, progress);
                sink.commit();
                outputs = sink.outputs();
            }
            return new Result(qp, outputs, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static void requireCodec(TensorJob j, DType t, String what) {
        boolean ok = what.equals("encoding") ? Codecs.canEncode(t) : Codecs.canDecode(t);
        if (!ok) {
            throw new UnsupportedOperationException("tensor '" + j.source().name() + "': " + what + " "
                    + t.displayName() + (Codecs.canDecode(t) ? " is not supported (read-only type)"
                            : " is not implemented yet (no codec for " + t.displayName() + ")"));
        }
    }

    static QuantizePlan plan(GgufModel model, QuantizeRequest r, boolean dryRun) throws IOException {
        var o = r.options();
        List<TensorView> order = new ArrayList<>(model.tensors());
        if (r.keepSplit()) {
            List<Path> files = model.files();
            order.sort(Comparator.<TensorView>comparingInt(t -> files.indexOf(t.file()))
                    .thenComparingLong(TensorView::fileOffset));
        } else {
            order.sort(Comparator.comparing(TensorView::name, LlamaQuantizeRules.WEIGHT_ORDER));
        }
        GgufMetadata input = model.ggufMetadata();
        ModelHparams hp = ModelHparams.from(input);

        ImportanceMatrix imatrix = readImatrix(r.imatrix(), r.includeWeights(), r.excludeWeights());

        List<QuantTensor> qts = order.stream().map(t -> QuantTensor.ofShape(t.name(), t.shape(), t.dtype()))
                .toList();
        List<Decision> decisions = LlamaQuantizeRules.select(qts, hp, o, imatrix != null);

        List<String> warnings = new ArrayList<>();
        List<TensorJob> jobs = new ArrayList<>(order.size());
        boolean requires = false;
        int fallbacks = 0;
        for (int i = 0; i < order.size(); i++) {
            TensorView src = order.get(i);
            Decision d = decisions.get(i);
            if (d.fellBack()) {
                fallbacks++;
                warnings.add(src.name() + ": rows of " + d.tensor().ne(0) + " are not whole blocks of the "
                        + "mixture's type; falling back to " + d.target().displayName());
            }
            if (d.allowsQuantization() && d.requiresImatrix() && imatrix == null) {
                requires = true;
                if (!dryRun) {
                    throw new IllegalArgumentException("this quantization requires an importance matrix (--imatrix):"
                            + " tensor '" + src.name() + "' would be " + d.target().displayName() + ", which gives "
                            + "garbage without one");
                }
            }
            float[] importance = null;
            if (d.quantize() && !dryRun) {
                if (src.dtype().isQuantized() && !r.allowRequantize()) {
                    throw new IllegalArgumentException(src.file() + ": tensor '" + src.name() + "' is already "
                            + src.dtype().displayName() + "; requantizing from type " + src.dtype().displayName()
                            + " is disabled because quantizing an already-quantized model loses more quality than "
                            + "quantizing the F16/F32 original (llama.cpp #1691). Pass --allow-requantize to do it "
                            + "anyway, or start from the unquantized model.");
                }
                if (!src.dtype().isQuantized() && src.dtype() != DType.F32 && src.dtype() != DType.F16
                        && src.dtype() != DType.BF16) {
                    throw new IllegalArgumentException(src.file() + ": tensor '" + src.name()
                            + "': cannot dequantize/convert tensor type " + src.dtype().displayName());
                }
                importance = importanceFor(src.name(), d, imatrix, r.imatrix(), warnings);
            }
            jobs.add(new TensorJob(src, new TensorSpec(src.name(), src.shape(), d.target()), importance));
        }
        if (fallbacks > 0) {
            warnings.add(fallbacks + " of " + order.size() + " tensor(s) required fallback quantization");
        }

        List<Integer> shardCounts = new ArrayList<>();
        if (r.keepSplit() && model.isSplit()) {
            List<Path> files = model.files();
            int[] counts = new int[files.size()];
            order.forEach(t -> counts[files.indexOf(t.file())]++);
            for (int c : counts) {
                shardCounts.add(c);
            }
        } else {
            shardCounts.add(order.size());
        }
        return new QuantizePlan(decisions, new ConversionPlan(jobs), metadata(input, r, imatrix), shardCounts,
                warnings, requires);
    }

    /**
     * Reads and filters an importance matrix as llama-quantize does; null without a file or when nothing is left
     * after filtering. Non-finite entries are refused.
     */
    static ImportanceMatrix readImatrix(Path file, List<String> include, List<String> exclude) throws IOException {
        if (file == null) {
            if (!include.isEmpty() || !exclude.isEmpty()) {
                throw new IllegalArgumentException("--include-weights/--exclude-weights need --imatrix");
            }
            return null;
        }
        ImportanceMatrix imatrix = ImportanceMatrix.read(file).filter(include, exclude);
        for (var e : imatrix.weights().entrySet()) {
            for (float f : e.getValue()) {
                if (!Float.isFinite(f)) {
                    throw new IllegalArgumentException(file + ": imatrix entry '" + e.getKey()
                            + "' contains the non-finite value " + f);
                }
            }
        }
        return imatrix.size() == 0 ? null : imatrix; // as llama-quantize: an empty (filtered) imatrix is no imatrix
    }

    /**
     * The importance vector llama-quantize passes for a tensor it quantizes (null: none), with its checks: a size
     * that does not match {@code ne[0] x ne[2]} is an error except for token embeddings, and the very-low-bit
     * types that require an imatrix refuse to run without one.
     */
    static float[] importanceFor(String name, Decision d, ImportanceMatrix imatrix, Path imatrixFile,
                                 List<String> warnings) {
        float[] importance = null;
        if (imatrix != null) {
            float[] w = imatrix.weights().get(name);
            long expected = d.tensor().ne(0) * d.tensor().ne(2);
            if (w == null) {
                warnings.add(name + ": no importance matrix entry; quantized without one");
            } else if (w.length == expected) {
                importance = w;
            } else if (!name.equals("token_embd.weight") && !name.equals("per_layer_token_embd.weight")) {
                throw new IllegalArgumentException(imatrixFile + ": imatrix entry '" + name + "' has "
                        + w.length + " values but the tensor needs ne[0] x ne[2] = " + d.tensor().ne(0)
                        + " x " + d.tensor().ne(2) + " = " + expected + " (was the imatrix computed on "
                        + "another model?)");
            } else {
                warnings.add(name + ": imatrix size " + w.length + " differs from " + expected
                        + "; token embeddings are quantized without it");
            }
        }
        if (d.requiresImatrix() && importance == null) {
            throw new IllegalArgumentException("missing importance matrix for tensor '" + name
                    + "' in a very low-bit quantization (" + d.target().displayName() + "); the result "
                    + "would be garbage");
        }
        return importance;
    }

    /** The {@code quantize.imatrix.*} KVs llama-quantize records (empty without an imatrix). */
    static List<KvOverride> imatrixKvs(ImportanceMatrix imatrix, String name) {
        List<KvOverride> overrides = new ArrayList<>();
        if (imatrix != null) {
            overrides.add(new KvOverride(KV_IMATRIX_FILE, GgufValue.string(truncate127(name))));
            if (!imatrix.datasets().isEmpty()) {
                overrides.add(new KvOverride(KV_IMATRIX_DATASET,
                        GgufValue.string(truncate127(imatrix.datasets().getFirst()))));
            }
            overrides.add(new KvOverride(KV_IMATRIX_ENTRIES, GgufValue.uint32(imatrix.size())));
            if (imatrix.chunkCount() > 0) {
                overrides.add(new KvOverride(KV_IMATRIX_CHUNKS, GgufValue.uint32(imatrix.chunkCount())));
            }
        }
        return overrides;
    }

    /** llama-quantize's KV order (see the class comment). */
    static GgufMetadata metadata(GgufMetadata input, QuantizeRequest r, ImportanceMatrix imatrix) {
        GgufMetadata kv = new GgufMetadata(input);
        kv.remove("general.quantization_version");
        kv.putUint32("general.quantization_version", GgufLayout.GGML_QUANTIZATION_VERSION);
        kv.remove("general.file_type");
        kv.putUint32("general.file_type", r.options().ftype().id());
        GgufMetadata.SPLIT_KEYS.forEach(kv::remove);
        List<KvOverride> overrides = new ArrayList<>(r.kvOverrides());
        if (imatrix != null) {
            overrides.addAll(imatrixKvs(imatrix, r.imatrixName() != null ? r.imatrixName() : r.imatrix().toString()));
        }
        for (KvOverride ov : overrides) {
            kv.remove(ov.key());
            kv.put(ov.key(), ov.value());
        }
        return kv;
    }

    /** llama-quantize copies these strings with {@code strncpy(…, 127)}. */
    private static String truncate127(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= 127 ? s : new String(b, 0, 127, StandardCharsets.UTF_8);
    }

    private static void requireDistinctPaths(Path input, Path output) throws IOException {
        Path in = input.toAbsolutePath().normalize();
        Path out = output.toAbsolutePath().normalize();
        if (in.equals(out) || (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out))) {
            throw new IllegalArgumentException("input and output files are the same: '" + input + "'");
        }
    }

}
