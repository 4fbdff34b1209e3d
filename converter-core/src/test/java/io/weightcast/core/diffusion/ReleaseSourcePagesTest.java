package io.weightcast.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.formats.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dropping converted chunks' pages of the mapped input (to bound RSS) changes no output byte. */
class ReleaseSourcePagesTest {
    @TempDir
    Path dir;

    @Test
    void outputIsIdenticalWithAndWithoutReleasingSourcePages() throws IOException {
        Path ckpt = Checkpoints.write(dir.resolve("flux.safetensors"), Checkpoints.fluxOriginal(), DType.BF16);
        for (DType type : new DType[] {null, DType.Q8_0}) {
            Path a = dir.resolve("a-" + type + ".gguf");
            Path b = dir.resolve("b-" + type + ".gguf");
            // small chunks (256 elements) so that chunk boundaries fall inside pages
            DiffusionConvertService.convert(new DiffusionRequest(ckpt, a, null, type, null,
                    new EngineOptions(2, 256, 1 << 16, true)), (t, d, n) -> { });
            DiffusionConvertService.convert(new DiffusionRequest(ckpt, b, null, type, null,
                    new EngineOptions(1, 1 << 20, 1 << 20, false)), (t, d, n) -> { });
            assertThat(Files.mismatch(a, b)).isEqualTo(-1L);
        }
    }
}
