package io.weightcast.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import io.weightcast.formats.testing.StFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The quantize service (what the CLI's {@code quantize} command runs) with {@code --device cuda} writes the same
 * files, byte for byte, as on the CPU: transformers' fine-grained FP8 (both rounding modes) and compressed-tensors
 * (every scheme), on a small synthetic model with BF16 and F16 Linear weights (a 3-D expert weight, a shape the FP8
 * block does not divide, NaN and inf values, an embedding and a norm left alone). The CPU run uses small chunks,
 * the GPU run the engine's GPU-sized bands. Without a GPU both runs are on the CPU (in different band sizes), which
 * checks that the CPU bytes are deterministic, what the GPU comparison relies on.
 */
class GpuQuantizeServiceTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("fp8 block (double rounding)", Fp8BlockLayout.defaults()),
                Arguments.of("fp8 block (direct)", new Fp8BlockLayout(128, 128, ModuleRules.defaults(),
                        Fp8BlockQuantizer.Mode.DIRECT, "dynamic")),
                Arguments.of("fp8 block 64x32", new Fp8BlockLayout(64, 32, ModuleRules.defaults(),
                        Fp8BlockQuantizer.Mode.TRANSFORMERS, "dynamic")),
                Arguments.of("compressed-tensors W4A16", ct(Map.of("scheme", "W4A16"))),
                Arguments.of("compressed-tensors W8A16", ct(Map.of("scheme", "W8A16"))),
                Arguments.of("compressed-tensors W8A16 naive", ct(Map.of("scheme", "W8A16",
                        "format", "naive-quantized"))),
                Arguments.of("compressed-tensors FP8_DYNAMIC", ct(Map.of("scheme", "FP8_DYNAMIC"))),
                Arguments.of("compressed-tensors FP8_TENSOR", ct(Map.of("scheme", "FP8_TENSOR"))));
    }

    private static CompressedTensorsLayout ct(Map<String, Object> kw) {
        return CompressedTensorsLayout.fromKwargs(kw);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void gpuFilesEqualCpuFiles(String name, QuantLayout layout) throws IOException {
        Path model = syntheticModel(tmp.resolve("model"));
        Path cpu = tmp.resolve("cpu");
        Path gpu = tmp.resolve("gpu");
        QuantizeService.Result rc = QuantizeService.quantize(model, cpu, layout,
                new EngineOptions(3, 1 << 14, 1 << 24, DeviceChoice.CPU), 0, ProgressListener.NONE);
        // without a GPU the second run is on the CPU too, in larger bands: the bytes must not depend on banding
        boolean cuda = CudaRuntime.available();
        QuantizeService.Result rg = QuantizeService.quantize(model, gpu, layout,
                new EngineOptions(3, cuda ? 1 << 14 : 1 << 20, 1 << 24, cuda ? DeviceChoice.parse("cuda")
                        : DeviceChoice.CPU), 0, ProgressListener.NONE);
        assertThat(rg.quantized()).isEqualTo(rc.quantized()).isPositive();
        // tensor by tensor first, for a message that names the tensor
        try (ModelFile a = ModelFiles.open(cpu); ModelFile b = ModelFiles.open(gpu)) {
            for (TensorView t : a.tensors()) {
                TensorView o = b.tensor(t.name()).orElseThrow();
                assertThat(o.data().mismatch(t.data())).as("%s: first differing byte of %s (%s)", name, t.name(),
                        t.dtype()).isEqualTo(-1L);
            }
        }
        assertSameFiles(cpu, gpu);
    }

    private static void assertSameFiles(Path a, Path b) throws IOException {
        List<String> names;
        try (Stream<Path> s = Files.list(a)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> s = Files.list(b)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(names);
        }
        for (String n : names) {
            assertThat(Files.mismatch(a.resolve(n), b.resolve(n))).as(n).isEqualTo(-1L);
        }
    }

    /** A llama-like folder: BF16 and F16 Linear weights with a few NaN/inf values, embedding, norm, config. */
    static Path syntheticModel(Path folder) throws IOException {
        SplittableRandom r = new SplittableRandom(2024);
        StFixture f = new StFixture();
        f.put("model.embed_tokens.weight", DType.BF16, StFixture.s(64, 256), bf16(r, 64 * 256, false));
        f.put("model.norm.weight", DType.BF16, StFixture.s(256), bf16(r, 256, false));
        f.put("model.layers.0.self_attn.q_proj.weight", DType.BF16, StFixture.s(256, 256), bf16(r, 256 * 256, true));
        f.put("model.layers.0.self_attn.o_proj.weight", DType.F16, StFixture.s(384, 256), f16(r, 384 * 256));
        f.put("model.layers.0.mlp.up_proj.weight", DType.BF16, StFixture.s(640, 256), bf16(r, 640 * 256, false));
        f.put("model.layers.0.mlp.down_proj.weight", DType.BF16, StFixture.s(256, 640), bf16(r, 256 * 640, true));
        f.put("model.layers.0.mlp.odd_proj.weight", DType.BF16, StFixture.s(100, 96), bf16(r, 100 * 96, false));
        f.put("model.layers.0.mlp.experts.gate_up_proj.weight", DType.BF16, StFixture.s(4, 128, 256),
                bf16(r, 4 * 128 * 256, false));
        f.put("lm_head.weight", DType.BF16, StFixture.s(64, 256), bf16(r, 64 * 256, false));
        return f.write(folder, Map.of("format", "pt"), Map.of("config.json",
                "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"torch_dtype\": \"bfloat16\"}",
                "tokenizer_config.json", "{}"));
    }

    private static byte[] bf16(SplittableRandom r, int n, boolean specials) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = (float) (r.nextGaussian() * 0.02 * (1 + i % 7));
            if (specials && r.nextInt(4000) == 0) {
                v = switch (r.nextInt(4)) {
                    case 0 -> Float.NaN;
                    case 1 -> Float.intBitsToFloat(0xFFC12345);
                    case 2 -> Float.POSITIVE_INFINITY;
                    default -> Float.NEGATIVE_INFINITY;
                };
            }
            b.putShort(io.weightcast.core.codec.Bf16.fromFloat(v));
        }
        return b.array();
    }

    private static byte[] f16(SplittableRandom r, int n) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort(io.weightcast.core.codec.Fp16.fromFloat((float) (r.nextGaussian() * 0.05)));
        }
        return b.array();
    }
}
