package io.weightcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert --recipe, inspect, verify and dequantize on pre-quantized checkpoints, end to end. */
class QuantizedCliTest {
    @TempDir
    Path tmp;

    private static Path fixture(String name) {
        return name.equals("tiny-llama-bf16") ? CliFixtures.tinyLlamaBf16()
                : CliRun.repoRoot().resolve("testdata/fixtures/hf/" + name);
    }

    @Test
    void inspectRecognisesTransformersFp8() {
        CliRun r = CliRun.of("inspect", fixture("tiny-llama-fp8"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("quantization: fp8"), r.out());
        assertTrue(r.out().contains("fp8 e4m3 block 128x128"), r.out());
        assertTrue(r.out().contains("quantized weights: 14"), r.out());
    }

    @Test
    void recipeConvertThenVerifyAndDequantize() throws Exception {
        Path recipe = tmp.resolve("nf4.json");
        Files.writeString(recipe, "{\"quant_backend\": \"bitsandbytes_4bit\", \"quant_kwargs\": {\"load_in_4bit\": true,"
                + " \"bnb_4bit_quant_type\": \"nf4\", \"bnb_4bit_use_double_quant\": true,"
                + " \"bnb_4bit_compute_dtype\": \"bfloat16\"}}");
        Path out = tmp.resolve("nf4");
        CliRun c = CliRun.of("convert", fixture("tiny-llama-bf16"), "-o", out, "--recipe", recipe, "-q");
        assertEquals(0, c.exitCode(), c.err());
        assertTrue(Files.exists(out.resolve("config.json")));
        CliRun v = CliRun.of("verify", fixture("tiny-llama-bf16"), out, "--max-rel-rmse", "0.12");
        assertEquals(0, v.exitCode(), v.out() + v.err());
        CliRun d = CliRun.of("dequantize", fixture("tiny-llama-fp8"), "-o", tmp.resolve("deq.safetensors"), "-q");
        assertEquals(0, d.exitCode(), d.err());
        CliRun v2 = CliRun.of("verify", fixture("tiny-llama-bf16"), tmp.resolve("deq.safetensors"),
                "--max-rel-rmse", "0.06");
        assertEquals(0, v2.exitCode(), v2.out() + v2.err());
        CliRun bad = CliRun.of("convert", fixture("tiny-llama-bf16"), "-o", tmp.resolve("x"), "--recipe",
                Files.writeString(tmp.resolve("bad.json"), "{\"quant_backend\": \"gptq\"}"));
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("unknown quant_backend"), bad.err());
    }

    @Test
    void ggufTypeRecipeWritesGguf() throws Exception {
        Path recipe = Files.writeString(tmp.resolve("q8.json"), "{\"quant_type\": \"Q8_0\"}");
        Path out = tmp.resolve("m.gguf");
        CliRun c = CliRun.of("convert", fixture("tiny-llama-bf16"), "-o", out, "--recipe", recipe, "-q");
        assertEquals(0, c.exitCode(), c.err());
        CliRun i = CliRun.of("inspect", out);
        assertTrue(i.out().contains("Q8_0"), i.out());
        CliRun bad = CliRun.of("convert", fixture("tiny-llama-bf16"), "-o", tmp.resolve("dir"), "--recipe", recipe);
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("name the output *.gguf"), bad.err());
        Path dg = Files.writeString(tmp.resolve("dg.json"), "{\"quantizer\": \"bnb;bits=4;bits4-quant-type=nf4\"}");
        CliRun d = CliRun.of("convert", fixture("tiny-llama-bf16"), "-o", tmp.resolve("nf4"), "--recipe", dg, "-q");
        assertEquals(0, d.exitCode(), d.err());
        assertTrue(Files.readString(tmp.resolve("nf4/config.json")).contains("\"bnb_4bit_quant_type\": \"nf4\""));
    }

    @Test
    void inspectPipelineShowsFootprintPerComponent() throws Exception {
        Path pipe = tmp.resolve("pipe");
        for (String c : new String[] {"transformer", "text_encoder", "vae"}) {
            Files.createDirectories(pipe.resolve(c));
            for (String f : new String[] {"model.safetensors", "config.json"}) {
                Files.copy(fixture("tiny-llama-bf16").resolve(f), pipe.resolve(c).resolve(f));
            }
        }
        Files.createDirectories(pipe.resolve("tokenizer"));
        Files.writeString(pipe.resolve("tokenizer/vocab.json"), "{}");
        Files.writeString(pipe.resolve("model_index.json"), "{\"_class_name\": \"TinyPipeline\"}");
        Path recipe = Files.writeString(tmp.resolve("r.json"), "{\"quant_mapping\": {\"transformer\": "
                + "{\"quant_backend\": \"bitsandbytes_4bit\", \"quant_kwargs\": {\"load_in_4bit\": true,"
                + " \"bnb_4bit_quant_type\": \"nf4\"}}, \"text_encoder\": {\"quant_backend\": \"fp8\"}}}");
        CliRun c = CliRun.of("convert", pipe, "-o", tmp.resolve("out"), "--recipe", recipe, "-q");
        assertEquals(0, c.exitCode(), c.err());
        CliRun i = CliRun.of("inspect", tmp.resolve("out"));
        assertEquals(0, i.exitCode(), i.err());
        String o = i.out();
        assertTrue(o.contains("diffusers pipeline (TinyPipeline)"), o);
        assertTrue(o.matches("(?s).*transformer\\s+bitsandbytes\\s+14 .*"), o);
        assertTrue(o.matches("(?s).*text_encoder\\s+fp8\\s+14 .*"), o);
        assertTrue(o.matches("(?s).*vae\\s+none\\s+0 .*"), o);
        assertTrue(o.contains("fp8 e4m3 block 128x128"), o);
        assertTrue(o.contains("without weights: tokenizer"), o);
        CliRun j = CliRun.of("inspect", tmp.resolve("out"), "--json");
        assertEquals(0, j.exitCode(), j.err());
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(j.out());
        var comps = tree.get("components");
        assertEquals(3, comps.size());
        for (var comp : comps) {
            long before = comp.get("beforeBytes").asLong();
            long after = comp.get("afterBytes").asLong();
            if (comp.get("name").asText().equals("vae")) {
                assertEquals(before, after);
            } else {
                assertTrue(after < before, comp.toString());
            }
        }
    }
}
