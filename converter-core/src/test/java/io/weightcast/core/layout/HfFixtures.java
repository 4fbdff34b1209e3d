package io.weightcast.core.layout;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.SharedTestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The transformers-written tiny Llama checkpoints: the shared folder if present, else the repository's copy. The
 * repository keeps only the small files of {@code tiny-llama-bf16} (its 4 MB {@code model.safetensors} is the bundled
 * f32 sample cast to bfloat16, which is what transformers wrote too); without the shared folder that weight file is
 * made here, once per build, by the same cast ({@link #generatedBf16}), and {@code HfFixturesTest} checks it against
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

    /**
     * {@code tiny-llama-bf16} made from the bundled f32 sample ({@code testdata/sample/tiny-llama-f32}): every tensor
     * cast to bfloat16 (round to nearest even, as torch's {@code .to(torch.bfloat16)}) in one {@code model.safetensors},
     * next to the repository's config files; written to a temporary folder and moved into place, so concurrent test
     * JVMs never see half a file.
     */
    static synchronized Optional<Path> generatedBf16() {
        Optional<Path> root = SharedTestData.repoRoot();
        Optional<Path> configs = repoFixture(BF16).filter(p -> Files.exists(p.resolve("config.json")));
        if (root.isEmpty() || configs.isEmpty()) {
            return Optional.empty();
        }
        Path out = root.get().resolve("converter-core/target/generated-fixtures/" + BF16);
        if (Files.exists(out.resolve("model.safetensors"))) {
            return Optional.of(out);
        }
        try {
            Files.createDirectories(out.getParent());
            Path tmp = Files.createTempDirectory(out.getParent(), BF16 + ".tmp");
            ConvertService.convert(new ConvertRequest(root.get().resolve("testdata/sample/tiny-llama-f32"),
                    tmp.resolve("model.safetensors"), TargetFormat.SAFETENSORS, DType.BF16,
                    EngineOptions.withThreads(2), 0), ProgressListener.NONE);
            try (var files = Files.list(configs.get())) {
                for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                    Files.copy(f, tmp.resolve(f.getFileName()));
                }
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) { // another JVM made it first: keep theirs
                if (!Files.exists(out.resolve("model.safetensors"))) {
                    throw raced;
                }
            }
            return Optional.of(out);
        } catch (IOException e) {
            throw new UncheckedIOException("could not make the " + BF16 + " fixture from the bundled sample", e);
        }
    }
}
