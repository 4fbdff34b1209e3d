package io.weightcast.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU decoders of the Hugging Face pre-quantized layouts ({@code hfdecode.cu} through {@link DeviceDecoder}):
 * every reader's GPU decode equals its CPU decode, float bits compared (bnb NF4/FP4 with and without double quant,
 * LLM.int8, FP8 blocks with F32/BF16/E8M0 scales and 3-D experts, compressed-tensors packed int4/int8, int8 with zero
 * points, FP8; NaN and inf scales and codes), for whole weights and odd sub-ranges; and {@code dequantize} (the
 * convert service the CLI runs) and {@code quantize} of pre-quantized checkpoints with {@code --device cuda} write
 * the same files as on the CPU. Without a GPU the decoder test is skipped ({@link HfDecodeEmulationTest} checks the
 * host side) and the engine tests compare two CPU runs in different chunk sizes (the bytes must not depend on them).
 */
class CudaHfDecodeTest {
    @TempDir
    Path tmp;

    /** The engine runs of the comparison: on the GPU, or without one on the CPU in other chunk sizes. */
    private static EngineOptions second() {
        return CudaRuntime.available() ? EngineOptions.withThreads(3).withDevice(DeviceChoice.parse("cuda"))
                : new EngineOptions(2, 1 << 20, 1 << 24, DeviceChoice.CPU);
    }

    @Test
    void gpuDecodersEqualCpuDecoders() throws Exception {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        CudaDevice gpu = CudaRuntime.devices().getFirst();
        int checked = 0;
        for (Map.Entry<String, Path> e : HfDecodeFixtures.all(tmp).entrySet()) {
            try (ModelFile m = ModelFiles.open(e.getValue())) {
                for (LogicalTensor t : QuantizedCheckpoint.of(m).tensors()) {
                    if (t.source() instanceof DeviceDecoder d) {
                        HfDecodeEmulationTest.assertSameAsCpu(e.getKey() + " " + t.name(), d, t.elementCount(),
                                d.onDevice(gpu)::decode);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(40);
    }

    @Test
    void dequantizeOnGpuWritesTheCpuFile() throws Exception {
        for (Map.Entry<String, Path> e : HfDecodeFixtures.forEngine(tmp.resolve("in")).entrySet()) {
            for (DType to : new DType[] {DType.F32, DType.BF16}) {
                Path cpu = tmp.resolve(e.getKey() + "-" + to + "-cpu.safetensors");
                Path gpu = tmp.resolve(e.getKey() + "-" + to + "-gpu.safetensors");
                ConvertService.convert(new ConvertRequest(e.getValue(), cpu, TargetFormat.SAFETENSORS, to,
                        new EngineOptions(3, 1 << 12, 1 << 24, DeviceChoice.CPU), 0), ProgressListener.NONE);
                ConvertService.convert(new ConvertRequest(e.getValue(), gpu, TargetFormat.SAFETENSORS, to,
                        second(), 0), ProgressListener.NONE);
                assertThat(Files.mismatch(cpu, gpu)).as("%s dequantized to %s", e.getKey(), to).isEqualTo(-1L);
            }
        }
    }

    /** A pre-quantized checkpoint requantized (layout engine): decoded and encoded on the GPU, same files. */
    @Test
    void requantizeOnGpuWritesTheCpuFiles() throws Exception {
        Map<String, Path> in = HfDecodeFixtures.forEngine(tmp.resolve("in"));
        for (String name : new String[] {"bnb-nf4", "fp8-block", "ct-w4a16"}) {
            QuantLayout target = name.startsWith("fp8") ? CudaBnbLayoutTest.layout("nf4", 64, false)
                    : new Fp8BlockLayout(128, 128, ModuleRules.defaults(), Fp8BlockQuantizer.Mode.TRANSFORMERS,
                            "dynamic");
            Path cpu = tmp.resolve(name + "-cpu");
            Path gpu = tmp.resolve(name + "-gpu");
            QuantizeService.quantize(in.get(name), cpu, target, new EngineOptions(3, 1 << 12, 1 << 24,
                    DeviceChoice.CPU), 0, ProgressListener.NONE);
            QuantizeService.quantize(in.get(name), gpu, target, second(), 0, ProgressListener.NONE);
            CudaBnbLayoutTest.assertSameFiles(cpu, gpu, name + " requantized");
        }
    }
}
