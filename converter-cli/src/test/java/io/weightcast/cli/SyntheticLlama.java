package io.weightcast.cli;

import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufValue;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small llama-architecture GGUF with every hyper-parameter llama.cpp's loader needs to quantize it: F16 weights
 * (Gaussian, a few outliers), F32 norms, in the order convert_hf_to_gguf writes them (not llama-quantize's).
 */
final class SyntheticLlama {
    private SyntheticLlama() {
    }

    static void write(Path out, int nLayer, int nEmbd, int nFf, int nVocab, int nHead, int nHeadKv, long seed)
            throws IOException {
        GgufMetadata kv = new GgufMetadata();
        kv.putString("general.architecture", "llama");
        kv.putString("general.name", "synthetic");
        kv.putUint32("llama.block_count", nLayer);
        kv.putUint32("llama.context_length", 2048);
        kv.putUint32("llama.embedding_length", nEmbd);
        kv.putUint32("llama.feed_forward_length", nFf);
        kv.putUint32("llama.attention.head_count", nHead);
        kv.putUint32("llama.attention.head_count_kv", nHeadKv);
        kv.putFloat32("llama.rope.freq_base", 10000f);
        kv.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kv.putUint32("llama.rope.dimension_count", nEmbd / nHead);
        kv.putUint32("llama.vocab_size", nVocab);
        kv.putUint32("general.file_type", 1);
        int kvDim = nEmbd / nHead * nHeadKv;
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
        SplittableRandom rnd = new SplittableRandom(seed);
        try (GgufWriter w = GgufWriter.create(out, kv, specs, WriterOptions.defaults())) {
            for (TensorSpec s : specs) {
                long n = s.elementCount();
                int chunk = 1 << 20;
                for (long done = 0; done < n; done += chunk) {
                    int c = (int) Math.min(chunk, n - done);
                    float[] v = new float[c];
                    for (int i = 0; i < c; i++) {
                        v[i] = s.dtype() == DType.F32 ? (float) (1.0 + 0.1 * rnd.nextGaussian())
                                : (float) (0.02 * rnd.nextGaussian() * (rnd.nextInt(64) == 0 ? 8 : 1));
                    }
                    MemorySegment seg = MemorySegment.ofArray(new byte[(int) s.dtype().byteSize(c)]);
                    Codecs.forType(s.dtype()).encode(v, 0, c, seg, 0);
                    w.write(seg);
                }
            }
            w.commit();
        }
    }

    /** A GGUF imatrix file (llama-imatrix's format) with an entry for every 2-D weight except token_embd. */
    static void writeImatrix(Path out, List<TensorSpec> weights, long seed) throws IOException {
        GgufMetadata kv = new GgufMetadata();
        kv.putString("general.type", "imatrix");
        kv.put("imatrix.datasets", GgufValue.stringArray(List.of("synthetic-calibration.txt")));
        kv.putUint32("imatrix.chunk_count", 12);
        kv.putUint32("imatrix.chunk_size", 512);
        List<TensorSpec> specs = new ArrayList<>();
        List<float[]> data = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TensorSpec> sorted = weights.stream().sorted(java.util.Comparator.comparing(TensorSpec::name)).toList();
        for (TensorSpec w : sorted) {
            long ne0 = w.shape()[w.shape().length - 1];
            specs.add(new TensorSpec(w.name() + ".in_sum2", new long[] {1, ne0}, DType.F32));
            float[] s = new float[(int) ne0];
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) (6144 * Math.exp(rnd.nextGaussian()));
            }
            data.add(s);
            specs.add(new TensorSpec(w.name() + ".counts", new long[] {1, 1}, DType.F32));
            data.add(new float[] {6144f});
        }
        try (GgufWriter w = GgufWriter.create(out, kv, specs, WriterOptions.defaults())) {
            for (float[] d : data) {
                MemorySegment seg = MemorySegment.ofArray(new byte[d.length * 4]);
                Codecs.forType(DType.F32).encode(d, 0, d.length, seg, 0);
                w.write(seg);
            }
            w.commit();
        }
    }
}
