package io.weightcast.core.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.cuda.CudaBnbInt8;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaRuntime;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LLM.int8 on the GPU ({@link CudaBnbInt8}, {@code wc_bnb8_encode}) vs {@link Bnb#int8Row}, byte for byte and SCB
 * bit for bit (raw bits: NaN rows included): every row generator of {@link CudaScalarConformanceTest} (NaN, ±inf,
 * values past the float16 range, subnormals, zeros), row lengths that are not multiples of 4 or of 32, offsets,
 * and more rows than one sub-chunk. Skipped without a GPU.
 */
class CudaBnbInt8ConformanceTest {

    static final long SEED = 0xB1B8L;

    @BeforeAll
    static void gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 17, 32, 100, 768, 1031, 4096, 11008})
    void gpuEqualsScalar(int cols) {
        int rows = Math.max(3, 400_000 / cols);
        for (CudaDevice d : CudaRuntime.devices()) {
            CudaBnbInt8 gpu = new CudaBnbInt8(d);
            List<String> bad = new ArrayList<>();
            long seed = SEED + cols;
            for (RowGenerators.Named g : CudaScalarConformanceTest.generators()) {
                float[] x = CudaBnb4BitConformanceTest.values(g, seed++, rows * cols + 5);
                check(gpu, g.name(), x, 5, rows, cols, bad);
            }
            if (!bad.isEmpty()) {
                fail(d + " cols " + cols + ": " + bad.size() + " mismatches:\n"
                        + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
        }
    }

    /** More rows than one sub-chunk of the lanes (4 Mi values), rows of 4104 (not dividing it). */
    @ParameterizedTest(name = "rows={0}")
    @ValueSource(ints = {1100, 2500})
    void severalChunks(int rows) {
        int cols = 4104;
        float[] x = CudaBnb4BitConformanceTest.values(RowGenerators.ALL.get(2), SEED - rows, rows * cols);
        x[123] = Float.NaN;
        x[cols * 1000 + 7] = 1e6f; // past float16: an inf row
        for (CudaDevice d : CudaRuntime.devices()) {
            List<String> bad = new ArrayList<>();
            check(new CudaBnbInt8(d), "chunks", x, 0, rows, cols, bad);
            if (!bad.isEmpty()) {
                fail(d + ": " + String.join("\n", bad));
            }
        }
    }

    private static void check(CudaBnbInt8 gpu, String name, float[] x, int off, int rows, int cols,
            List<String> bad) {
        int n = rows * cols;
        float[] copy = Arrays.copyOf(x, x.length); // int8Row rounds its input to float16 in place
        byte[] want = new byte[n + 3];
        float[] scb = new float[rows + 2];
        for (int r = 0; r < rows; r++) {
            scb[2 + r] = Bnb.int8Row(copy, off + r * cols, cols, MemorySegment.ofArray(want), 3L + (long) r * cols);
        }
        float[] before = Arrays.copyOf(x, x.length);
        byte[] got = new byte[n + 3];
        float[] gscb = new float[rows + 2];
        gpu.encode(x, off, rows, cols, gscb, 2, MemorySegment.ofArray(got), 3);
        if (!Arrays.equals(before, x)) {
            bad.add(name + ": the input was modified");
        }
        for (int r = 0; r < rows; r++) {
            if (Float.floatToRawIntBits(scb[2 + r]) != Float.floatToRawIntBits(gscb[2 + r])) {
                bad.add(String.format("%s: SCB of row %d: cpu %08x gpu %08x", name, r,
                        Float.floatToRawIntBits(scb[2 + r]), Float.floatToRawIntBits(gscb[2 + r])));
                return;
            }
        }
        int at = Arrays.mismatch(want, got);
        if (at >= 0) {
            int e = at - 3;
            bad.add(String.format("%s: element %d (row %d, value %s, SCB %s): cpu %d gpu %d", name, e, e / cols,
                    x[off + e], scb[2 + e / cols], want[at], got[at]));
        }
    }
}
