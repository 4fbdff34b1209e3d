package io.weightcast.cli;

import static io.weightcast.formats.testing.StFixture.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weightcast.formats.testing.StFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect, verify and dequantize on optimum-quanto and MLX checkpoints (read-only layouts). */
class PrequantReadCliTest {
    @TempDir
    Path tmp;

    /** A quanto qint4 [2, 256] (group 128, in = hidden_size) + qint8 [2, 2] checkpoint and its float reference. */
    private Path[] quanto() throws Exception {
        StFixture q = new StFixture();
        byte[] packed = new byte[256]; // grouped view [4, 128], packed rows 2: q[p] | q[p + 2] << 4
        float[] ref = new float[512];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 128; c++) {
                int v = (r * 5 + c * 3) % 16;
                packed[(r % 2) * 128 + c] |= (byte) (v << (4 * (r / 2)));
                ref[r * 128 + c] = v * 0.25f - 1f;
            }
        }
        q.put("layers.0.up_proj.weight._data._data", io.weightcast.formats.tensor.DType.U8, s(2, 128), packed);
        q.f16("layers.0.up_proj.weight._scale", s(4, 1), 0.25f, 0.25f, 0.25f, 0.25f);
        q.f16("layers.0.up_proj.weight._shift", s(4, 1), 1f, 1f, 1f, 1f);
        q.put("layers.0.q_proj.weight._data", io.weightcast.formats.tensor.DType.I8, s(2, 2), new byte[] {1, -2, 3, 4});
        q.f16("layers.0.q_proj.weight._scale", s(2, 1), 0.5f, 2f);
        q.f16("norm.weight", s(2), 1f, 2f);
        Path dir = q.write(tmp.resolve("quanto"), Map.of("format", "pt"), Map.of("config.json",
                "{\"hidden_size\": 256, \"intermediate_size\": 512}", "quanto_qmap.json",
                "{\"layers.0.up_proj\": {\"weights\": \"qint4\", \"activations\": \"none\"},"
                        + " \"layers.0.q_proj\": {\"weights\": \"qint8\", \"activations\": \"none\"}}"));
        Path refDir = new StFixture().f32("layers.0.up_proj.weight", s(2, 256), ref)
                .f32("layers.0.q_proj.weight", s(2, 2), 0.5f, -1f, 6f, 8f).f32("norm.weight", s(2), 1f, 2f)
                .write(tmp.resolve("quanto-ref"), Map.of(), Map.of());
        return new Path[] {dir, refDir};
    }

    private Path[] mlx() throws Exception {
        int[] words = new int[2 * 8]; // [2, 64] 4-bit group 32: 8 words per row, 2 groups per row
        float[] ref = new float[128];
        float[] scales = {0.5f, -0.25f, 1f, 0.125f};
        float[] biases = {-2f, 1f, 0f, -0.5f};
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 64; c++) {
                int v = (r + c * 7) % 16;
                words[r * 8 + c / 8] |= v << (4 * (c % 8));
                int g = r * 2 + c / 32;
                ref[r * 64 + c] = v * scales[g] + biases[g];
            }
        }
        StFixture m = new StFixture().u32("model.layers.0.mlp.gate_proj.weight", s(2, 8), words)
                .f16("model.layers.0.mlp.gate_proj.scales", s(2, 2), scales)
                .f16("model.layers.0.mlp.gate_proj.biases", s(2, 2), biases)
                .f16("model.norm.weight", s(2), 1f, 1f);
        String quant = "{\"group_size\": 32, \"bits\": 4}";
        Path dir = m.write(tmp.resolve("mlx"), Map.of("format", "mlx"), Map.of("config.json",
                "{\"quantization\": " + quant + ", \"quantization_config\": " + quant + "}"));
        Path refDir = new StFixture().f32("model.layers.0.mlp.gate_proj.weight", s(2, 64), ref)
                .f32("model.norm.weight", s(2), 1f, 1f).write(tmp.resolve("mlx-ref"), Map.of(), Map.of());
        return new Path[] {dir, refDir};
    }

    @Test
    void quantoInspectVerifyDequantize() throws Exception {
        Path[] p = quanto();
        CliRun i = CliRun.of("inspect", p[0]);
        assertEquals(0, i.exitCode(), i.err());
        assertTrue(i.out().contains("quantization: quanto"), i.out());
        assertTrue(i.out().contains("quanto qint4 group 128"), i.out());
        assertTrue(i.out().contains("quanto qint8 per row"), i.out());
        assertTrue(i.out().contains("quantized weights: 2"), i.out());
        CliRun v = CliRun.of("verify", p[1], p[0], "--max-rel-rmse", "1e-6");
        assertEquals(0, v.exitCode(), v.out() + v.err());
        Path deq = tmp.resolve("quanto-deq.safetensors");
        CliRun d = CliRun.of("dequantize", p[0], "-o", deq, "--dtype", "f32", "-q");
        assertEquals(0, d.exitCode(), d.err());
        CliRun v2 = CliRun.of("verify", p[1], deq, "--max-rel-rmse", "0");
        assertEquals(0, v2.exitCode(), v2.out() + v2.err());
        CliRun i2 = CliRun.of("inspect", deq);
        assertTrue(i2.out().contains("[2, 256]"), i2.out());
    }

    @Test
    void mlxInspectVerifyDequantize() throws Exception {
        Path[] p = mlx();
        CliRun i = CliRun.of("inspect", p[0]);
        assertEquals(0, i.exitCode(), i.err());
        assertTrue(i.out().contains("quantization: mlx"), i.out());
        assertTrue(i.out().contains("mlx affine 4-bit group 32"), i.out());
        CliRun v = CliRun.of("verify", p[1], p[0], "--max-rel-rmse", "1e-6");
        assertEquals(0, v.exitCode(), v.out() + v.err());
        Path deq = tmp.resolve("mlx-deq.safetensors");
        CliRun d = CliRun.of("dequantize", p[0], "-o", deq, "--dtype", "f32", "-q");
        assertEquals(0, d.exitCode(), d.err());
        CliRun v2 = CliRun.of("verify", p[1], deq, "--max-rel-rmse", "0");
        assertEquals(0, v2.exitCode(), v2.out() + v2.err());
    }
}
