package io.weightcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weightcast.testdata.SharedTestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Checkpoints the CLI tests share. */
final class CliFixtures {
    private CliFixtures() {
    }

    /**
     * transformers' tiny-llama-bf16 from the shared test data, else the same checkpoint made here: the repository
     * keeps only its config files, and its weights are the bundled f32 sample cast to bfloat16, which this CLI's own
     * {@code convert --to safetensors --type BF16} does (converter-core's HfFixturesTest checks that cast against
     * transformers' file).
     */
    static synchronized Path tinyLlamaBf16() {
        Path shared = SharedTestData.resolve("hf/tiny-llama-bf16").orElse(null);
        if (shared != null && Files.exists(shared.resolve("model.safetensors"))) {
            return shared;
        }
        Path out = CliRun.repoRoot().resolve("converter-cli/target/generated-fixtures/tiny-llama-bf16");
        if (!Files.exists(out.resolve("model.safetensors"))) {
            try {
                Files.createDirectories(out.getParent());
                Path tmp = Files.createTempDirectory(out.getParent(), "tiny-llama-bf16.tmp");
                CliRun c = CliRun.of("convert", CliRun.repoRoot().resolve("testdata/sample/tiny-llama-f32"), "-o",
                        tmp.resolve("model.safetensors"), "--to", "safetensors", "--type", "BF16", "-q");
                assertEquals(0, c.exitCode(), c.err());
                Path configs = CliRun.repoRoot().resolve("testdata/fixtures/hf/tiny-llama-bf16");
                try (var files = Files.list(configs)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                        Files.copy(f, tmp.resolve(f.getFileName()));
                    }
                }
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
