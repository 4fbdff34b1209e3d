package io.weightcast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusionCliTest {
    @TempDir
    Path dir;

    private static Path write(Path file, Map<String, long[]> tensors, DType dtype) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((n, s) -> specs.add(new TensorSpec(n, s, dtype)));
        Random r = new Random(7);
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                int n = Math.toIntExact(s.elementCount());
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) r.nextGaussian() * 0.05f;
                }
                MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(dtype.byteSize(n))]);
                Codecs.forType(dtype).encode(v, 0, n, seg, 0);
                w.write(seg);
            }
            w.commit();
        }
        return file;
    }

    private static Map<String, long[]> flux() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("model.diffusion_model.img_in.weight", new long[] {64, 64});
        m.put("model.diffusion_model.img_in.bias", new long[] {64});
        m.put("model.diffusion_model.double_blocks.0.img_attn.qkv.weight", new long[] {192, 64});
        m.put("model.diffusion_model.double_blocks.0.img_attn.proj.weight", new long[] {64, 64});
        m.put("model.diffusion_model.double_blocks.0.img_attn.norm.query_norm.scale", new long[] {16});
        m.put("model.diffusion_model.single_blocks.0.linear1.weight", new long[] {448, 64});
        m.put("model.diffusion_model.single_blocks.0.linear1_extremely_long_module_name_to_exceed_sixty_three_bytes"
                + ".weight", new long[] {64, 64});
        m.put("model.diffusion_model.final_layer.linear.weight", new long[] {64, 64});
        m.put("first_stage_model.decoder.conv_in.weight", new long[] {32, 4, 3, 3});
        return m;
    }

    @Test
    void convertsADetectedFluxCheckpointForComfyUiAndVerifiesAcrossFormats() throws IOException {
        Path ckpt = write(dir.resolve("flux1-tiny.safetensors"), flux(), DType.BF16);
        Path out = dir.resolve("flux1-tiny-Q8_0.gguf");
        CliRun run = CliRun.of("convert", ckpt, "-o", out, "--type", "q8_0", "--report");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("flux for comfyui").contains("longer than 63 bytes")
                .contains("left out").contains("double_blocks.0.img_attn.qkv.weight");
        CliRun inspect = CliRun.of("inspect", out);
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("flux");
        CliRun verify = CliRun.of("verify", ckpt, out, "--max-rel-rmse", "0.02");
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out()).contains("8 tensors compared").doesNotContain("only in candidate");
    }

    @Test
    void llamaCppTargetRefusesLongNamesWithExit2() throws IOException {
        Path ckpt = write(dir.resolve("flux.safetensors"), flux(), DType.F16);
        CliRun run = CliRun.of("convert", ckpt, "-o", dir.resolve("f.gguf"), "--target", "llama.cpp");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(run.err()).contains("63");
        assertThat(Files.exists(dir.resolve("f.gguf"))).isFalse();
    }

    @Test
    void diffusersLayoutIsRefusedForComfyUiAndAcceptedForDiffusers() throws IOException {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("transformer_blocks.0.attn.to_q.weight", new long[] {64, 64});
        m.put("transformer_blocks.0.attn.norm_added_k.weight", new long[] {16});
        m.put("single_transformer_blocks.0.attn.to_q.weight", new long[] {64, 64});
        Path ckpt = write(dir.resolve("transformer.safetensors"), m, DType.BF16);
        CliRun bad = CliRun.of("convert", ckpt, "-o", dir.resolve("t.gguf"), "--target", "comfyui");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(bad.err()).contains("diffusers' key layout");
        CliRun ok = CliRun.of("convert", ckpt, "-o", dir.resolve("t.gguf"), "--type", "iq4_nl");
        assertThat(ok.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(ok.err()).contains("diffusers");
        CliRun auto = CliRun.of("convert", ckpt, "-o", dir.resolve("t.gguf"), "--type", "q5_0");
        assertThat(auto.exitCode()).as(auto.err()).isZero();
        assertThat(auto.out()).contains("flux for diffusers").contains("from_single_file");
    }

    @Test
    void dryRunShowsTheSdxlReshape() throws IOException {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("input_blocks.3.0.op.weight", new long[] {64, 64, 3, 3});
        m.put("input_blocks.6.0.op.weight", new long[] {64, 64, 3, 3});
        m.put("output_blocks.2.2.conv.weight", new long[] {64, 64, 3, 3});
        m.put("output_blocks.5.2.conv.weight", new long[] {64, 64, 3, 3});
        m.put("label_emb.0.0.weight", new long[] {128, 256});
        Path ckpt = write(dir.resolve("sdxl.safetensors"), m, DType.F16);
        CliRun run = CliRun.of("convert", ckpt, "-o", dir.resolve("sdxl.gguf"), "--type", "q8_0", "--dry-run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("general.architecture = sdxl").contains("[144, 256]")
                .contains("comfy.gguf.orig_shape");
        assertThat(Files.exists(dir.resolve("sdxl.gguf"))).isFalse();
    }
}
