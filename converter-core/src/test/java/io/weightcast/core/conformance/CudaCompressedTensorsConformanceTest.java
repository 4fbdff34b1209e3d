package io.weightcast.core.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.CompressedTensorsMath;
import io.weightcast.core.codec.CompressedTensorsQuantizer;
import io.weightcast.core.codec.CompressedTensorsQuantizer.Kind;
import io.weightcast.core.codec.cuda.CudaCompressedTensors;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * compressed-tensors on the GPU ({@link CudaCompressedTensors}, {@code compressed.cu}) vs the CPU
 * ({@link CompressedTensorsQuantizer#encodeRows}), bytes and scales bit for bit: FP8 per tensor and per channel,
 * int8 naive per channel, packed int8 per channel and int4 per group (W4A16), with F32, F16 and BF16 scale dtypes,
 * aligned and odd row lengths and group sizes, every row generator of {@link CudaScalarConformanceTest} (NaN group
 * maxima included: their scales are the canonical NaN on both sides). Skipped without a GPU.
 */
class CudaCompressedTensorsConformanceTest {

    static final long SEED = 0xC7E45L;

    static void gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
    }

    /** Runs on the CPU build too: the kernel is in its PTX, compiled without fused multiply-add. */
    @Test
    void kernelIsInItsPtx() {
        String ptx = new String(CudaKernels.ptxText(CudaCompressedTensors.ENCODE.module()), StandardCharsets.UTF_8);
        assertThat(ptx).contains(".visible .entry " + CudaCompressedTensors.ENCODE.function() + "(")
                .doesNotContain("fma.");
    }

    /** kind, bits, strategy ("tensor", "channel" or a group size). */
    static Stream<Arguments> schemes() {
        List<Arguments> a = new ArrayList<>();
        for (DType sd : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            a.add(Arguments.of(Kind.FP8, 8, "channel", sd));
            a.add(Arguments.of(Kind.FP8, 8, "tensor", sd));
            a.add(Arguments.of(Kind.INT8, 8, "channel", sd));
            a.add(Arguments.of(Kind.PACKED, 8, "channel", sd));
            a.add(Arguments.of(Kind.PACKED, 4, "128", sd));
            a.add(Arguments.of(Kind.PACKED, 4, "32", sd));
            a.add(Arguments.of(Kind.PACKED, 4, "tensor", sd));
            a.add(Arguments.of(Kind.PACKED, 4, "7", sd)); // odd groups: the scalar paths of the kernel
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} bits, {2}, scales {3}")
    @MethodSource("schemes")
    void gpuEqualsCpu(Kind kind, int bits, String strategy, DType sd) {
        gpu();
        SplittableRandom r = new SplittableRandom(SEED + kind.ordinal() * 31L + bits + strategy.hashCode()
                + sd.ordinal());
        for (CudaDevice d : CudaRuntime.devices()) {
            List<String> bad = new ArrayList<>();
            for (RowGenerators.Named g : CudaScalarConformanceTest.generators()) {
                int gs = switch (strategy) {
                    case "tensor", "channel" -> 0;
                    default -> Integer.parseInt(strategy);
                };
                // row lengths: a multiple of 4 (vector loads) or odd (scalar paths), always whole groups
                int cols = gs > 0 ? gs * r.nextInt(1, 40) : r.nextBoolean() ? 4 * r.nextInt(1, 1200)
                        : 2 * r.nextInt(1, 2000) + 1;
                int rows = r.nextInt(1, 40);
                float[] x = CudaFp8BlockConformanceTest.values(g, r, rows * cols);
                boolean perTensor = strategy.equals("tensor");
                float tensorScale = 0f;
                if (perTensor) {
                    float m = 0f;
                    for (float f : x) {
                        m = Math.max(m, Math.abs(f));
                    }
                    tensorScale = CompressedTensorsMath.scale(sd, m, kind == Kind.FP8 ? 448f
                            : ((1 << bits) - 1) / 2f);
                }
                CompressedTensorsQuantizer q = new CompressedTensorsQuantizer(kind, bits, sd, cols,
                        gs > 0 ? gs : cols, perTensor, tensorScale);
                check(new CudaCompressedTensors(d, q), q, g.name(), x, rows, bad);
            }
            if (!bad.isEmpty()) {
                fail(d + " " + kind + " " + bits + " " + strategy + " " + sd + ": " + bad.size() + " mismatches:\n"
                        + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
        }
    }

    /** More rows than one piece of {@link CudaCompressedTensors#CHUNK}; NaN rows in both pieces. */
    @Test
    void severalPieces() {
        gpu();
        int cols = 4096;
        int rows = CudaCompressedTensors.CHUNK / cols + 37;
        SplittableRandom r = new SplittableRandom(SEED - 1);
        float[] x = CudaFp8BlockConformanceTest.values(CudaScalarConformanceTest.generators().get(2), r, rows * cols);
        x[5 * cols + 17] = Float.intBitsToFloat(0x7FA00001);
        x[(rows - 2) * cols + 100] = Float.NaN;
        for (CudaDevice d : CudaRuntime.devices()) {
            List<String> bad = new ArrayList<>();
            CompressedTensorsQuantizer q = new CompressedTensorsQuantizer(Kind.PACKED, 4, DType.BF16, cols, 128,
                    false, 0f);
            check(new CudaCompressedTensors(d, q), q, "pieces", x, rows, bad);
            if (!bad.isEmpty()) {
                fail(d + ": " + String.join("\n", bad));
            }
        }
    }

    private static void check(CudaCompressedTensors gpu, CompressedTensorsQuantizer q, String name, float[] x,
            int rows, List<String> bad) {
        int rb = q.rowBytes();
        int spr = q.scalesPerRow();
        byte[] want = new byte[rows * rb];
        float[] wantScales = new float[rows * spr];
        q.encodeRows(x, 0, rows, MemorySegment.ofArray(want), 0, wantScales, 0);
        int vo = 1; // offsets into every array, as a caller may pass
        float[] in = new float[vo + x.length];
        System.arraycopy(x, 0, in, vo, x.length);
        byte[] got = new byte[3 + want.length];
        float[] gotScales = new float[2 + wantScales.length];
        gpu.encodeRows(in, vo, rows, MemorySegment.ofArray(got), 3, gotScales, 2);
        for (int i = 0; i < wantScales.length; i++) {
            if (Float.floatToRawIntBits(wantScales[i]) != Float.floatToRawIntBits(gotScales[2 + i])) {
                bad.add(String.format("%s (%d x %d): scale %d (row %d): cpu %s (%08x) gpu %s (%08x)", name, rows,
                        q.cols(), i, i / spr, wantScales[i], Float.floatToRawIntBits(wantScales[i]),
                        gotScales[2 + i], Float.floatToRawIntBits(gotScales[2 + i])));
                return;
            }
        }
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[3 + i]) {
                int row = i / rb;
                int col = q.kind() == Kind.PACKED ? (i % rb) * 8 / q.bits() : i % rb;
                bad.add(String.format("%s (%d x %d): byte %d (row %d, value %d = %s): cpu %02x gpu %02x", name, rows,
                        q.cols(), i, row, col, x[row * q.cols() + col], want[i] & 0xFF, got[3 + i] & 0xFF));
                return;
            }
        }
    }
}
