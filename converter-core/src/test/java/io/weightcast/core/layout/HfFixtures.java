package io.weightcast.core.layout;

import io.weightcast.formats.testing.TinyLlamaBf16;
import io.weightcast.testdata.SharedTestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The transformers-written tiny Llama checkpoints: the shared folder if present, else the repository's copy. The
 * repository keeps only the small files of {@code tiny-llama-bf16} (its 4 MB {@code model.safetensors} is the bundled
 * f32 sample cast to bfloat16, which is what transformers wrote too); without the shared folder that weight file is
 * made once per build by the same cast ({@link TinyLlamaBf16}), and {@code HfFixturesTest} checks it against
 * transformers' file whenever the shared folder is there.
 */
final class HfFixtures {
    static final String BF16 = "tiny-llama-bf16";

    private HfFixtures() {
    }

    static Optional<Path> model(String name) {
        Optional<Path> shared = shared(name);
        if (shared.isPresent()) {
            return shared;
        }
        Optional<Path> fixed = repoFixture(name).filter(p -> Files.exists(p.resolve("model.safetensors")));
        if (fixed.isPresent() || !name.equals(BF16)) {
            return fixed;
        }
        return generatedBf16();
    }

    /** The checkpoint as transformers wrote it, in the shared test data. */
    static Optional<Path> shared(String name) {
        return SharedTestData.resolve("hf/" + name).filter(p -> Files.exists(p.resolve("model.safetensors")));
    }

    private static Optional<Path> repoFixture(String name) {
        return SharedTestData.repoRoot().map(r -> r.resolve("testdata/fixtures/hf/" + name));
    }

    /** {@code tiny-llama-bf16} made from the bundled f32 sample ({@link TinyLlamaBf16}). */
    static Optional<Path> generatedBf16() {
        return SharedTestData.repoRoot()
                .map(r -> TinyLlamaBf16.make(r, r.resolve("converter-core/target/generated-fixtures")));
    }
}
