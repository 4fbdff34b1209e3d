package io.weightcast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job and the commands around it, run in-process on the bundled sample model. */
class CliEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path q8;

    @BeforeAll
    static void convertSampleToQ8_0() {
        q8 = dir.resolve("tiny-q8_0.gguf");
        CliRun r = CliRun.of("convert", CliRun.sampleModel(), "-o", q8, "--type", "q8_0", "--report", "-t", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote").contains("tensors compared");
    }

    @Test
    void convertedFileHasEveryTensorWithTheExpectedTypes() throws Exception {
        CliRun r = CliRun.of("inspect", q8, "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("format").asText()).isEqualTo("gguf");
        JsonNode source = JSON.readTree(CliRun.of("inspect", CliRun.sampleModel(), "--json").out());
        assertThat(root.get("tensors")).hasSameSizeAs(source.get("tensors"));
        for (JsonNode t : root.get("tensors")) {
            String expected = t.get("shape").size() == 1 ? "F32" : "Q8_0";
            assertThat(t.get("dtype").asText()).as(t.get("name").asText()).isEqualTo(expected);
        }
        assertThat(root.get("metadata").get("general.file_type").asInt()).isEqualTo(7);
        assertThat(root.get("metadata").get("general.quantization_version").asInt()).isEqualTo(2);
    }

    @Test
    void verifyPassesWithinQ8BoundAndFailsWithExitCodeOneBelowIt() {
        CliRun ok = CliRun.of("verify", CliRun.sampleModel(), q8, "--max-rel-rmse", "0.01");
        assertThat(ok.exitCode()).as(ok.out() + ok.err()).isZero();
        CliRun tight = CliRun.of("verify", CliRun.sampleModel(), q8, "--max-rel-rmse", "1e-9", "--json");
        assertThat(tight.exitCode()).isEqualTo(1);
        assertThat(tight.out()).contains("\"passed\" : false");
    }

    @Test
    void dequantizedSafetensorsHoldExactlyTheGgufValues() {
        Path f32 = dir.resolve("deq.safetensors");
        CliRun d = CliRun.of("dequantize", q8, "-o", f32);
        assertThat(d.exitCode()).as(d.err()).isZero();
        CliRun v = CliRun.of("verify", q8, f32, "--max-rel-rmse", "0");
        assertThat(v.exitCode()).as(v.out()).isZero();
    }

    @Test
    void malformedInputExitsTwoAndLeavesTheExistingOutputUntouched() throws Exception {
        Path broken = dir.resolve("broken.safetensors");
        byte[] original = Files.readAllBytes(CliRun.sampleModel().resolve("model-00001-of-00010.safetensors"));
        Files.write(broken, java.util.Arrays.copyOf(original, original.length / 2));
        Path out = dir.resolve("existing.gguf");
        Files.writeString(out, "precious");
        CliRun r = CliRun.of("convert", broken, "-o", out, "--type", "q8_0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("broken.safetensors").doesNotContain("Exception in thread");
        assertThat(Files.readString(out)).isEqualTo("precious");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp"));
        }
    }

    @Test
    void picklesAreRefusedWithoutBeingRead() throws Exception {
        Path pickle = dir.resolve("pytorch_model.bin");
        Files.write(pickle, new byte[] {(byte) 0x80, 2});
        CliRun r = CliRun.of("inspect", pickle);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("pickle");
    }

    @Test
    void unknownTypeIsAUsageError() {
        CliRun r = CliRun.of("convert", CliRun.sampleModel(), "-o", dir.resolve("x.gguf"), "--type", "q9_9");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("unknown type 'q9_9'");
    }

    @Test
    void convertTakesALlamaCppFileTypeMixture() throws Exception {
        Path out = dir.resolve("mix.gguf");
        CliRun r = CliRun.of("convert", CliRun.sampleModel(), "-o", out, "--type", "q4_k_m", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (var m = io.weightcast.formats.gguf.GgufReader.open(out)) {
            var types = new java.util.TreeMap<String, String>();
            m.tensors().forEach(t -> types.put(t.name(), t.dtype().displayName()));
            assertThat(types).containsEntry("output.weight", "Q6_K").containsEntry("blk.0.attn_q.weight", "Q4_K")
                    .containsEntry("output_norm.weight", "F32");
            assertThat(m.ggufMetadata().get("general.file_type").orElseThrow().asLong()).isEqualTo(15);
        }
        // a llama-quantize option turns a plain type into its file type; without one a ggml type stays uniform
        CliRun pure = CliRun.of("convert", CliRun.sampleModel(), "-o", dir.resolve("p.gguf"), "--type", "Q6_K",
                "--pure", "--leave-output-tensor", "--dry-run");
        assertThat(pure.exitCode()).as(pure.err()).isZero();
        assertThat(pure.out()).containsPattern("output\\.weight.*F16");
        CliRun noType = CliRun.of("convert", CliRun.sampleModel(), "-o", dir.resolve("n.gguf"), "--pure");
        assertThat(noType.exitCode()).isEqualTo(2);
        assertThat(noType.err()).contains("need a llama.cpp file type");
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"inspect", "convert", "dequantize", "verify"}) {
            CliRun r = CliRun.of(cmd, "--help");
            assertThat(r.exitCode()).isZero();
            assertThat(r.out()).contains("Usage: weightcast " + cmd);
        }
        assertThat(CliRun.of("--help").out()).contains("Exit codes");
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() {
        Path out = dir.resolve("dry.gguf");
        CliRun r = CliRun.of("convert", CliRun.sampleModel(), "-o", out, "--type", "Q4_0", "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("model.layers.0.self_attn.q_proj.weight").contains("Q4_0");
        assertThat(out).doesNotExist();
    }
}
