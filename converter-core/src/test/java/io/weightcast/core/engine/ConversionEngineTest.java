package io.weightcast.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConversionEngineTest {

    /** What the engine must produce: each tensor encoded whole, in plan order, with no engine in between. */
    private static byte[] expected(ConversionPlan plan) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (TensorJob job : plan.jobs()) {
            TensorView src = job.source();
            int n = (int) src.elementCount();
            if (job.isCopy()) {
                out.writeBytes(src.data().toArray(ValueLayout.JAVA_BYTE));
                continue;
            }
            float[] f = new float[n];
            Codecs.forType(src.dtype()).decode(src.data(), 0, n, f, 0);
            MemorySegment dst = MemorySegment.ofArray(new byte[(int) job.target().byteSize()]);
            Codecs.forType(job.target().dtype()).encode(f, 0, n, dst, 0);
            out.writeBytes(dst.toArray(ValueLayout.JAVA_BYTE));
        }
        return out.toByteArray();
    }

    private static ConversionPlan mixedPlan() {
        List<TensorJob> jobs = new ArrayList<>();
        int seed = 1;
        for (int rows : new int[] {1, 3, 17, 64}) {
            for (int cols : new int[] {32, 96, 256, 4096}) {
                TensorView t = TestTensors.f32("w" + rows + "x" + cols, TestTensors.gaussian(seed++, rows * cols, 0.02f),
                        rows, cols);
                DType to = switch (seed % 4) {
                    case 0 -> DType.Q8_0;
                    case 1 -> DType.Q4_0;
                    case 2 -> DType.F16;
                    default -> DType.F32; // a plain copy
                };
                jobs.add(new TensorJob(t, new TensorSpec(t.name(), t.shape(), to)));
            }
        }
        return new ConversionPlan(jobs);
    }

    @Test
    void chunkedParallelOutputEqualsWholeTensorEncodingInPlanOrder() throws Exception {
        ConversionPlan plan = mixedPlan();
        CollectingSink sink = new CollectingSink();
        // Tiny chunks and a tiny in-flight bound force many chunks per tensor and constant back-pressure.
        new ConversionEngine(new EngineOptions(3, 256, 4096)).run(plan, sink, ProgressListener.NONE);
        assertThat(sink.bytes.toByteArray()).isEqualTo(expected(plan));
        assertThat(sink.writes).isGreaterThan(plan.jobs().size());
        assertThat(sink.committed).as("the engine leaves commit to the caller").isFalse();
    }

    @Test
    void resultDoesNotDependOnThreadCountOrChunkSize() throws Exception {
        ConversionPlan plan = mixedPlan();
        CollectingSink one = new CollectingSink();
        CollectingSink many = new CollectingSink();
        new ConversionEngine(new EngineOptions(1, 1 << 20, 1L << 30)).run(plan, one, ProgressListener.NONE);
        new ConversionEngine(new EngineOptions(4, 512, 1 << 12)).run(plan, many, ProgressListener.NONE);
        assertThat(many.bytes.toByteArray()).isEqualTo(one.bytes.toByteArray());
    }

    @Test
    void progressReachesTheTotalSourceBytes() throws Exception {
        ConversionPlan plan = mixedPlan();
        long[] last = {-1, -1};
        new ConversionEngine(new EngineOptions(2, 1024, 1 << 16)).run(plan, new CollectingSink(),
                (tensor, done, total) -> {
                    assertThat(done).isGreaterThan(last[0]);
                    last[0] = done;
                    last[1] = total;
                });
        assertThat(last[0]).isEqualTo(plan.sourceBytes()).isEqualTo(last[1]);
    }

    @Test
    void emptyTensorsWriteNothing() throws Exception {
        TensorView empty = TestTensors.f32("empty", new float[0], 0, 32);
        ConversionPlan plan = new ConversionPlan(List.of(new TensorJob(empty, new TensorSpec("empty", empty.shape(),
                DType.Q8_0))));
        CollectingSink sink = new CollectingSink();
        new ConversionEngine(EngineOptions.withThreads(2)).run(plan, sink, ProgressListener.NONE);
        assertThat(sink.bytes.size()).isZero();
    }

    @Test
    void aFailingTensorIsNamedInTheError() {
        TensorView t = TestTensors.f32("model.layers.0.mlp.down_proj.weight", new float[256], 1, 256);
        // IQ2_XXS needs an importance matrix and has no encoder: the conversion must fail and say where.
        ConversionPlan plan = new ConversionPlan(List.of(new TensorJob(t, new TensorSpec(t.name(), t.shape(),
                DType.IQ2_XXS))));
        assertThatThrownBy(() -> new ConversionEngine(EngineOptions.withThreads(2)).run(plan, new CollectingSink(),
                ProgressListener.NONE))
                .isInstanceOf(TensorConversionException.class)
                .hasMessageContaining("model.layers.0.mlp.down_proj.weight")
                .hasMessageContaining("IQ2_XXS");
    }

    @Test
    void chunkRangesCoverTheTensorOnBlockBoundaries() {
        List<ChunkRange> ranges = ChunkRange.split(1000 * 32, 32, 3000);
        long next = 0;
        for (ChunkRange r : ranges) {
            assertThat(r.firstElement()).isEqualTo(next);
            assertThat(r.firstElement() % 32).isZero();
            next += r.count();
        }
        assertThat(next).isEqualTo(32000);
        assertThat(ranges.get(0).count()).isEqualTo(2976);
        assertThat(ChunkRange.leastCommonMultiple(32, 256)).isEqualTo(256);
        assertThat(ChunkRange.leastCommonMultiple(2, 32)).isEqualTo(32);
        assertThat(ChunkRange.leastCommonMultiple(4, 32)).isEqualTo(32);
    }
}
