package io.weightcast.core.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.Npy;
import io.weightcast.testdata.SharedTestData;
import io.weightcast.testdata.peer.LlamaInferencePeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end proof: the tiny Llama checkpoint written by transformers is converted to GGUF by weightcast,
 * loaded and evaluated by llama.cpp's own libllama (through FFM), and its logits for the reference ids are
 * compared with transformers' logits stored beside the checkpoint. A wrong tensor mapping, rotary permutation
 * or hyperparameter shows up as logits far off; rounding of the weight type as a small difference.
 */
class LlamaCppLogitsTest {
    static LlamaInferencePeer peer;
    static Path model;
    static int[] ids;
    static float[][] reference;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void setUp() throws IOException {
        var p = LlamaInferencePeer.load();
        assumeTrue(p.isPresent(), () -> "peer absent: " + LlamaInferencePeer.unavailableReason());
        peer = p.get();
        model = SharedTestData.resolve("hf/tiny-llama-f32").filter(Files::isDirectory)
                .or(() -> SharedTestData.repoRoot().map(r -> r.resolve("testdata/sample/tiny-llama-f32")))
                .orElseThrow();
        assumeTrue(Files.isRegularFile(model.resolve("reference_logits.npy")), "reference logits absent");
        ids = Npy.read(model.resolve("reference_input_ids.npy")).ints();
        Npy logits = Npy.read(model.resolve("reference_logits.npy"));
        int vocab = (int) logits.shape()[1];
        float[] flat = logits.floats();
        reference = new float[ids.length][vocab];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(flat, i * vocab, reference[i], 0, vocab);
        }
    }

    /** Max abs difference and KL(reference || candidate), mean and max over positions. */
    record Diff(double maxAbs, double meanKl, double maxKl) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "max |dlogit| %.3e, KL mean %.3e max %.3e", maxAbs, meanKl, maxKl);
        }
    }

    static Diff diff(float[][] cand) {
        return diff(reference, cand);
    }

    static Diff diff(float[][] reference, float[][] cand) {
        double maxAbs = 0;
        double sumKl = 0;
        double maxKl = 0;
        for (int i = 0; i < reference.length; i++) {
            double[] p = softmax(reference[i]);
            double[] q = softmax(cand[i]);
            double kl = 0;
            for (int v = 0; v < p.length; v++) {
                maxAbs = Math.max(maxAbs, Math.abs(reference[i][v] - cand[i][v]));
                if (p[v] > 0) {
                    kl += p[v] * (Math.log(p[v]) - Math.log(q[v]));
                }
            }
            sumKl += kl;
            maxKl = Math.max(maxKl, kl);
        }
        return new Diff(maxAbs, sumKl / reference.length, maxKl);
    }

    static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double[] e = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            e[i] = Math.exp(x[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < x.length; i++) {
            e[i] /= sum;
        }
        return e;
    }

    static Path convert(DType type) throws IOException {
        Path out = tmp.resolve("tiny-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
        if (!Files.exists(out)) {
            ConvertService.convert(new ConvertRequest(model, out, TargetFormat.GGUF, type, EngineOptions.defaults(),
                    0), (n, d, t) -> { });
        }
        return out;
    }

    static Diff evaluate(Path gguf, String label) {
        return evaluate(gguf, label, false);
    }

    static Diff evaluate(Path gguf, String label, boolean f32Cache) {
        try (LlamaInferencePeer.Model m = peer.open(gguf, f32Cache)) {
            assertThat(m.vocabSize()).isEqualTo(reference[0].length);
            Diff d = diff(m.logits(ids));
            System.out.println("[llama.cpp logits] " + label + ": " + d);
            return d;
        }
    }

    /*
     * The stored reference logits are transformers' forward pass on the GPU machine; they differ from an exact
     * (float64, numpy) forward pass of the same f32 weights by up to 0.078 (0.028 at position 0, where attention is
     * trivial), while llama.cpp on weightcast's F32 GGUF agrees with that exact pass to about 1e-4 (measured by
     * hand when writing this test). So the bounds against the reference are 0.1 / KL 2e-4, and the type's own
     * rounding is measured against llama.cpp's logits for the F32 GGUF, which isolates it.
     */
    static float[][] f32Logits;

    static float[][] f32Logits() throws IOException {
        if (f32Logits == null) {
            try (LlamaInferencePeer.Model m = peer.open(convert(DType.F32), true)) {
                f32Logits = m.logits(ids);
            }
        }
        return f32Logits;
    }

    @Test
    void f32GgufReproducesTransformersLogits() throws IOException {
        Diff d = evaluate(convert(DType.F32), "F32 (weightcast), F32 KV cache", true);
        assertThat(d.maxAbs()).isLessThan(0.1);
        assertThat(d.meanKl()).isLessThan(2e-4);
    }

    @Test
    void f16GgufIsWithinHalfPrecisionRounding() throws IOException {
        Diff d = evaluate(convert(DType.F16), "F16 (weightcast)");
        assertThat(d.maxAbs()).isLessThan(0.1);
        assertThat(d.meanKl()).isLessThan(2e-4);
        try (LlamaInferencePeer.Model m = peer.open(convert(DType.F16), true)) {
            Diff own = diff(f32Logits(), m.logits(ids));
            System.out.println("[llama.cpp logits] F16 vs F32 GGUF (both llama.cpp, F32 KV cache): " + own);
            assertThat(own.maxAbs()).isLessThan(3e-2);
            assertThat(own.maxKl()).isLessThan(1e-5);
        }
    }

    @Test
    void q8_0GgufIsAsCloseAsLlamaQuantizesOwn() throws IOException {
        Path f16 = convert(DType.F16);
        Diff ours = evaluate(convert(DType.Q8_0), "Q8_0 (weightcast, from f32)");
        Path theirs = tmp.resolve("tiny-q8_0-llama-quantize.gguf");
        peer.quantize(f16, theirs, 7, 1);
        Diff ref = evaluate(theirs, "Q8_0 (llama-quantize of the weightcast F16)");
        assertThat(ours.maxAbs()).isLessThan(0.5);
        assertThat(ours.meanKl()).isLessThan(3e-3);
        // from f32 directly we quantize the unrounded weights: as close as llama-quantize's F16 -> Q8_0, or closer
        assertThat(ours.meanKl()).isLessThanOrEqualTo(ref.meanKl() * 1.25);
    }

    @Test
    void q4_K_MByLlamaQuantizeOfOurF16Runs() throws IOException {
        Path theirs = tmp.resolve("tiny-q4_k_m-llama-quantize.gguf");
        if (!Files.exists(theirs)) {
            peer.quantize(convert(DType.F16), theirs, 15, 1);
        }
        Diff ref = evaluate(theirs, "Q4_K_M (llama-quantize of the weightcast F16)");
        // a 2-layer model with 256-wide rows is small for 4-bit: this records what llama.cpp's own tool reaches
        assertThat(ref.meanKl()).isLessThan(0.3);
    }

    /*
     * One-pass convert --type Q4_K_M (the mixture applied while converting, from the f32 values) against the
     * two-step path (F16 GGUF, then llama_model_quantize). Same types per tensor (ConvertMixtureParityTest); the
     * one pass quantizes unrounded f32 weights, so it should be as close to transformers or closer. The bound
     * allows 1.25x llama-quantize's KL: on a 2-layer model a different rounding of a few blocks moves the KL by
     * a few percent either way, which says nothing about either tool.
     */
    @Test
    void q4_K_MInOnePassIsAsCloseAsLlamaQuantizeOfOurF16() throws IOException {
        Path ours = tmp.resolve("tiny-q4_k_m-one-pass.gguf");
        ConvertService.convert(new ConvertRequest(model, ours, TargetFormat.GGUF, null, EngineOptions.defaults(), 0)
                .withMixture(QuantizeOptions.of(LlamaFtype.Q4_K_M), null), (n, d, t) -> { });
        Path theirs = tmp.resolve("tiny-q4_k_m-llama-quantize.gguf");
        if (!Files.exists(theirs)) {
            peer.quantize(convert(DType.F16), theirs, LlamaFtype.Q4_K_M.id(), 1);
        }
        Diff one = evaluate(ours, "Q4_K_M (weightcast convert, one pass from f32)");
        Diff ref = evaluate(theirs, "Q4_K_M (llama-quantize of the weightcast F16)");
        System.out.printf(Locale.ROOT, "[llama.cpp logits] Q4_K_M mean KL: one pass %.4e, llama-quantize %.4e "
                + "(ratio %.3f)%n", one.meanKl(), ref.meanKl(), one.meanKl() / ref.meanKl());
        assertThat(one.meanKl()).isLessThanOrEqualTo(ref.meanKl() * 1.25);
        assertThat(one.maxAbs()).isLessThan(Math.max(1.0, ref.maxAbs() * 1.5));
    }

    @Test
    void llamaCppTokenizesTheReferenceTextAsTransformers() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(model.resolve("reference_tokenization.json").toFile());
        int[] expected = new int[json.get("ids").size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = json.get("ids").get(i).asInt();
        }
        try (LlamaInferencePeer.Model m = peer.open(convert(DType.F16))) {
            int[] got = m.tokenize(json.get("text").asText(), false, false);
            System.out.println("[llama.cpp tokenize] " + java.util.Arrays.toString(got) + " vs transformers "
                    + java.util.Arrays.toString(expected));
            assertThat(got).containsExactly(expected);
        }
    }
}
