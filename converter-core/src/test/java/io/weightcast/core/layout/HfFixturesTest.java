package io.weightcast.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated {@code tiny-llama-bf16} holds exactly what transformers wrote: same tensors, shapes and bytes. */
class HfFixturesTest {

    @Test
    void generatedBf16EqualsTransformersCheckpoint() throws Exception {
        Path made = HfFixtures.generatedBf16().orElseThrow();
        Path theirs = HfFixtures.shared(HfFixtures.BF16).orElse(null);
        assumeTrue(theirs != null, "shared test data absent: nothing to compare the generated fixture with");
        try (ModelFile a = ModelFiles.open(made.resolve("model.safetensors"));
                ModelFile b = ModelFiles.open(theirs.resolve("model.safetensors"))) {
            assertThat(a.tensors()).hasSameSizeAs(b.tensors());
            for (TensorView t : b.tensors()) {
                TensorView m = a.tensor(t.name()).orElseThrow();
                assertThat(m.dtype()).as(t.name()).isEqualTo(t.dtype());
                assertThat(m.shape()).as(t.name()).isEqualTo(t.shape());
                assertThat(m.data().mismatch(t.data())).as(t.name()).isEqualTo(-1L);
            }
        }
        assertThat(Files.readString(made.resolve("config.json")))
                .isEqualTo(Files.readString(theirs.resolve("config.json")));
    }
}
