package io.weightcast.core.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Fp8BlockLayoutTest {

    @TempDir
    Path tmp;

    /** The proof: our FP8 conversion of tiny-llama-bf16 is byte-identical to what transformers 5.17 wrote. */
    @Test
    void conversionOfBf16EqualsTransformersFp8Checkpoint() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        Path fp8 = HfFixtures.model("tiny-llama-fp8").orElse(null);
        assumeTrue(bf16 != null && fp8 != null, "tiny-llama fixtures absent");
        Path out = tmp.resolve("ours");
        for (int threads : new int[] {1, 3}) {
            QuantizeService.Result r = QuantizeService.quantize(bf16, out, Fp8BlockLayout.defaults(),
                    new EngineOptions(threads, 256, 1 << 16), 0, ProgressListener.NONE);
            assertEquals(14, r.quantized());
            try (ModelFile ours = ModelFiles.open(out); ModelFile ref = ModelFiles.open(fp8)) {
                assertEquals(names(ref), names(ours));
                int compared = 0;
                for (TensorView t : ref.tensors()) {
                    TensorView o = ours.tensor(t.name()).orElseThrow();
                    assertEquals(t.dtype(), o.dtype(), t.name());
                    assertTrue(Arrays.equals(t.shape(), o.shape()), t.name());
                    assertEquals(-1, t.data().mismatch(o.data()), t.name() + " bytes differ");
                    compared++;
                }
                assertEquals(35, compared);
            }
            Map<String, Object> refConfig = QuantizedCheckpoint.readJson(fp8.resolve("config.json"));
            Map<String, Object> ourConfig = QuantizedCheckpoint.readJson(out.resolve("config.json"));
            assertEquals(refConfig.get("quantization_config"), ourConfig.get("quantization_config"));
            assertEquals(refConfig, ourConfig);
            // transformers' own text: indent 2, sorted keys, Python float repr
            assertEquals(Files.readString(fp8.resolve("config.json")).strip(),
                    Files.readString(out.resolve("config.json")).strip());
            assertTrue(Files.exists(out.resolve("tokenizer_config.json")), "tokenizer files copied");
        }
    }

    @Test
    void readsAndDequantizesTransformersFp8Checkpoint() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        Path fp8 = HfFixtures.model("tiny-llama-fp8").orElse(null);
        assumeTrue(bf16 != null && fp8 != null, "tiny-llama fixtures absent");
        try (ModelFile ref = ModelFiles.open(bf16); ModelFile q = ModelFiles.open(fp8)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(q);
            assertEquals("fp8", cp.summary().method());
            assertEquals(14, cp.summary().quantizedWeights());
            assertEquals(21, cp.tensors().size());
            for (LogicalTensor t : cp.tensors()) {
                TensorView r = ref.tensor(t.name()).orElseThrow();
                int n = Math.toIntExact(r.elementCount());
                float[] want = new float[n];
                float[] got = new float[n];
                Codecs.forType(r.dtype()).decode(r.data(), 0, n, want, 0);
                t.source().decode(0, n, got, 0);
                double err = 0;
                double ref2 = 0;
                for (int i = 0; i < n; i++) {
                    err += (want[i] - got[i]) * (double) (want[i] - got[i]);
                    ref2 += want[i] * (double) want[i];
                }
                double rel = Math.sqrt(err / ref2);
                // e4m3 has 3 mantissa bits: about 2-3 % relative RMSE; plain tensors are exact
                assertTrue(t.isPlain() ? rel == 0 : rel < 0.06, t.name() + " rel rmse " + rel);
                // decoding a sub-range gives the same values as the whole
                if (n > 1300) {
                    float[] part = new float[300];
                    t.source().decode(1000, 300, part, 0);
                    assertTrue(Arrays.equals(Arrays.copyOfRange(got, 1000, 1300), part));
                }
            }
        }
    }

    @Test
    void scalarAndVectorQuantizersAgreeByteForByte() {
        assumeTrue(Codecs.vector(DType.F8_E4M3).isPresent(), "no Vector API");
        Random rnd = new Random(5);
        int rows = 128;
        int cols = 384;
        for (Fp8BlockQuantizer.Mode mode : Fp8BlockQuantizer.Mode.values()) {
            float[] a = new float[rows * cols];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextGaussian() * (i % 7 == 0 ? 3 : 0.02));
            }
            a[5] = 1e6f;
            a[cols + 7] = Float.NEGATIVE_INFINITY;
            Arrays.fill(a, 0, 0, 0f);
            float[] b = a.clone();
            MemorySegment qa = MemorySegment.ofArray(new byte[a.length]);
            MemorySegment qb = MemorySegment.ofArray(new byte[a.length]);
            float[] ia = new float[3];
            float[] ib = new float[3];
            new Fp8BlockQuantizer(Codecs.scalar(DType.F8_E4M3), mode).quantizeBand(a, 0, rows, cols, 128, qa, 0, ia, 0);
            new Fp8BlockQuantizer(Codecs.vector(DType.F8_E4M3).orElseThrow(), mode)
                    .quantizeBand(b, 0, rows, cols, 128, qb, 0, ib, 0);
            assertEquals(-1, qa.mismatch(qb));
            assertTrue(Arrays.equals(ia, ib));
        }
    }

    @Test
    void shapesThatDoNotDivideTheBlockStayUnquantizedAndAreListed() {
        Fp8BlockLayout layout = Fp8BlockLayout.defaults();
        assertTrue(layout.unsupportedShape(new long[] {576, 256}).isPresent());
        assertTrue(layout.unsupportedShape(new long[] {256, 256}).isEmpty());
        Map<String, Object> c = layout.quantizationConfig(List.of("lm_head", "model.kv_a"), List.of("model.kv_a"));
        assertEquals(List.of("lm_head", "model.kv_a"), c.get("modules_to_not_convert"));
        assertEquals(null, layout.quantizationConfig(List.of("lm_head"), List.of()).get("modules_to_not_convert"));
    }

    private static List<String> names(ModelFile m) {
        return m.tensors().stream().map(TensorView::name).sorted().toList();
    }
}
