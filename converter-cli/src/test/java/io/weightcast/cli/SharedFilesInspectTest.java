package io.weightcast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every model file other tools wrote (shared/testdata/real and hf) either inspects cleanly or is rejected with
 * exit code 2 and a message naming the file — never an internal error. The corrupted vocabulary must be rejected.
 * Skipped where shared/ is absent; the formats module's tests cover bundled copies of a few of these files.
 */
class SharedFilesInspectTest {

    private static Path sharedTestdata() {
        Path shared = CliRun.repoRoot().resolveSibling("shared").resolve("testdata");
        Assumptions.assumeTrue(Files.isDirectory(shared), "shared/testdata not present beside the repository");
        return shared;
    }

    private static List<Path> modelFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".gguf") || n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json");
            }).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everySharedModelFileInspectsOrIsRejectedClearly() throws IOException {
        Path shared = sharedTestdata();
        List<Path> files = modelFiles(shared);
        assertThat(files).hasSizeGreaterThan(20);
        return files.stream().map(file -> DynamicTest.dynamicTest(shared.relativize(file).toString(), () -> {
            CliRun r = CliRun.of("inspect", file, "--json");
            boolean mustFail = file.toString().contains("negative-corrupted-vocab");
            boolean partialIndex = file.toString().contains("llama-3.2-3B-partial-shards")
                    && file.getFileName().toString().endsWith(".index.json");
            if (mustFail || partialIndex) {
                assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
            } else {
                assertThat(r.exitCode()).as(r.err()).isZero();
                assertThat(r.out()).contains("\"tensors\"");
            }
            if (r.exitCode() == 2) {
                assertThat(r.err()).startsWith("weightcast: error: ").contains(file.getFileName().toString())
                        .doesNotContain("\tat ");
            }
        }));
    }

    @Test
    void everyHfCheckpointFolderInspects() {
        Path hf = sharedTestdata().resolve("hf");
        for (String model : new String[] {"tiny-llama-f32", "tiny-llama-bf16", "tiny-llama-fp8"}) {
            CliRun r = CliRun.of("inspect", hf.resolve(model));
            assertThat(r.exitCode()).as(model + ": " + r.err()).isZero();
            assertThat(r.out()).contains("model.layers.1.mlp.down_proj.weight");
        }
    }
}
