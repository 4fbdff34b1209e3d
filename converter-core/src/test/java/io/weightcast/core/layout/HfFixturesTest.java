package io.weightcast.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated {@code tiny-llama-bf16} is exactly what transformers wrote. */
class HfFixturesTest {

    @Test
    void generatedBf16EqualsTransformersCheckpoint() throws Exception {
        Path made = HfFixtures.generatedBf16().orElseThrow();
        Path theirs = HfFixtures.shared(HfFixtures.BF16).orElse(null);
        assumeTrue(theirs != null, "shared test data absent: nothing to compare the generated fixture with");
        assertThat(Files.mismatch(made.resolve("model.safetensors"), theirs.resolve("model.safetensors")))
                .as("the made weight file is transformers' file, byte for byte").isEqualTo(-1L);
        assertThat(Files.readString(made.resolve("config.json")))
                .isEqualTo(Files.readString(theirs.resolve("config.json")));
    }
}
