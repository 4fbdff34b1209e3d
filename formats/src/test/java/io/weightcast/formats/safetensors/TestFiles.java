package io.weightcast.formats.safetensors;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of test data, and a way to write raw (possibly broken) safetensors files. */
final class TestFiles {
    private TestFiles() {
    }

    /** The repository root: Surefire's {@code weightcast.repo.root}, else the nearest folder with the wrapper. */
    static Path repoRoot() {
        String prop = System.getProperty("weightcast.repo.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("testdata"))) {
                return p;
            }
        }
        return Path.of("").toAbsolutePath();
    }

    /** {@code <root>/../shared}, or {@code ../shared} from the working folder without the property. */
    static Path shared() {
        String prop = System.getProperty("weightcast.repo.root");
        Path p = prop != null && !prop.isBlank() ? Path.of(prop).resolve("../shared") : Path.of("../shared");
        return p.toAbsolutePath().normalize();
    }

    /** A folder under shared/, skipping the test when shared/ (or the folder) is absent. */
    static Path sharedOrSkip(String relative) {
        Path p = shared().resolve(relative);
        assumeTrue(Files.exists(p), "shared test data not present: " + p);
        return p;
    }

    static Path sample() {
        return repoRoot().resolve("testdata/sample/tiny-llama-f32");
    }

    /** A fixture bundled under src/test/resources/safetensors. */
    static Path fixture(String name) {
        try {
            return Path.of(TestFiles.class.getResource("/safetensors/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("missing fixture " + name, e);
        }
    }

    /** Writes {@code json} with a correct length prefix, then {@code data}. */
    static Path raw(Path file, String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(file, h.length, h, data);
    }

    /** Writes an arbitrary length prefix, header bytes and data. */
    static Path raw(Path file, long prefix, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(prefix).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }
}
