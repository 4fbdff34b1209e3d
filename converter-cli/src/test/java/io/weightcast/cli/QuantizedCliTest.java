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
        return CliRun.repoRoot().resolve("testdata/fixtures/hf/" + name);
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
}
