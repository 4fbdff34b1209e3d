package io.weightcast.testdata;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the repository root and the shared test data folder ({@code ../shared/testdata} beside the repository),
 * which holds files written by other tools (ggml golden vectors, Hugging Face models, real GGUF files). Tests that
 * need it must skip when it is absent: the suite has to pass without it.
 *
 * <p>Lookup order for the shared folder: system property {@code weightcast.shared.dir}, environment variable
 * {@code WEIGHTCAST_SHARED_DIR}, then {@code <repo root>/../shared}. Each may name either the {@code shared}
 * folder or its {@code testdata} folder. The repository root is the system property {@code weightcast.repo.root}
 * (Surefire sets it) or the nearest folder, walking up from the working directory, that contains {@code mvnw}.
 */
public final class SharedTestData {

    private SharedTestData() {}

    /** The repository root (the folder holding {@code mvnw}), or empty when it cannot be found. */
    public static Optional<Path> repoRoot() {
        String prop = System.getProperty("weightcast.repo.root");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop).toAbsolutePath().normalize();
            if (Files.isDirectory(p)) {
                return Optional.of(p);
            }
        }
        Path dir = Path.of("").toAbsolutePath().normalize();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw"))) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The shared {@code testdata} folder, or empty when it is not there. */
    public static Optional<Path> dir() {
        String prop = System.getProperty("weightcast.shared.dir");
        if (prop == null || prop.isBlank()) {
            prop = System.getenv("WEIGHTCAST_SHARED_DIR");
        }
        if (prop != null && !prop.isBlank()) {
            return testdataIn(Path.of(prop));
        }
        return repoRoot().flatMap(root -> root.getParent() == null
                ? Optional.empty()
                : testdataIn(root.getParent().resolve("shared")));
    }

    /** A file or folder under the shared {@code testdata} folder, or empty when it (or the folder) is absent. */
    public static Optional<Path> resolve(String relative) {
        return dir().map(d -> d.resolve(relative)).filter(Files::exists);
    }

    /** {@code ggml-golden/}: ggml's quantized bytes and dequantized floats for 24 types (see its manifest.json). */
    public static Optional<Path> ggmlGolden() {
        return resolve("ggml-golden").filter(d -> Files.isRegularFile(d.resolve("manifest.json")));
    }

    private static Optional<Path> testdataIn(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        if (Files.isDirectory(abs.resolve("testdata"))) {
            return Optional.of(abs.resolve("testdata"));
        }
        if (Files.isDirectory(abs) && abs.getFileName() != null && abs.getFileName().toString().equals("testdata")) {
            return Optional.of(abs);
        }
        return Optional.empty();
    }
}
