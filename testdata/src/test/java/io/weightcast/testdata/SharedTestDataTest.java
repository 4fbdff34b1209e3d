package io.weightcast.testdata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class SharedTestDataTest {

    @Test
    void findsTheRepositoryRoot() {
        assertThat(SharedTestData.repoRoot()).hasValueSatisfying(r -> assertThat(r.resolve("mvnw")).exists());
    }

    @Test
    void sharedDirIsATestdataFolderWhenPresent() {
        SharedTestData.dir().ifPresent(d -> {
            assertThat(d.getFileName().toString()).isEqualTo("testdata");
            assertThat(Files.isDirectory(d)).isTrue();
        });
        SharedTestData.ggmlGolden().ifPresent(g -> assertThat(g.resolve("manifest.json")).exists());
        assertThat(SharedTestData.resolve("no/such/file")).isEmpty();
    }
}
