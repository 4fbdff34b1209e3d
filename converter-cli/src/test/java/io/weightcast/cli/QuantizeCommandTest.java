package io.weightcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void setUp() throws Exception {
        model = dir.resolve("m-f16.gguf");
        SyntheticLlama.write(model, 4, 256, 512, 256, 8, 2, 1);
    }

    @Test
    void helpListsTheFileTypesWithBitsPerWeight() {
        CliRun r = CliRun.of("quantize", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("15  or  Q4_K_M"), r.out());
        assertTrue(r.out().contains("bpw"), r.out());
        assertTrue(r.out().contains("--allow-requantize"), r.out());
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() {
        CliRun r = CliRun.of("quantize", "--dry-run", model, "Q4_K_M");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("blk.0.ffn_down.weight") && r.out().contains("Q6_K"), r.out());
        assertTrue(r.out().contains("output.weight"), r.out());
        assertTrue(!Files.exists(dir.resolve("ggml-model-Q4_K_M.gguf")));
    }

    @Test
    void quantizesQ8_0AndRefusesRequantizingWithTheReason() throws Exception {
        Path out = dir.resolve("q8.gguf");
        CliRun r = CliRun.of("quantize", "-q", "--override-kv", "general.name=str:renamed", model, out, "q8_0", "2");
        assertEquals(0, r.exitCode(), r.err());
        try (GgufModel m = GgufReader.open(out)) {
            assertEquals(DType.Q8_0, m.tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight"))
                    .findFirst().orElseThrow().dtype());
            var keys = m.ggufMetadata().keys();
            assertEquals("general.name", keys.getLast());
            assertEquals("general.file_type", keys.get(keys.size() - 2));
            assertEquals(7L, m.ggufMetadata().getUint32("general.file_type").orElseThrow());
        }
        CliRun again = CliRun.of("quantize", out, dir.resolve("q4.gguf"), "Q4_0");
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("requantizing from type Q8_0 is disabled")
                && again.err().contains("--allow-requantize"), again.err());
        CliRun allowed = CliRun.of("quantize", "-q", "--pure", "--allow-requantize", out, dir.resolve("q4.gguf"), "Q4_0");
        assertEquals(0, allowed.exitCode(), allowed.err());
    }

    @Test
    void badArgumentsExitWith2() {
        assertEquals(2, CliRun.of("quantize", model, dir.resolve("x.gguf"), "Q9_K").exitCode());
        assertEquals(2, CliRun.of("quantize", "--tensor-type", "attn_v", model, dir.resolve("x.gguf"), "Q8_0")
                .exitCode());
        CliRun r = CliRun.of("quantize", "--imatrix", dir.resolve("missing.dat"), model, dir.resolve("x.gguf"), "Q8_0");
        assertEquals(2, r.exitCode());
    }
}
