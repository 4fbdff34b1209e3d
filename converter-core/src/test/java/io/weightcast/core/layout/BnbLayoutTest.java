package io.weightcast.core.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BnbLayoutTest {
    @TempDir
    Path tmp;

    // ---- golden vectors, derived by hand from bnb's tables and CUDA decision trees ------------------------------

    @Test
    void nf4GoldenCodesAndHighNibbleFirst() {
        float[] x = {0.5f, -1f, 0.04f, 0.0397f, 0.03979014977812767f, 0.8614784181118011f, 0.87f, -0.848f};
        // absmax 1: s = x. 0.5 -> 12, -1 -> 0, 0.04 -> 8, 0.0397 -> 7, the threshold itself -> 7 (strict >),
        // 0.86147842 -> 14 (tie goes down), 0.87 -> 15, -0.848 -> 1 (> -0.8480964)
        int[] want = {12, 0, 8, 7, 7, 14, 15, 1};
        for (int i = 0; i < x.length; i++) {
            assertEquals(want[i], Bnb.nf4(x[i]), "x=" + x[i]);
        }
        float[] block = new float[64];
        System.arraycopy(x, 0, block, 0, x.length);
        MemorySegment out = MemorySegment.ofArray(new byte[32]);
        Bnb.quantize4(true, block, 0, 64, 64, new float[] {1f}, 0, out, 0);
        assertEquals((byte) 0xC0, out.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals((byte) 0x87, out.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals((byte) 0x7E, out.get(ValueLayout.JAVA_BYTE, 2)); // 7, 14
        assertEquals((byte) 0xF1, out.get(ValueLayout.JAVA_BYTE, 3)); // 15, 1
        assertEquals((byte) 0x77, out.get(ValueLayout.JAVA_BYTE, 31)); // zeros -> code 7 (0.0)
    }

    @Test
    void fp4GoldenCodes() {
        // absmax 12: s = 1, -0.5, 1/192 (0.0052), 0.25, -0.0 -> 0b011, 8|0b101, 0b001, 0b111, 0 (no sign for -0)
        float[] block = new float[64];
        float[] x = {12f, -6f, 0.0625f, 3f, -0f, 0.03f, 2f, -8f};
        System.arraycopy(x, 0, block, 0, x.length);
        MemorySegment out = MemorySegment.ofArray(new byte[32]);
        Bnb.quantize4(false, block, 0, 64, 64, new float[] {12f}, 0, out, 0);
        // 0.03/12 = 0.0025 < 0.00260417 -> 0; 2/12 -> 0b110; -8/12 -> 8|0b010
        byte[] want = {0x3D, 0x17, 0x00, (byte) 0x6A};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], out.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
        }
        // the stored quant_map is the raw FP4 table / 12
        assertEquals(8f / 12f, Bnb.FP4[2]);
        assertEquals(0.0625f / 12f, Bnb.FP4[1]);
    }

    @Test
    void dynamicMapAndDoubleQuantization() {
        assertEquals(0f, Bnb.DYNAMIC[127]);
        assertEquals(1f, Bnb.DYNAMIC[255]);
        assertEquals(-0.99296874f, Bnb.DYNAMIC[0]);
        for (int i = 1; i < 256; i++) {
            assertTrue(Bnb.DYNAMIC[i] > Bnb.DYNAMIC[i - 1]);
        }
        float[] absmax = new float[600];
        Random r = new Random(1);
        for (int i = 0; i < absmax.length; i++) {
            absmax[i] = 0.01f + r.nextFloat() * 0.2f;
        }
        Bnb.Nested n = Bnb.doubleQuantize(absmax);
        assertEquals(3, n.nestedAbsmax().length);
        float[] back = Bnb.undoubleQuantize(n.codes(), Bnb.DYNAMIC, n.nestedAbsmax(), 256, n.offset());
        for (int i = 0; i < absmax.length; i++) {
            assertEquals(absmax[i], back[i], 0.1f * 0.11f, "absmax " + i); // within one map step of the range
        }
    }

    @Test
    void int8RowGolden() {
        float[] row = {1f, -0.5f, 0.25f, 0f, 1.0039062f /* not fp16-exact at 2^-10 steps */};
        MemorySegment out = MemorySegment.ofArray(new byte[5]);
        float scb = Bnb.int8Row(row, 0, 5, out, 0);
        assertEquals(1.0039062f, scb);
        // factor = fl(fl(1/1.0039062) * 127); 1 -> 126.5 -> rint -> 126 (half to even)? computed: 126.505 -> 127
        byte[] got = out.toArray(ValueLayout.JAVA_BYTE);
        assertEquals(127, got[4]);
        assertEquals(0, got[3]);
        assertEquals(Math.rint(-0.5f * ((1f / 1.0039062f) * 127f)), got[1]);
        MemorySegment z = MemorySegment.ofArray(new byte[3]);
        assertEquals(0f, Bnb.int8Row(new float[3], 0, 3, z, 0));
    }

    @Test
    void scalarAndVectorKernelsAgreeByteForByte() {
        var vector = Bnb4BitKernel.vector();
        assumeTrue(vector.isPresent(), "no Vector API");
        Random r = new Random(7);
        for (int bs : Bnb.BLOCK_SIZES) {
            for (boolean nf4 : new boolean[] {true, false}) {
                int n = bs * 5 + (bs > 32 ? 33 : 0) + 1; // a partial last block with an odd element
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) r.nextGaussian() * (i % 97 == 0 ? 10 : 1);
                }
                Arrays.fill(x, bs, Math.min(n, 2 * bs), 0f); // an all-zero block
                float[] absmax = new float[(n + bs - 1) / bs];
                Bnb.absmax(x, 0, n, bs, absmax, 0);
                MemorySegment a = MemorySegment.ofArray(new byte[(n + 1) / 2]);
                MemorySegment b = MemorySegment.ofArray(new byte[(n + 1) / 2]);
                Bnb4BitKernel.scalar().quantize4(nf4, x, 0, n, bs, absmax, 0, a, 0);
                vector.get().quantize4(nf4, x, 0, n, bs, absmax, 0, b, 0);
                assertEquals(-1, a.mismatch(b), "blocksize " + bs + " nf4 " + nf4);
            }
        }
    }

    // ---- layout contract and round trips on the transformers-written tiny Llama ---------------------------------

    @Test
    void nf4DoubleQuantLayoutContractAndRoundTrip() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        assumeTrue(bf16 != null, "tiny-llama fixture absent");
        Path out = tmp.resolve("nf4");
        QuantizeService.Result res = QuantizeService.quantize(bf16, out, BnbLayout.fourBit("nf4", true, "bfloat16"),
                new EngineOptions(2, 4096, 1 << 16), 600_000, ProgressListener.NONE);
        assertEquals(14, res.quantized());
        assertEquals(List.of("lm_head"), res.unquantized());
        try (ModelFile m = ModelFiles.open(out); ModelFile src = ModelFiles.open(bf16)) {
            String w = "model.layers.0.mlp.down_proj.weight"; // [256, 768]: 196608 values, 3072 blocks
            assertSpec(m, w, DType.U8, 98304, 1);
            assertSpec(m, w + ".absmax", DType.U8, 3072);
            assertSpec(m, w + ".quant_map", DType.F32, 16);
            assertSpec(m, w + ".nested_absmax", DType.F32, 12);
            assertSpec(m, w + ".nested_quant_map", DType.F32, 256);
            TensorView qs = m.tensor(w + ".quant_state.bitsandbytes__nf4").orElseThrow();
            assertEquals(DType.U8, qs.dtype());
            String json = new String(qs.data().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            assertTrue(json.startsWith("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", "
                    + "\"shape\": [256, 768], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", "
                    + "\"nested_offset\": 0."), json);
            assertArrayEquals(Bnb.NF4, BnbReader.floats(m.tensor(w + ".quant_map").orElseThrow()));
            assertArrayEquals(Bnb.DYNAMIC, BnbReader.floats(m.tensor(w + ".nested_quant_map").orElseThrow()));
            // high nibble first: the first byte holds elements 0 (high) and 1 (low), from the fp32 absmax
            TensorView s = src.tensor(w).orElseThrow();
            float[] x = new float[64];
            Codecs.forType(DType.BF16).decode(s.data(), 0, 64, x, 0);
            float[] am = new float[1];
            Bnb.absmax(x, 0, 64, 64, am, 0);
            MemorySegment want = MemorySegment.ofArray(new byte[32]);
            Bnb.quantize4(true, x, 0, 64, 64, am, 0, want, 0);
            assertEquals(-1, want.mismatch(m.tensor(w).orElseThrow().data().asSlice(0, 32)));
            // untouched: lm_head, embeddings, norms keep their dtype
            assertEquals(DType.BF16, m.tensor("lm_head.weight").orElseThrow().dtype());
            assertEquals(DType.BF16, m.tensor("model.norm.weight").orElseThrow().dtype());
            // the six keys of each weight share a shard
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("bitsandbytes", cp.summary().method());
            assertEquals(14, cp.summary().quantizedWeights());
            for (LogicalTensor t : cp.tensors()) {
                assertEquals(1, t.parts().stream().map(TensorView::file).distinct().count(), t.name());
                if (!t.isPlain()) {
                    assertEquals(6, t.parts().size());
                    assertTrue(relRmse(src.tensor(t.name()).orElseThrow(), t) < 0.12, t.name());
                }
            }
        }
        Map<String, Object> qc = (Map<String, Object>) QuantizedCheckpoint.readJson(out.resolve("config.json"))
                .get("quantization_config");
        assertEquals(List.of("_load_in_4bit", "_load_in_8bit", "bnb_4bit_compute_dtype", "bnb_4bit_quant_storage",
                "bnb_4bit_quant_type", "bnb_4bit_use_double_quant", "llm_int8_enable_fp32_cpu_offload",
                "llm_int8_has_fp16_weight", "llm_int8_skip_modules", "llm_int8_threshold", "load_in_4bit",
                "load_in_8bit", "quant_method"), List.copyOf(qc.keySet()));
        assertEquals("nf4", qc.get("bnb_4bit_quant_type"));
        assertEquals(true, qc.get("bnb_4bit_use_double_quant"));
        assertEquals(6.0, qc.get("llm_int8_threshold"));
        assertEquals(List.of("lm_head"), qc.get("llm_int8_skip_modules"));
    }

    @Test
    void fp4WithoutDoubleQuantAndInt8RoundTrip() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        assumeTrue(bf16 != null, "tiny-llama fixture absent");
        for (BnbLayout layout : List.of(BnbLayout.fourBit("fp4", false, "float32"), BnbLayout.eightBit())) {
            Path out = tmp.resolve(layout.describe().replaceAll("\\W", ""));
            QuantizeService.quantize(bf16, out, layout, EngineOptions.withThreads(2), 0, ProgressListener.NONE);
            try (ModelFile m = ModelFiles.open(out); ModelFile src = ModelFiles.open(bf16)) {
                QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
                assertEquals(14, cp.summary().quantizedWeights());
                for (LogicalTensor t : cp.tensors()) {
                    if (!t.isPlain()) {
                        double bound = layout.describe().contains("int8") ? 0.01 : 0.2;
                        assertTrue(relRmse(src.tensor(t.name()).orElseThrow(), t) < bound, t.name());
                    }
                }
                String w = "model.layers.1.self_attn.q_proj";
                if (layout.describe().contains("int8")) {
                    assertEquals(DType.I8, m.tensor(w + ".weight").orElseThrow().dtype());
                    assertSpec(m, w + ".SCB", DType.F32, 256);
                    assertEquals(0, m.tensor(w + ".weight_format").orElseThrow().rank());
                    assertFalse(m.tensor(w + ".weight.SCB").isPresent());
                } else {
                    assertSpec(m, w + ".weight.absmax", DType.F32, 1024);
                    assertTrue(m.tensor(w + ".weight.quant_state.bitsandbytes__fp4").isPresent());
                    assertFalse(m.tensor(w + ".weight.nested_absmax").isPresent());
                }
            }
        }
    }

    @Test
    void userSkipPatternsFollowTransformersAndWarnOnWiderMatches() {
        ModuleRules rules = ModuleRules.of(List.of("model.layers.1", "lm_head"));
        assertTrue(rules.skippedBy("model.layers.1.mlp.up_proj").isPresent());
        assertTrue(rules.warnings().isEmpty());
        assertTrue(rules.skippedBy("model.layers.10.mlp.up_proj").isPresent()); // regex prefix, as transformers
        assertEquals(1, rules.warnings().size());
        assertTrue(rules.warnings().get(0).contains("model.layers.10.mlp.up_proj"));
        assertTrue(rules.skippedBy("a.lm_head").isPresent()); // suffix
        assertFalse(rules.skippedBy("model.layers.2.mlp.up_proj").isPresent());
    }

    static void assertSpec(ModelFile m, String name, DType dtype, long... shape) {
        TensorView t = m.tensor(name).orElseThrow(() -> new AssertionError("missing " + name));
        assertEquals(dtype, t.dtype(), name);
        assertArrayEquals(shape, t.shape(), name);
    }

    static double relRmse(TensorView ref, LogicalTensor t) {
        int n = Math.toIntExact(ref.elementCount());
        float[] want = new float[n];
        float[] got = new float[n];
        Codecs.forType(ref.dtype()).decode(ref.data(), 0, n, want, 0);
        t.source().decode(0, n, got, 0);
        double e = 0;
        double r = 0;
        for (int i = 0; i < n; i++) {
            e += (want[i] - got[i]) * (double) (want[i] - got[i]);
            r += want[i] * (double) want[i];
        }
        return Math.sqrt(e / r);
    }
}
