package io.weightcast.core.layout;

import io.weightcast.testdata.SharedTestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The transformers-written tiny Llama checkpoints: the shared folder if present, else the repository's copy. */
final class HfFixtures {
    private HfFixtures() {
    }

    static Optional<Path> model(String name) {
        Optional<Path> shared = SharedTestData.resolve("hf/" + name).filter(p -> Files.exists(p.resolve("model.safetensors")));
        if (shared.isPresent()) {
            return shared;
        }
        Optional<Path> fixed = SharedTestData.repoRoot().map(r -> r.resolve("testdata/fixtures/hf/" + name));
        if (fixed.isPresent() && Files.exists(fixed.get().resolve("model.safetensors"))) {
            return fixed;
        }
        return Optional.of(Path.of("/work/shared/testdata/hf/" + name)).filter(p -> Files.exists(p.resolve("model.safetensors")));
    }
}
