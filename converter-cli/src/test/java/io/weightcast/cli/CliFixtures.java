package io.weightcast.cli;

import io.weightcast.formats.testing.TinyLlamaBf16;
import io.weightcast.testdata.SharedTestData;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checkpoints the CLI tests share. */
final class CliFixtures {
    private CliFixtures() {
    }

    /**
     * transformers' tiny-llama-bf16 from the shared test data, else the same checkpoint made from the bundled sample
     * ({@link TinyLlamaBf16}): the repository keeps only its config files.
     */
    static Path tinyLlamaBf16() {
        Path shared = SharedTestData.resolve("hf/tiny-llama-bf16").orElse(null);
        if (shared != null && Files.exists(shared.resolve("model.safetensors"))) {
            return shared;
        }
        Path root = CliRun.repoRoot();
        return TinyLlamaBf16.make(root, root.resolve("converter-cli/target/generated-fixtures"));
    }
}
