package io.weightcast.formats.gguf;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Locates test files: bundled resources and the team's shared test data (which may be absent). */
final class GgufTestFiles {
    private GgufTestFiles() {
    }

    /** {@code <weightcast.repo.root>/../shared}, else {@code ../shared}, when it exists. */
    static Optional<Path> shared() {
        String root = System.getProperty("weightcast.repo.root");
        Path candidate = root != null && !root.isBlank()
                ? Path.of(root).toAbsolutePath().normalize().resolveSibling("shared")
                : Path.of("..", "shared").toAbsolutePath().normalize();
        return Files.isDirectory(candidate) ? Optional.of(candidate) : Optional.empty();
    }

    /** {@code shared/testdata/real}, when present. */
    static Optional<Path> sharedReal() {
        return shared().map(s -> s.resolve("testdata/real")).filter(Files::isDirectory);
    }

    /** A bundled resource under {@code gguf/} as a path. */
    static Path resource(String name) {
        URL url = GgufTestFiles.class.getResource("/gguf/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource gguf/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] resourceBytes(String name) throws IOException {
        try (InputStream in = GgufTestFiles.class.getResourceAsStream("/gguf/" + name)) {
            return in.readAllBytes();
        }
    }
}
