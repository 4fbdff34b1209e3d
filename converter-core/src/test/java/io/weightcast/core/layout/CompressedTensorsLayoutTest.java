package io.weightcast.core.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.CompressedTensorsMath;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.core.job.RecipeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressedTensorsLayoutTest {
    @TempDir
    Path tmp;

    @Test
    void int4PackingIsOffsetBinaryLsbFirst() {
        int[] q = {-8, -7, 0, 1, 7, -1, 3, 2, 5};
        int[] words = new int[2];
        CompressedTensorsMath.pack(q, 0, 9, 4, words, 0);
        // u = q + 8 = 0, 1, 8, 9, 15, 7, 11, 10 | 13 ; element k at bits 4k
        assertEquals(0xAB7F9810, words[0]);
        assertEquals(0xD, words[1]);
        for (int k = 0; k < 8; k++) {
            assertEquals(q[k], CompressedTensorsMath.unpack(words[0], k, 4));
        }
        int[] w8 = new int[1];
        CompressedTensorsMath.pack(new int[] {-128, 127, 0, -1}, 0, 4, 8, w8, 0);
        assertEquals(0x7F80FF00, w8[0]); // u = 0, 255, 128, 127
    }

    @Test
    void symmetricScalesDivideByHalfRange() {
        assertEquals(1f, CompressedTensorsMath.scale(DType.F32, 7.5f, 7.5f));
        assertEquals(2f, CompressedTensorsMath.scale(DType.F32, 255f, 127.5f));
        assertEquals(7, CompressedTensorsMath.quantizeInt(DType.F32, 7.5f, 1f, -8, 7)); // clamped
        assertEquals(-8, CompressedTensorsMath.quantizeInt(DType.F32, -7.5f, 1f, -8, 7)); // -7.5 -> -8 half even
    }

    @Test
    void layoutsRoundTripWithTheirContract() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        assumeTrue(bf16 != null, "tiny-llama fixture absent");
        record Case(String scheme, String format, double bound) { }
        for (Case c : List.of(new Case("W4A16", null, 0.12), new Case("W8A16", "naive-quantized", 0.01),
                new Case("FP8_DYNAMIC", null, 0.06), new Case("FP8_TENSOR", null, 0.08))) {
            Map<String, Object> kw = c.format() == null ? Map.of("scheme", c.scheme())
                    : Map.of("scheme", c.scheme(), "format", c.format());
            Path out = tmp.resolve(c.scheme());
            QuantizeService.quantize(bf16, out, CompressedTensorsLayout.fromKwargs(kw), EngineOptions.withThreads(2),
                    0, ProgressListener.NONE);
            try (ModelFile m = ModelFiles.open(out); ModelFile src = ModelFiles.open(bf16)) {
                String mod = "model.layers.0.mlp.down_proj"; // [256, 768]
                switch (c.scheme()) {
                    case "W4A16" -> {
                        BnbLayoutTest.assertSpec(m, mod + ".weight_packed", DType.I32, 256, 96);
                        BnbLayoutTest.assertSpec(m, mod + ".weight_scale", DType.BF16, 256, 6);
                        BnbLayoutTest.assertSpec(m, mod + ".weight_shape", DType.I64, 2);
                    }
                    case "W8A16" -> {
                        BnbLayoutTest.assertSpec(m, mod + ".weight", DType.I8, 256, 768);
                        BnbLayoutTest.assertSpec(m, mod + ".weight_scale", DType.BF16, 256, 1);
                    }
                    case "FP8_DYNAMIC" -> BnbLayoutTest.assertSpec(m, mod + ".weight_scale", DType.BF16, 256, 1);
                    default -> BnbLayoutTest.assertSpec(m, mod + ".weight_scale", DType.BF16, 1);
                }
                QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
                assertEquals("compressed-tensors", cp.summary().method());
                assertEquals(14, cp.summary().quantizedWeights(), c.scheme());
                for (LogicalTensor t : cp.tensors()) {
                    if (!t.isPlain()) {
                        double e = BnbLayoutTest.relRmse(src.tensor(t.name()).orElseThrow(), t);
                        assertTrue(e < c.bound(), c.scheme() + " " + t.name() + " " + e);
                    }
                }
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> qc = (Map<String, Object>) QuantizedCheckpoint.readJson(out.resolve("config.json"))
                    .get("quantization_config");
            assertEquals("compressed", qc.get("quantization_status"));
            assertEquals(List.of("lm_head"), qc.get("ignore"));
            assertEquals(List.of("config_groups", "format", "global_compression_ratio", "ignore", "kv_cache_scheme",
                    "quant_method", "quantization_status", "sparsity_config", "transform_config", "version"),
                    List.copyOf(qc.keySet()));
        }
    }

    @Test
    void recipeVocabularyAndValidation() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        assumeTrue(bf16 != null, "tiny-llama fixture absent");
        Recipe r = Recipe.parse(Map.of("quant_backend", "bitsandbytes_4bit", "quant_kwargs", Map.of(
                "load_in_4bit", true, "bnb_4bit_quant_type", "nf4", "bnb_4bit_use_double_quant", true,
                "bnb_4bit_compute_dtype", "bfloat16")));
        assertTrue(r.layoutFor("").describe().contains("nf4"));
        assertTrue(Recipe.parse(Map.of("quant_method", "fp8")).layoutFor("") instanceof Fp8BlockLayout);
        assertTrue(Recipe.parse(Map.of("load_in_8bit", true)).layoutFor("").describe().contains("int8"));
        assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("quant_backend", "gptq")));
        assertThrows(IllegalArgumentException.class, () -> Recipe.parse(Map.of("quant_backend", "fp8",
                "quant_kwargs", Map.of("weight_blok_size", List.of(128, 128)))));
        // a diffusers pipeline: the listed component is quantized, the others copied
        Path pipe = tmp.resolve("pipe");
        Files.createDirectories(pipe.resolve("text_encoder"));
        Files.createDirectories(pipe.resolve("vae"));
        Files.writeString(pipe.resolve("model_index.json"), "{\"_class_name\": \"X\"}");
        for (String f : List.of("model.safetensors", "config.json")) {
            Files.copy(bf16.resolve(f), pipe.resolve("text_encoder").resolve(f));
            Files.copy(bf16.resolve(f), pipe.resolve("vae").resolve(f));
        }
        Recipe pr = Recipe.parse(Map.of("quant_backend", "fp8", "components_to_quantize", List.of("text_encoder")));
        var res = RecipeService.run(pipe, tmp.resolve("pipe-out"), pr, EngineOptions.withThreads(2), 0,
                ProgressListener.NONE);
        assertEquals(14, res.get("text_encoder").quantized());
        assertEquals(null, res.get("vae"));
        assertTrue(Files.exists(tmp.resolve("pipe-out/model_index.json")));
        assertEquals(-1, Files.mismatch(pipe.resolve("vae/model.safetensors"),
                tmp.resolve("pipe-out/vae/model.safetensors")));
        assertTrue(Files.readString(tmp.resolve("pipe-out/text_encoder/config.json")).contains("\"quant_method\": \"fp8\""));
    }
}
