package io.weightcast.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine on CUDA devices writes the same bytes as on the CPU; device options parse and fail clearly. */
class GpuEngineTest {

    @Test
    void deviceChoicesParse() {
        assertThat(DeviceChoice.parse("auto")).isEqualTo(DeviceChoice.AUTO);
        assertThat(DeviceChoice.parse("CPU")).isEqualTo(DeviceChoice.CPU);
        assertThat(DeviceChoice.parse("cuda")).isEqualTo(new DeviceChoice(DeviceChoice.Kind.CUDA, -1));
        assertThat(DeviceChoice.parse("cuda:1")).isEqualTo(new DeviceChoice(DeviceChoice.Kind.CUDA, 1));
        assertThat(DeviceChoice.parse("cuda:1").toString()).isEqualTo("cuda:1");
        for (String bad : new String[] {"", "cuda:", "cuda:-1", "cuda:x", "tpu", "cpu:0"}) {
            assertThatThrownBy(() -> DeviceChoice.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("auto, cpu, cuda or cuda:N");
        }
    }

    @Test
    void explicitCudaWithoutAGpuIsAClearError() {
        assumeTrue(!CudaRuntime.available(), "a GPU is present");
        ConversionPlan plan = plan(DType.F32);
        assertThatThrownBy(() -> new ConversionEngine(new EngineOptions(2, 1024, 1 << 20,
                DeviceChoice.parse("cuda"))).run(plan, new CollectingSink(), ProgressListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no CUDA device");
    }

    @Test
    void autoWithoutAGpuFallsBackToTheCpu() throws Exception {
        ConversionPlan plan = plan(DType.F32);
        CollectingSink cpu = new CollectingSink();
        CollectingSink auto = new CollectingSink();
        new ConversionEngine(new EngineOptions(2, 1024, 1 << 20)).run(plan, cpu, ProgressListener.NONE);
        new ConversionEngine(new EngineOptions(2, 1024, 1 << 20, DeviceChoice.AUTO)).run(plan, auto,
                ProgressListener.NONE);
        assertThat(auto.bytes.toByteArray()).isEqualTo(cpu.bytes.toByteArray());
    }

    /** F32 and F16 sources to every GPU type, chunked, several threads: bytes equal the CPU engine's. */
    @Test
    void gpuEngineOutputEqualsCpuEngineOutput() throws Exception {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        for (DType source : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            ConversionPlan plan = plan(source);
            assertGpuBytesEqualCpu(plan, 3, "from " + source);
        }
    }

    /** Weighted quantizers with an imatrix (2-D and 3-D "expert" tensors): GPU engine bytes equal the CPU's. */
    @Test
    void gpuEngineWithImportanceEqualsCpuEngine() throws Exception {
        List<TensorJob> jobs = new ArrayList<>();
        int seed = 99;
        for (DType to : CudaKernels.types()) {
            if (!CudaKernels.encodesImportance(to)) {
                continue;
            }
            for (long[] shape : new long[][] {{96, 2048}, {3, 40, 1024}}) {
                int n = (int) (shape.length == 2 ? shape[0] * shape[1] : shape[0] * shape[1] * shape[2]);
                int cols = (int) shape[shape.length - 1];
                int matrices = shape.length == 2 ? 1 : (int) shape[0];
                TensorView t = TestTensors.f32("w" + seed, TestTensors.gaussian(seed++, n, 0.02f), shape);
                float[] imp = TestTensors.gaussian(seed++, cols * matrices, 1f);
                for (int i = 0; i < imp.length; i++) {
                    imp[i] = imp[i] * imp[i];
                }
                jobs.add(new TensorJob(t, new TensorSpec(t.name(), t.shape(), to), null,
                        io.weightcast.core.plan.SourceTransform.NONE, imp));
            }
        }
        ConversionPlan plan = new ConversionPlan(jobs);
        assertThat(jobs).isNotEmpty();
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        assertGpuBytesEqualCpu(plan, 3, "bytes");
    }

    /**
     * Several GPUs (all of them with {@code --device cuda}): the tensors are spread round robin, every device does
     * a share of the work, and the bytes still equal the CPU's. Skipped on machines with fewer than two GPUs.
     */
    @Test
    void severalGpusSplitTheTensorsAndMatchTheCpu() throws Exception {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        List<CudaDevice> devices = CudaRuntime.devices();
        assumeTrue(devices.size() >= 2, () -> devices.size() + " CUDA device(s): the split needs two or more");
        ConversionPlan plan = plan(DType.F16);
        long[] before = devices.stream().mapToLong(CudaDevice::elementsTranscoded)
                .toArray();
        assertGpuBytesEqualCpu(plan, 4, "bytes");
        for (int d = 0; d < devices.size(); d++) {
            assertThat(devices.get(d).elementsTranscoded() - before[d]).as("elements converted on " + devices.get(d))
                    .isPositive();
        }
    }

    /**
     * Jobs the GPU cannot read whole (rotary permutation, Gemma's +1, with and without an imatrix) are read on the
     * CPU and encoded on the GPU: same bytes as the CPU engine.
     */
    @Test
    void transformedJobsAreEncodedOnTheGpuWithTheCpuBytes() throws Exception {
        List<TensorJob> jobs = new ArrayList<>();
        int seed = 500;
        for (DType to : CudaKernels.types()) {
            if (!CudaKernels.canEncode(to)) {
                continue;
            }
            int rows = 128;
            int cols = 2048;
            TensorView t = TestTensors.f32("t" + seed, TestTensors.gaussian(seed++, rows * cols, 0.02f), rows, cols);
            io.weightcast.core.plan.SourceTransform transform = seed % 2 == 0
                    ? io.weightcast.core.plan.SourceTransform.rotary(4)
                    : io.weightcast.core.plan.SourceTransform.add(1f);
            float[] imp = null;
            if (CudaKernels.encodesImportance(to)) {
                imp = TestTensors.gaussian(seed++, cols, 1f);
                for (int i = 0; i < imp.length; i++) {
                    imp[i] = imp[i] * imp[i];
                }
            }
            jobs.add(new TensorJob(t, new TensorSpec(t.name(), t.shape(), to), null, transform, imp));
        }
        ConversionPlan plan = new ConversionPlan(jobs);
        assertThat(jobs).allMatch(ChunkConverter::gpuEncodable).noneMatch(ChunkConverter::gpuCapable);
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        assertGpuBytesEqualCpu(plan, 3, "bytes");
    }

    /** Runs the plan on the CPU and on every GPU ({@code --device cuda}) with the same options; same bytes. */
    private static void assertGpuBytesEqualCpu(ConversionPlan plan, int threads, String what) throws Exception {
        CollectingSink cpu = new CollectingSink();
        CollectingSink gpu = new CollectingSink();
        new ConversionEngine(new EngineOptions(threads, 1 << 16, 1 << 24)).run(plan, cpu, ProgressListener.NONE);
        new ConversionEngine(new EngineOptions(threads, 1 << 16, 1 << 24, DeviceChoice.parse("cuda")))
                .run(plan, gpu, ProgressListener.NONE);
        assertThat(gpu.bytes.toByteArray()).as(what).isEqualTo(cpu.bytes.toByteArray());
    }

    private static ConversionPlan plan(DType source) {
        List<TensorJob> jobs = new ArrayList<>();
        int seed = 7;
        List<DType> targets = new ArrayList<>(CudaKernels.types().stream().filter(CudaKernels::canEncode).toList());
        targets.add(DType.F32);
        for (DType to : targets) {
            int rows = 64 + seed;
            int cols = 4096;
            TensorView f32 = TestTensors.f32("w" + seed, TestTensors.gaussian(seed++, rows * cols, 0.02f), rows, cols);
            TensorView t = source == DType.F32 ? f32 : recast(f32, source);
            jobs.add(new TensorJob(t, new TensorSpec(t.name(), t.shape(), to)));
        }
        return new ConversionPlan(jobs);
    }

    private static TensorView recast(TensorView f32, DType to) {
        int n = (int) f32.elementCount();
        float[] v = new float[n];
        io.weightcast.core.codec.Codecs.scalar(DType.F32).decode(f32.data(), 0, n, v, 0);
        byte[] b = new byte[(int) to.byteSize(n)];
        io.weightcast.core.codec.Codecs.scalar(to).encode(v, 0, n, java.lang.foreign.MemorySegment.ofArray(b), 0);
        return new TensorView(f32.name(), f32.shape(), to, java.lang.foreign.MemorySegment.ofArray(b),
                f32.file(), 0);
    }
}
