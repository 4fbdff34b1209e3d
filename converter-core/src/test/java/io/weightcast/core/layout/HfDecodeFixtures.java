package io.weightcast.core.layout;

import io.weightcast.core.codec.Bf16;
import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.testing.StFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Pre-quantized checkpoints for the GPU decoders of the Hugging Face layouts: the synthetic model of
 * {@link GpuQuantizeServiceTest} (NaN and inf values, a 3-D expert weight, odd shapes) quantized on the CPU to every
 * layout weightcast writes, plus hand-made ones for what it does not write (zero points, BF16 and E8M0 FP8 scales,
 * NaN-payload and inf scales, e4m3 NaN codes, an LLM.int8 SCB with specials).
 */
final class HfDecodeFixtures {
    private HfDecodeFixtures() {
    }

    /** Name → checkpoint folder, all written under {@code tmp}. */
    static Map<String, Path> all(Path tmp) throws IOException {
        Path model = GpuQuantizeServiceTest.syntheticModel(tmp.resolve("model"));
        Map<String, QuantLayout> layouts = new LinkedHashMap<>();
        layouts.put("bnb-fp4-128", CudaBnbLayoutTest.layout("fp4", 128, false));
        layouts.put("bnb-int8", BnbLayout.eightBit());
        layouts.put("fp8-block", Fp8BlockLayout.defaults());
        layouts.put("fp8-block-64x32", new Fp8BlockLayout(64, 32, ModuleRules.defaults(),
                Fp8BlockQuantizer.Mode.TRANSFORMERS, "dynamic"));
        layouts.put("ct-w4a16", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W4A16")));
        layouts.put("ct-w8a16", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W8A16")));
        layouts.put("ct-w8a16-naive", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W8A16",
                "format", "naive-quantized")));
        layouts.put("ct-fp8-dynamic", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "FP8_DYNAMIC")));
        layouts.put("ct-fp8-tensor", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "FP8_TENSOR")));
        Map<String, Path> out = new LinkedHashMap<>();
        for (Map.Entry<String, QuantLayout> e : layouts.entrySet()) {
            Path folder = tmp.resolve(e.getKey());
            QuantizeService.quantize(model, folder, e.getValue(), new EngineOptions(2, 1 << 14, 1 << 24,
                    DeviceChoice.CPU), 0, ProgressListener.NONE);
            out.put(e.getKey(), folder);
        }
        // double quant from a model without NaN/inf: a NaN mean of the absmax is written as the JSON token NaN, which
        // the reader's Jackson does not accept (a limitation of the CPU path, not of the GPU decoder)
        Path clean = cleanModel(tmp.resolve("clean"));
        for (String type : new String[] {"nf4", "fp4"}) {
            Path folder = tmp.resolve("bnb-" + type + "-dq");
            QuantizeService.quantize(clean, folder, CudaBnbLayoutTest.layout(type, 64, true), new EngineOptions(2,
                    1 << 14, 1 << 24, DeviceChoice.CPU), 0, ProgressListener.NONE);
            out.put("bnb-" + type + "-dq", folder);
        }
        out.put("handmade-ct", handmadeCompressed(tmp.resolve("handmade-ct")));
        out.put("handmade-fp8-block", handmadeFp8Block(tmp.resolve("handmade-fp8-block")));
        out.put("handmade-bnb-int8", handmadeInt8(tmp.resolve("handmade-bnb-int8")));
        return out;
    }

    /**
     * The checkpoints for engine-level CPU-vs-GPU file comparisons: {@link #cleanModel} quantized to bnb NF4 (with and
     * without double quant), FP8 blocks, compressed-tensors W4A16 and FP8_DYNAMIC, and the hand-made LLM.int8. None
     * has an element whose value is a product of two NaNs (see {@code HfDecodeEmulationTest.assertBits}: the CPU
     * decoder's own NaN for those depends on the JIT), so their files are deterministic on the CPU.
     */
    static Map<String, Path> forEngine(Path tmp) throws IOException {
        Path clean = cleanModel(tmp.resolve("clean"));
        Map<String, QuantLayout> layouts = new LinkedHashMap<>();
        layouts.put("bnb-nf4", CudaBnbLayoutTest.layout("nf4", 64, false));
        layouts.put("bnb-nf4-dq", CudaBnbLayoutTest.layout("nf4", 64, true));
        layouts.put("fp8-block", Fp8BlockLayout.defaults());
        layouts.put("ct-w4a16", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W4A16")));
        layouts.put("ct-fp8-dynamic", CompressedTensorsLayout.fromKwargs(Map.of("scheme", "FP8_DYNAMIC")));
        Map<String, Path> out = new LinkedHashMap<>();
        for (Map.Entry<String, QuantLayout> e : layouts.entrySet()) {
            Path folder = tmp.resolve(e.getKey());
            QuantizeService.quantize(clean, folder, e.getValue(), new EngineOptions(2, 1 << 14, 1 << 24,
                    DeviceChoice.CPU), 0, ProgressListener.NONE);
            out.put(e.getKey(), folder);
        }
        out.put("handmade-bnb-int8", handmadeInt8(tmp.resolve("handmade-bnb-int8")));
        return out;
    }

    /** Two BF16 Linear weights (one of odd shape) and a norm, no NaN or inf. */
    static Path cleanModel(Path folder) throws IOException {
        SplittableRandom r = new SplittableRandom(60);
        StFixture f = new StFixture();
        f.put("model.layers.0.mlp.up_proj.weight", DType.BF16, StFixture.s(320, 256), gaussian(r, 320 * 256));
        f.put("model.layers.0.mlp.odd_proj.weight", DType.BF16, StFixture.s(101, 97), gaussian(r, 101 * 97));
        f.put("model.norm.weight", DType.BF16, StFixture.s(256), gaussian(r, 256));
        return f.write(folder, Map.of("format", "pt"), Map.of("config.json",
                "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"torch_dtype\": \"bfloat16\"}"));
    }

    private static byte[] gaussian(SplittableRandom r, int n) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort(Bf16.fromFloat((float) (r.nextGaussian() * 0.02)));
        }
        return b.array();
    }

    /** Scale-like values with specials: NaN payloads, inf, zero, a subnormal. */
    private static float scale(SplittableRandom r, boolean specials) {
        if (specials && r.nextInt(40) == 0) {
            return switch (r.nextInt(6)) {
                case 0 -> Float.intBitsToFloat(0x7FA01234);
                case 1 -> Float.intBitsToFloat(0xFFC00001);
                case 2 -> Float.POSITIVE_INFINITY;
                case 3 -> Float.NEGATIVE_INFINITY;
                case 4 -> 0f;
                default -> Float.MIN_VALUE * 3;
            };
        }
        return (float) (0.001 + r.nextDouble() * 0.05);
    }

    private static byte[] f32(SplittableRandom r, int n, boolean specials) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(scale(r, specials));
        }
        return b.array();
    }

    private static byte[] bf16(SplittableRandom r, int n, boolean specials) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort(Bf16.fromFloat(scale(r, specials)));
        }
        return b.array();
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** int8 with per-group scales and zero points, with per-channel BF16 scales and one zero point; FP8 scaled. */
    static Path handmadeCompressed(Path folder) throws IOException {
        SplittableRandom r = new SplittableRandom(61);
        StFixture f = new StFixture();
        f.put("model.layers.0.mlp.z_proj.weight", DType.I8, StFixture.s(48, 256), bytes(r, 48 * 256));
        f.put("model.layers.0.mlp.z_proj.weight_scale", DType.F32, StFixture.s(48, 4), f32(r, 48 * 4, true));
        f.put("model.layers.0.mlp.z_proj.weight_zero_point", DType.F32, StFixture.s(48, 4), f32(r, 48 * 4, true));
        f.put("model.layers.0.mlp.y_proj.weight", DType.I8, StFixture.s(33, 70), bytes(r, 33 * 70));
        f.put("model.layers.0.mlp.y_proj.weight_scale", DType.BF16, StFixture.s(33, 1), bf16(r, 33, true));
        f.put("model.layers.0.mlp.y_proj.weight_zero_point", DType.F32, StFixture.s(1), f32(r, 1, false));
        f.put("model.layers.0.mlp.x_proj.weight", DType.F8_E4M3, StFixture.s(40, 96), bytes(r, 40 * 96));
        f.put("model.layers.0.mlp.x_proj.weight_scale", DType.F32, StFixture.s(40, 1), f32(r, 40, true));
        f.put("model.layers.0.mlp.w_proj.weight", DType.F8_E4M3, StFixture.s(24, 64), bytes(r, 24 * 64));
        f.put("model.layers.0.mlp.w_proj.weight_scale", DType.F32, StFixture.s(1), f32(r, 1, false));
        return f.write(folder, Map.of("format", "pt"), Map.of("config.json",
                "{\"torch_dtype\": \"bfloat16\", \"quantization_config\": {\"quant_method\": \"compressed-tensors\"}}"));
    }

    /** A 3-D expert weight with BF16 inverse scales (specials included) and a 2-D one with E8M0 scales. */
    static Path handmadeFp8Block(Path folder) throws IOException {
        SplittableRandom r = new SplittableRandom(62);
        StFixture f = new StFixture();
        f.put("model.layers.0.mlp.experts.down_proj.weight", DType.F8_E4M3, StFixture.s(3, 200, 136),
                bytes(r, 3 * 200 * 136));
        f.put("model.layers.0.mlp.experts.down_proj.weight_scale_inv", DType.BF16, StFixture.s(3, 2, 2),
                bf16(r, 12, true));
        f.put("model.layers.0.mlp.up_proj.weight", DType.F8_E4M3, StFixture.s(300, 260), bytes(r, 300 * 260));
        byte[] e8m0 = new byte[3 * 3];
        for (int i = 0; i < e8m0.length; i++) {
            e8m0[i] = (byte) (i == 4 ? 0xFF : 100 + r.nextInt(40)); // 0xFF: NaN
        }
        f.put("model.layers.0.mlp.up_proj.weight_scale_inv", DType.F8_E8M0, StFixture.s(3, 3), e8m0);
        return f.write(folder, Map.of("format", "pt"), Map.of("config.json",
                "{\"torch_dtype\": \"bfloat16\", \"quantization_config\": {\"quant_method\": \"fp8\","
                        + " \"weight_block_size\": [128, 128]}}"));
    }

    /** LLM.int8 with an SCB holding NaN payloads, inf and zero. */
    static Path handmadeInt8(Path folder) throws IOException {
        SplittableRandom r = new SplittableRandom(63);
        StFixture f = new StFixture();
        f.put("model.layers.0.mlp.up_proj.weight", DType.I8, StFixture.s(90, 130), bytes(r, 90 * 130));
        f.put("model.layers.0.mlp.up_proj.SCB", DType.F32, StFixture.s(90), f32(r, 90, true));
        return f.write(folder, Map.of("format", "pt"), Map.of("config.json",
                "{\"torch_dtype\": \"float16\", \"quantization_config\": {\"quant_method\": \"bitsandbytes\","
                        + " \"load_in_8bit\": true}}"));
    }
}
