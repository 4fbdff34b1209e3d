package io.weightcast.core.layout;

import static io.weightcast.formats.testing.StFixture.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.testing.StFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * optimum-quanto and MLX affine checkpoints built exactly in the layouts of hf-formats.md §6–7 (key names, dtypes,
 * shapes, packing) with hand-computed dequantized values.
 */
class QuantoMlxReaderTest {
    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- quanto

    /** quanto's planar packing along dim 0 (pack_weights): row r to packed row r % rp at bit offset bits*(r/rp). */
    static byte[] quantoPack(int[][] q, int bits) {
        int rows = q.length;
        int gs = q[0].length;
        int rp = (rows + 8 / bits - 1) / (8 / bits);
        byte[] out = new byte[rp * gs];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < gs; c++) {
                out[(r % rp) * gs + c] |= (byte) (q[r][c] << (bits * (r / rp)));
            }
        }
        return out;
    }

    static int[][] grid(int rows, int cols, int a, int b, int mod) {
        int[][] q = new int[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                q[r][c] = (r * a + c * b) % mod;
            }
        }
        return q;
    }

    static float[] ramp(int n, float step, float base) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = base + step * i;
        }
        return f;
    }

    /** Adds a 2/4-bit quanto weight whose grouped view is q [R, gs] with per-group scale and shift. */
    static void quantoBits(StFixture f, String module, int[][] q, int bits, float[] scale, float[] shift) {
        byte[] packed = quantoPack(q, bits);
        int gs = q[0].length;
        f.put(module + ".weight._data._data", DType.U8, s(packed.length / gs, gs), packed);
        f.f16(module + ".weight._scale", s(q.length, 1), scale);
        f.f16(module + ".weight._shift", s(q.length, 1), shift);
        f.f16(module + ".input_scale", s(), 1f).f16(module + ".output_scale", s(), 1f);
    }

    static float[] decode(LogicalTensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        t.source().decode(0, out.length, out, 0);
        return out;
    }

    static LogicalTensor find(QuantizedCheckpoint cp, String name) {
        return cp.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() ->
                new AssertionError(name + " not among " + cp.tensors().stream().map(LogicalTensor::name).toList()));
    }

    static final String QMAP = """
            {
                "model.layers.0.self_attn.q_proj": {"weights": "qint8", "activations": "none"},
                "model.layers.0.self_attn.k_proj": {"weights": "qfloat8", "activations": "none"},
                "model.layers.0.self_attn.v_proj": {"weights": "qfloat8_e5m2", "activations": "none"},
                "model.layers.0.self_attn.o_proj": {"weights": "qint4", "activations": "none"},
                "model.layers.0.mlp.up_proj": {"weights": "qint4", "activations": "none"},
                "model.layers.0.mlp.down_proj": {"weights": "qint2", "activations": "none"},
                "blocks.0.proj": {"weights": "qint4", "activations": "none"},
                "other.proj": {"weights": "qint2", "activations": "none"}
            }""";

    Path quantoCheckpoint(String qmap) throws Exception {
        StFixture f = new StFixture();
        String p = "model.layers.0.self_attn.";
        // qint8 [2,3], per-row scales 0.5 / 0.25
        f.put(p + "q_proj.weight._data", DType.I8, s(2, 3), new byte[] {1, -2, 3, -127, 0, 5});
        f.f16(p + "q_proj.weight._scale", s(2, 1), 0.5f, 0.25f);
        f.f16(p + "q_proj.bias", s(2), 0f, 0f);
        f.f16(p + "q_proj.input_scale", s(), 1f).f16(p + "q_proj.output_scale", s(), 1f);
        // qfloat8 (e4m3fn): 0x38 = 1, 0x40 = 2, 0xB8 = -1, 0x3C = 1.5; scales 2 / 0.5
        f.put(p + "k_proj.weight._data", DType.F8_E4M3, s(2, 2), new byte[] {0x38, 0x40, (byte) 0xB8, 0x3C});
        f.f32(p + "k_proj.weight._scale", s(2, 1), 2f, 0.5f);
        // qfloat8_e5m2: 0x3C = 1, 0x40 = 2, 0xB8 = -0.5, 0x42 = 3; scales 1 / 4
        f.put(p + "v_proj.weight._data", DType.F8_E5M2, s(2, 2), new byte[] {0x3C, 0x40, (byte) 0xB8, 0x42});
        f.f32(p + "v_proj.weight._scale", s(2, 1), 1f, 4f);
        // qint4 [1, 8] ungrouped, one row: shapes alone would say 8 bits; the qmap says qint4
        quantoBits(f, p + "o_proj", new int[][] {{0, 3, 5, 7, 9, 11, 13, 15}}, 4, new float[] {0.5f},
                new float[] {1f});
        f.f16(p + "o_proj.bias", s(1), 0f);
        // qint4 [2, 256]: in > 128 -> group 128, grouped view [4, 128], no bias (in from hidden_size)
        quantoBits(f, "model.layers.0.mlp.up_proj", grid(4, 128, 5, 3, 16), 4, ramp(4, 0.25f, 0.25f),
                ramp(4, 0.5f, 0f));
        // qint2 [3, 4] ungrouped with bias
        quantoBits(f, "model.layers.0.mlp.down_proj", grid(3, 4, 1, 1, 4), 2, new float[] {1, 2, 3},
                new float[] {0, 1, 2});
        f.f16("model.layers.0.mlp.down_proj.bias", s(3), 0f, 0f, 0f);
        // qint4 [4, 192]: group 96 (192 % 128 != 0), grouped view [8, 96]; in = config's ffn_dim, the only fit
        quantoBits(f, "blocks.0.proj", grid(8, 96, 3, 1, 16), 4, ramp(8, 0.125f, 0.125f), ramp(8, 0.25f, -1f));
        // qint2 [2, 160]: group 32, grouped view [10, 32]; nothing tells the shape
        quantoBits(f, "other.proj", grid(10, 32, 1, 1, 4), 2, ramp(10, 0.5f, 0.5f), ramp(10, 0f, 0f));
        f.f16("model.norm.weight", s(2), 1f, 1f);
        String config = "{\"hidden_size\": 256, \"intermediate_size\": 128, \"num_attention_heads\": 4,"
                + " \"ffn_dim\": 192, \"torch_dtype\": \"float16\"}";
        return f.write(tmp.resolve("quanto"), Map.of("format", "pt"), qmap == null ? Map.of("config.json", config)
                : Map.of("config.json", config, "quanto_qmap.json", qmap));
    }

    @Test
    void quantoPackingIsPlanarAlongDimZero() {
        // R = 4 rows of 4-bit, 2 packed rows: packed[p] = q[p] | q[p + 2] << 4
        int[][] q = grid(4, 128, 5, 3, 16);
        byte[] p = quantoPack(q, 4);
        assertEquals(256, p.length);
        assertEquals((byte) 0xD3, p[1]); // q[0][1] = 3, q[2][1] = 13
        // 2-bit, 3 rows in one packed row: byte c = q0 | q1 << 2 | q2 << 4; column 0 = 0, 1, 2
        assertEquals(0x24, quantoPack(grid(3, 4, 1, 1, 4), 2)[0]);
        assertEquals(128, QuantoReader.groupSize(256));
        assertEquals(96, QuantoReader.groupSize(192));
        assertEquals(32, QuantoReader.groupSize(160));
        assertEquals(100, QuantoReader.groupSize(100));
        assertEquals(130, QuantoReader.groupSize(130)); // nothing divides: per row
    }

    @Test
    void quantoDequantizesWithTheQmapAsAuthority() throws Exception {
        try (ModelFile m = ModelFiles.open(quantoCheckpoint(QMAP))) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("quanto", cp.summary().method());
            assertEquals(8, cp.summary().quantizedWeights());
            String p = "model.layers.0.self_attn.";
            assertArrayEquals(new float[] {0.5f, -1f, 1.5f, -31.75f, 0f, 1.25f}, decode(find(cp, p + "q_proj.weight")));
            assertArrayEquals(new float[] {2f, 4f, -0.5f, 0.75f}, decode(find(cp, p + "k_proj.weight")));
            assertArrayEquals(new float[] {1f, 2f, -2f, 12f}, decode(find(cp, p + "v_proj.weight")));
            LogicalTensor o = find(cp, p + "o_proj.weight");
            assertEquals("quanto qint4 group 8", o.layout());
            assertArrayEquals(s(1, 8), o.shape());
            assertArrayEquals(new float[] {-1f, 0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}, decode(o));

            LogicalTensor up = find(cp, "model.layers.0.mlp.up_proj.weight");
            assertArrayEquals(s(2, 256), up.shape());
            assertEquals(DType.F16, up.dtype());
            float[] w = decode(up);
            assertEquals(0f, w[0]); // grouped row 0, q 0
            assertEquals(8 * 0.5f - 0.5f, w[129]); // (0, 129): grouped row 1, col 1, q = 5 + 3 = 8
            assertEquals(5 * 1f - 1.5f, w[256 + 130]); // (1, 130): grouped row 3, col 2, q = (15 + 6) % 16 = 5
            int[][] q = grid(4, 128, 5, 3, 16);
            for (int i = 0; i < 512; i++) {
                int r = i / 128;
                assertEquals(q[r][i % 128] * (0.25f + 0.25f * r) - 0.5f * r, w[i], 0f, "up_proj " + i);
            }
            LogicalTensor down = find(cp, "model.layers.0.mlp.down_proj.weight");
            assertArrayEquals(s(3, 4), down.shape());
            // q[r][c] = (r + c) % 4, scale r + 1, shift r
            assertArrayEquals(new float[] {0, 1, 2, 3, 1, 3, 5, -1, 4, 7, -2, 1}, decode(down));

            LogicalTensor blk = find(cp, "blocks.0.proj.weight");
            assertArrayEquals(s(4, 192), blk.shape());
            float[] bw = decode(blk);
            int[][] qb = grid(8, 96, 3, 1, 16);
            for (int i = 0; i < bw.length; i++) {
                int r = i / 96;
                assertEquals(qb[r][i % 96] * (0.125f + 0.125f * r) - (-1f + 0.25f * r), bw[i], 0f, "blocks " + i);
            }
            LogicalTensor other = find(cp, "other.proj.weight");
            assertArrayEquals(s(10, 32), other.shape());
            assertTrue(other.layout().contains("logical shape unknown"), other.layout());
            assertEquals(3 * 0.5f, decode(other)[3]); // grouped row 0, q 3
            assertTrue(find(cp, "model.norm.weight").isPlain());
        }
    }

    @Test
    void quantoQmapDisagreeingWithTheKeysIsRefused() throws Exception {
        String bad = QMAP.replace("\"qfloat8\"", "\"qint8\"");
        try (ModelFile m = ModelFiles.open(quantoCheckpoint(bad))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantizedCheckpoint.of(m));
            assertTrue(e.getMessage().contains("k_proj.weight: quanto_qmap.json says qint8"), e.getMessage());
            assertTrue(e.getMessage().contains("F8_E4M3"), e.getMessage());
        }
        Files.delete(tmp.resolve("quanto/model.safetensors"));
        String fnuz = QMAP.replace("\"qfloat8\"", "\"qfloat8_e4m3fnuz\"");
        try (ModelFile m = ModelFiles.open(quantoCheckpoint(fnuz))) {
            var e = assertThrows(UnsupportedOperationException.class, () -> QuantizedCheckpoint.of(m));
            assertTrue(e.getMessage().contains("qfloat8_e4m3fnuz"), e.getMessage());
        }
    }

    @Test
    void quantoDiffusersConfigNamesTheTypeWithoutQmap() throws Exception {
        StFixture f = new StFixture();
        quantoBits(f, "proj_out", new int[][] {{1, 2, 15, 0}}, 4, new float[] {2f}, new float[] {0.5f});
        f.f16("proj_out.bias", s(1), 0f);
        Path dir = f.write(tmp.resolve("dq"), Map.of(), Map.of("config.json",
                "{\"quantization_config\": {\"quant_method\": \"quanto\", \"weights_dtype\": \"int4\","
                        + " \"modules_to_not_convert\": null}}"));
        try (ModelFile m = ModelFiles.open(dir)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("quanto", cp.summary().method());
            assertArrayEquals(new float[] {1.5f, 3.5f, 29.5f, -0.5f}, decode(find(cp, "proj_out.weight")));
        }
    }

    // ---------------------------------------------------------------- MLX

    /** MLX packing: a dense LSB-first bitstream per row, element e's bit k at e*bits+k, into LE uint32 words. */
    static int[] mlxPack(int[][] q, int bits) {
        int cols = q[0].length;
        int words = cols * bits / 32;
        int[] out = new int[q.length * words];
        for (int r = 0; r < q.length; r++) {
            for (int e = 0; e < cols; e++) {
                for (int k = 0; k < bits; k++) {
                    long bit = (long) e * bits + k;
                    if ((q[r][e] >> k & 1) != 0) {
                        out[r * words + (int) (bit / 32)] |= 1 << (bit % 32);
                    }
                }
            }
        }
        return out;
    }

    static void mlxLayer(StFixture f, String module, int[][] q, int bits, int gs, float[] scales, float[] biases,
            String biasKey) {
        int rows = q.length;
        int cols = q[0].length;
        f.u32(module + ".weight", s(rows, cols * bits / 32), mlxPack(q, bits));
        f.f16(module + ".scales", s(rows, cols / gs), scales);
        f.f16(module + "." + biasKey, s(rows, cols / gs), biases);
    }

    static void assertMlx(LogicalTensor t, int[][] q, int gs, float[] scales, float[] biases) {
        int cols = q[0].length;
        assertArrayEquals(s(q.length, cols), t.shape());
        float[] w = decode(t);
        for (int i = 0; i < w.length; i++) {
            int r = i / cols;
            int g = r * (cols / gs) + (i % cols) / gs;
            assertEquals(q[r][i % cols] * scales[g] + biases[g], w[i], 0f, t.name() + " " + i);
        }
    }

    @Test
    void mlxAffineWithPerLayerOverrides() throws Exception {
        int[][] qa = grid(2, 128, 3, 7, 16);
        assertEquals(0x1A3C5E70, mlxPack(qa, 4)[0]); // elements 0..7 of row 0: 0,7,14,5,12,3,10,1 at bits 4i
        int[][] qb = grid(1, 64, 0, 37, 256);
        int[][] qc = grid(1, 256, 0, 5, 16);
        int[][] qd = grid(2, 64, 1, 3, 8);
        int[][] qe = grid(1, 64, 0, 11, 256);
        float[] sa = {0.125f, -0.25f, 0.375f, 0.5f};
        float[] ba = {-1f, 0.5f, 2f, -0.75f};
        StFixture f = new StFixture();
        mlxLayer(f, "model.layers.0.self_attn.q_proj", qa, 4, 64, sa, ba, "biases");
        mlxLayer(f, "model.layers.0.mlp.up_proj", qb, 8, 32, new float[] {0.5f, -0.0625f},
                new float[] {-3f, 4f}, "biases"); // 8-bit group 32: shapes alone also fit 4-bit group 64
        mlxLayer(f, "model.layers.0.mlp.down_proj", qc, 4, 128, new float[] {1f, 2f}, new float[] {0f, -8f},
                "biases"); // 4-bit group 128: shapes alone also fit 8-bit group 64
        mlxLayer(f, "model.embed_tokens", qd, 3, 32, ramp(4, 0.5f, 0.25f), ramp(4, -1f, 1f), "biases");
        mlxLayer(f, "lm_head", qe, 8, 64, new float[] {0.25f}, new float[] {-16f}, "biases"); // config is wrong
        f.f16("model.norm.weight", s(2), 1f, 1f);
        String quant = "{\"group_size\": 64, \"bits\": 4, \"mode\": \"affine\","
                + " \"model.layers.0.mlp.up_proj\": {\"group_size\": 32, \"bits\": 8},"
                + " \"model.layers.0.mlp.down_proj\": {\"group_size\": 128, \"bits\": 4},"
                + " \"model.embed_tokens\": {\"group_size\": 32, \"bits\": 3}}";
        Path dir = f.write(tmp.resolve("mlx"), Map.of("format", "mlx"), Map.of("config.json",
                "{\"hidden_size\": 128, \"quantization\": " + quant + ", \"quantization_config\": " + quant + "}"));
        try (ModelFile m = ModelFiles.open(dir)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("mlx", cp.summary().method());
            assertEquals(5, cp.summary().quantizedWeights());
            LogicalTensor a = find(cp, "model.layers.0.self_attn.q_proj.weight");
            assertEquals("mlx affine 4-bit group 64", a.layout());
            assertEquals(DType.F16, a.dtype());
            assertEquals(7 * 0.125f - 1f, decode(a)[1]);
            assertEquals(qa[1][64] * 0.5f - 0.75f, decode(a)[192]); // negative scales and biases as stored
            assertMlx(a, qa, 64, sa, ba);
            assertMlx(find(cp, "model.layers.0.mlp.up_proj.weight"), qb, 32, new float[] {0.5f, -0.0625f},
                    new float[] {-3f, 4f});
            assertMlx(find(cp, "model.layers.0.mlp.down_proj.weight"), qc, 128, new float[] {1f, 2f},
                    new float[] {0f, -8f});
            LogicalTensor d = find(cp, "model.embed_tokens.weight"); // 3-bit values straddle word boundaries
            assertEquals("mlx affine 3-bit group 32", d.layout());
            assertMlx(d, qd, 32, ramp(4, 0.5f, 0.25f), ramp(4, -1f, 1f));
            LogicalTensor e = find(cp, "lm_head.weight");
            assertTrue(e.layout().startsWith("mlx affine 8-bit group 64 (config says group 64 4-bit"), e.layout());
            assertMlx(e, qe, 64, new float[] {0.25f}, new float[] {-16f});
        }
    }

    @Test
    void metalQbiasesAndUnsupportedModes() throws Exception {
        int[][] q = grid(2, 64, 1, 1, 16);
        StFixture f = new StFixture();
        mlxLayer(f, "proj", q, 4, 64, new float[] {1f, 0.5f}, new float[] {0f, 1f}, "qbiases");
        Path dir = f.write(tmp.resolve("metal"), Map.of(), Map.of("config.json",
                "{\"quantization_config\": {\"quant_method\": \"metal\", \"bits\": 4, \"group_size\": 64,"
                        + " \"modules_to_not_convert\": null}}"));
        try (ModelFile m = ModelFiles.open(dir)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("metal", cp.summary().method());
            assertMlx(find(cp, "proj.weight"), q, 64, new float[] {1f, 0.5f}, new float[] {0f, 1f});
        }
        Files.writeString(dir.resolve("config.json"),
                "{\"quantization\": {\"group_size\": 32, \"bits\": 4, \"mode\": \"mxfp4\"}}");
        try (ModelFile m = ModelFiles.open(dir)) {
            var e = assertThrows(UnsupportedOperationException.class, () -> QuantizedCheckpoint.of(m));
            assertTrue(e.getMessage().contains("mode 'mxfp4'"), e.getMessage());
        }
    }

    @Test
    void sdnqIsRecognisedButNotGuessed() throws Exception {
        StFixture f = new StFixture().put("proj.weight", DType.I8, s(2, 4), new byte[] {1, 2, 3, 4, 5, 6, 7, 8})
                .f16("proj.scale", s(2, 1), 0.5f, 0.25f);
        Path dir = f.write(tmp.resolve("sdnq"), Map.of(), Map.of("config.json",
                "{\"quantization_config\": {\"quant_method\": \"sdnq\", \"weights_dtype\": \"int8\"}}"));
        try (ModelFile m = ModelFiles.open(dir)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            assertEquals("sdnq", cp.summary().method());
            assertEquals(1, cp.summary().quantizedWeights());
            var e = assertThrows(UnsupportedOperationException.class, () -> decode(find(cp, "proj.weight")));
            assertTrue(e.getMessage().contains("not documented"), e.getMessage());
        }
    }
}
