package io.weightcast.core.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe vocabularies (diffusers, torchao/cache-dit, bnb, quanto, GGUF, dgenerate) and per-tensor rules. */
class RecipeTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    private static Recipe parse(String json) throws Exception {
        return Recipe.parse(new ObjectMapper().readValue(json, Map.class));
    }

    private static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
    }

    @Test
    void vocabulariesMapOntoLayouts() throws Exception {
        assertEquals("compressed-tensors pack-quantized (int8, channel)",
                parse("{\"quant_backend\": \"torchao\", \"quant_kwargs\": {\"quant_type\": \"int8_weight_only\"}}")
                        .layoutFor("").describe());
        assertEquals("compressed-tensors pack-quantized (int4, group 64)",
                parse("{\"quant_type\": \"int4wo\", \"group_size\": 64}").layoutFor("").describe());
        assertTrue(parse("{\"quant_method\": \"torchao\", \"quant_type\": \"float8_weight_only\"}").layoutFor("")
                .describe().contains("fp8, channel"));
        assertTrue(parse("{\"quant_type\": \"float8dq_e4m3_tensor\"}").layoutFor("").describe().contains("tensor"));
        assertEquals(DType.Q8_0, parse("{\"quant_type\": \"q8_0\"}").ggufType());
        assertEquals(DType.Q4_0, parse("{\"quant_backend\": \"gguf\", \"quant_kwargs\": {\"quant_type\": \"Q4_0\"}}")
                .ggufType());
        assertTrue(parse("{\"quant_backend\": \"quanto\", \"quant_kwargs\": {\"weights_dtype\": \"int8\"}}")
                .layoutFor("").describe().contains("int8, channel"));
        assertTrue(parse("{\"quant_method\": \"quanto\", \"weights\": \"int4\"}").layoutFor("").describe()
                .contains("int4, group 128"));
        assertTrue(parse("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"nf4\"}").layoutFor("").describe()
                .contains("nf4"));
        // dgenerate
        assertTrue(parse("{\"quantizer\": \"bnb;bits=8\"}").layoutFor("").describe().contains("LLM.int8"));
        BnbLayout nf4 = (BnbLayout) parse("{\"quantizer\": \"bnb;bits=4;bits4-quant-type=nf4;"
                + "bits4-use-double-quant=true;bits4-compute-dtype=bfloat16\"}").layoutFor("");
        assertEquals("nf4", nf4.quantType());
        assertEquals("nf4", ((BnbLayout) parse("{\"quantizer\": \"bitsandbytes;bits=4;quant_type=nf4\"}")
                .layoutFor("")).quantType());
        assertEquals("fp4", ((BnbLayout) parse("{\"quantizer\": \"bnb;bits=4\"}").layoutFor("")).quantType());
        Recipe mapped = parse("{\"quantizer\": \"bnb;bits=4\", \"quantizer_map\": \"unet text_encoder\"}");
        assertEquals(List.of("unet", "text_encoder"), mapped.components());
        assertNull(mapped.layoutFor("vae"));
        assertTrue(mapped.layoutFor("unet") instanceof BnbLayout);
    }

    @Test
    void errorsNameTheField() {
        assertTrue(error("{\"quant_type\": \"int8_dynamic_activation_int8_weight\"}").contains(
                "recipe.quant_type: \"int8_dynamic_activation_int8_weight\" has no weightcast layout"));
        assertTrue(error("{\"quant_backend\": \"torchao\", \"quant_kwargs\": {\"quant_type\": \"uint4wo\"}}")
                .contains("recipe.quant_kwargs.quant_type: \"uint4wo\""));
        assertTrue(error("{\"quant_type\": \"Q9_9\"}").contains("not a GGUF type name"));
        assertTrue(error("{\"quant_backend\": \"quanto\", \"quant_kwargs\": {\"weights_dtype\": \"int2\"}}")
                .contains("recipe.quant_kwargs.weights_dtype: \"int2\""));
        assertTrue(error("{\"quantizer\": \"bnb;bits=3\"}").contains("bits must be 4 or 8"));
        assertTrue(error("{\"quantizer\": \"bnb;bits=8;bits4-quant-type=nf4\"}").contains("apply to bits=4 only"));
        assertTrue(error("{\"quantizer\": \"bnb;bits=4;colour=red\"}").contains("unknown bnb URI argument \"colour\""));
        assertTrue(error("{\"quantizer\": \"sdnq;type=int8\"}").contains("sdnq quantizer URIs are not supported"));
        assertTrue(error("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"int4\"}").contains(
                "bnb_4bit_quant_type must be \"nf4\" or \"fp4\""));
        assertTrue(error("{\"load_in_4bit\": \"yes\"}").contains("nothing says how")
                || error("{\"load_in_4bit\": \"yes\"}").contains("load_in_4bit must be true or false"));
        assertTrue(error("{\"quant_backend\": \"bitsandbytes_4bit\", \"quant_kwargs\": {\"bnb_4bit_compute_dtype\":"
                + " \"int8\"}}").contains("bnb_4bit_compute_dtype must be"));
        assertTrue(error("{\"quant_backend\": \"fp8\", \"overrides\": [{\"pattern\": \"down\", \"quant_kwargs\": "
                + "{\"weight_block_size\": [64, 64]}}]}").contains("recipe.overrides[0].quant_kwargs:"));
        assertTrue(error("{\"quant_backend\": \"fp8\", \"skip\": [\"(\"]}").contains("recipe.skip: '(' is not a valid"));
        assertTrue(error("{\"quant_backend\": \"bitsandbytes_4bit\", \"overrides\": [{\"pattern\": \"x\"}]}")
                .contains("recipe.overrides[0]: give either"));
        assertTrue(error("{\"quant_mapping\": {\"transformer\": {\"quant_backend\": \"gptq\"}}}")
                .contains("unknown quant_backend \"gptq\""));
        assertTrue(error("{\"quant_type\": \"q8_0\", \"skip\": [\"x\"]}").contains("not supported for GGUF"));
    }

    @Test
    void skipAndPerTensorOverridesReachTheCheckpoint() throws Exception {
        Path bf16 = HfFixtures.model("tiny-llama-bf16").orElse(null);
        assumeTrue(bf16 != null, "tiny-llama fixture absent");
        Recipe r = parse("{\"quant_backend\": \"bitsandbytes_4bit\", \"quant_kwargs\": {\"load_in_4bit\": true,"
                + " \"bnb_4bit_quant_type\": \"nf4\"}, \"skip\": [\"layers\\\\.1\\\\.self_attn\\\\.o_proj\"],"
                + " \"overrides\": [{\"pattern\": \"mlp\\\\.down_proj\", \"quant_kwargs\": {\"bnb_4bit_quant_type\":"
                + " \"fp4\", \"bnb_4bit_blocksize\": 128}}, {\"pattern\": \"layers\\\\.0\\\\.self_attn\\\\.v_proj\","
                + " \"skip\": true}]}");
        Path out = tmp.resolve("out");
        QuantizeService.Result res = QuantizeService.quantize(bf16, out, r.layoutFor(""), EngineOptions.withThreads(2),
                0, ProgressListener.NONE);
        assertEquals(12, res.quantized());
        Map<String, Object> qc = (Map<String, Object>) QuantizedCheckpoint.readJson(out.resolve("config.json"))
                .get("quantization_config");
        List<?> skipped = (List<?>) qc.get("llm_int8_skip_modules");
        assertTrue(skipped.contains("model.layers.1.self_attn.o_proj"), skipped.toString());
        assertTrue(skipped.contains("model.layers.0.self_attn.v_proj"), skipped.toString());
        assertEquals("nf4", qc.get("bnb_4bit_quant_type"));
        try (ModelFile m = ModelFiles.open(out)) {
            assertEquals(DType.BF16, m.tensor("model.layers.1.self_attn.o_proj.weight").orElseThrow().dtype());
            String w = "model.layers.0.mlp.down_proj.weight";
            String json = new String(m.tensor(w + ".quant_state.bitsandbytes__fp4").orElseThrow().data()
                    .toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            assertTrue(json.startsWith("{\"quant_type\": \"fp4\", \"blocksize\": 128,"), json);
            assertTrue(m.tensor("model.layers.0.mlp.up_proj.weight.quant_state.bitsandbytes__nf4").isPresent());
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals(12, cp.summary().quantizedWeights());
            try (ModelFile src = ModelFiles.open(bf16)) {
                LogicalTensor t = cp.tensors().stream().filter(x -> x.name().equals(w)).findFirst().orElseThrow();
                assertTrue(BnbLayoutTest.relRmse(src.tensor(w).orElseThrow(), t) < 0.15);
            }
        }
    }
}
