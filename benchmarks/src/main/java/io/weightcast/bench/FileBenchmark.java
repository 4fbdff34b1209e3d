package io.weightcast.bench;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.QuantizeRequest;
import io.weightcast.core.job.LlamaQuantizeService;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import io.weightcast.testdata.peer.LlamaPeer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Whole-file quantization, one side per process (scripts/bench-file.sh runs them): weightcast's {@code quantize}
 * or llama.cpp's {@code llama_model_quantize} (peer, FFM) on the same GGUF, printing one line
 * {@code RESULT side ftype threads seconds peak_rss_kib}. Also makes the synthetic F16 llama and compares outputs.
 *
 * <pre>
 * make-model OUT.gguf LAYERS        synthetic F16 llama (n_embd 2048, n_ff 5632, GQA 4, vocab 32000)
 * ours IN OUT FTYPE THREADS         weightcast quantize
 * llama IN OUT FTYPE THREADS        llama_model_quantize
 * compare A.gguf B.gguf             same tensor names, types and bytes (exit 1 if not)
 * </pre>
 */
public final class FileBenchmark {
    private FileBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "make-model" -> makeModel(Path.of(args[1]), Integer.parseInt(args[2]));
            case "ours" -> {
                LlamaFtype f = LlamaFtype.parse(args[3]).orElseThrow();
                int threads = Integer.parseInt(args[4]);
                long t0 = System.nanoTime();
                LlamaQuantizeService.quantize(QuantizeRequest.of(Path.of(args[1]), Path.of(args[2]), QuantizeOptions.of(f),
                        EngineOptions.withThreads(threads)), (t, d, n) -> { });
                report("weightcast", f, threads, t0);
            }
            case "llama" -> {
                LlamaFtype f = LlamaFtype.parse(args[3]).orElseThrow();
                int threads = Integer.parseInt(args[4]);
                LlamaPeer peer = LlamaPeer.load().orElseThrow(() -> new IllegalStateException(
                        LlamaPeer.unavailableReason()));
                long t0 = System.nanoTime();
                int rc = peer.quantize(Path.of(args[1]), Path.of(args[2]), LlamaPeer.Params.of(f.id(), threads));
                if (rc != 0) {
                    throw new IllegalStateException("llama_model_quantize returned " + rc);
                }
                report("llama.cpp", f, threads, t0);
            }
            case "compare" -> System.exit(compare(Path.of(args[1]), Path.of(args[2])) ? 0 : 1);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void report(String side, LlamaFtype f, int threads, long t0) throws Exception {
        double s = (System.nanoTime() - t0) / 1e9;
        long hwm = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        System.out.printf(Locale.ROOT, "RESULT %s %s %d %.3f %d%n", side, f.name(), threads, s, hwm);
    }

    static boolean compare(Path a, Path b) throws Exception {
        try (GgufModel x = GgufReader.open(a); GgufModel y = GgufReader.open(b)) {
            boolean same = x.tensors().size() == y.tensors().size();
            int differing = 0;
            for (int i = 0; same && i < x.tensors().size(); i++) {
                TensorView p = x.tensors().get(i);
                TensorView q = y.tensors().get(i);
                if (!p.name().equals(q.name()) || p.dtype() != q.dtype()
                        || p.data().mismatch(q.data()) != -1) {
                    differing++;
                    System.out.println("DIFF " + p.name() + " " + p.dtype() + " vs " + q.name() + " " + q.dtype());
                }
            }
            same &= differing == 0 && x.ggufMetadata().equals(y.ggufMetadata());
            System.out.println(same ? "SAME tensors, types, bytes and metadata" : "DIFFERENT (" + differing + ")");
            return same;
        }
    }

    static void makeModel(Path out, int nLayer) throws Exception {
        int nEmbd = 2048, nFf = 5632, nHead = 16, nHeadKv = 4, nVocab = 32000;
        int kvDim = nEmbd / nHead * nHeadKv;
        GgufMetadata kv = new GgufMetadata();
        kv.putString("general.architecture", "llama");
        kv.putString("general.name", "synthetic-bench");
        kv.putUint32("llama.block_count", nLayer);
        kv.putUint32("llama.context_length", 4096);
        kv.putUint32("llama.embedding_length", nEmbd);
        kv.putUint32("llama.feed_forward_length", nFf);
        kv.putUint32("llama.attention.head_count", nHead);
        kv.putUint32("llama.attention.head_count_kv", nHeadKv);
        kv.putFloat32("llama.rope.freq_base", 10000f);
        kv.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kv.putUint32("llama.rope.dimension_count", nEmbd / nHead);
        kv.putUint32("general.file_type", 1);
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec("token_embd.weight", new long[] {nVocab, nEmbd}, DType.F16));
        for (int l = 0; l < nLayer; l++) {
            String p = "blk." + l + ".";
            specs.add(new TensorSpec(p + "attn_norm.weight", new long[] {nEmbd}, DType.F32));
            specs.add(new TensorSpec(p + "attn_q.weight", new long[] {nEmbd, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "attn_k.weight", new long[] {kvDim, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "attn_v.weight", new long[] {kvDim, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "attn_output.weight", new long[] {nEmbd, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "ffn_norm.weight", new long[] {nEmbd}, DType.F32));
            specs.add(new TensorSpec(p + "ffn_gate.weight", new long[] {nFf, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "ffn_up.weight", new long[] {nFf, nEmbd}, DType.F16));
            specs.add(new TensorSpec(p + "ffn_down.weight", new long[] {nEmbd, nFf}, DType.F16));
        }
        specs.add(new TensorSpec("output_norm.weight", new long[] {nEmbd}, DType.F32));
        specs.add(new TensorSpec("output.weight", new long[] {nVocab, nEmbd}, DType.F16));
        // One random pool reused at shifting offsets: fast to make, no two tensors alike.
        SplittableRandom rnd = new SplittableRandom(1234);
        float[] pool = new float[(1 << 22) + 4096];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = (float) (0.02 * rnd.nextGaussian() * (rnd.nextInt(64) == 0 ? 8 : 1));
        }
        try (GgufWriter w = GgufWriter.create(out, kv, specs, WriterOptions.defaults())) {
            int chunk = 1 << 22;
            for (TensorSpec s : specs) {
                long n = s.elementCount();
                for (long done = 0; done < n; done += chunk) {
                    int c = (int) Math.min(chunk, n - done);
                    float[] v = new float[c];
                    int shift = rnd.nextInt(4096);
                    for (int i = 0; i < c; i++) {
                        v[i] = s.dtype() == DType.F32 ? 1.0f + pool[i + shift] : pool[i + shift];
                    }
                    MemorySegment seg = MemorySegment.ofArray(new byte[(int) s.dtype().byteSize(c)]);
                    Codecs.forType(s.dtype()).encode(v, 0, c, seg, 0);
                    w.write(seg);
                }
            }
            w.commit();
        }
        System.out.printf(Locale.ROOT, "wrote %s: %.2f GB%n", out, Files.size(out) / 1e9);
    }

}
