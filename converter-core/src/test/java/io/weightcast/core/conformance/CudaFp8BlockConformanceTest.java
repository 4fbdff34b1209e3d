package io.weightcast.core.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaFp8Block;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.core.layout.Fp8BlockLayout;
import io.weightcast.core.layout.ModuleRules;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * transformers' fine-grained FP8 on the GPU ({@link CudaFp8Block}, {@code fp8block.cu}) vs the CPU
 * ({@link Fp8BlockQuantizer#quantizeBand}), byte for byte and scale bit for bit: both rounding modes, tiles of
 * 128x128 and odd sizes (scalar path), random band shapes whose last row and column of tiles are partial, every row
 * generator of {@link CudaScalarConformanceTest} (NaN, ±inf, subnormal, huge) plus per-tile special values. The
 * reference quantizes each tile on its own (a tile is independent of the others), so partial tiles are covered too.
 * Also the layout's GPU encoder ({@code onDevice}) against its CPU encoder. Skipped without a GPU.
 */
class CudaFp8BlockConformanceTest {

    static final long SEED = 0xF8B10CL;

    static void gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
    }

    /** Runs on the CPU build too: the kernel is in its PTX, compiled without fused multiply-add. */
    @Test
    void kernelIsInItsPtx() {
        String ptx = new String(CudaKernels.ptxText(CudaFp8Block.ENCODE.module()), StandardCharsets.UTF_8);
        assertThat(ptx).contains(".visible .entry " + CudaFp8Block.ENCODE.function() + "(").doesNotContain("fma.");
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Fp8BlockQuantizer.Mode m : Fp8BlockQuantizer.Mode.values()) {
            for (int[] b : new int[][] {{128, 128}, {64, 32}, {3, 5}, {1, 128}, {128, 1}, {16, 4}}) {
                a.add(Arguments.of(m, b[0], b[1]));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} block {1}x{2}")
    @MethodSource("cases")
    void gpuEqualsCpu(Fp8BlockQuantizer.Mode mode, int blockM, int blockN) {
        gpu();
        SplittableRandom r = new SplittableRandom(SEED + 31L * blockM + blockN + mode.ordinal());
        for (CudaDevice d : CudaRuntime.devices()) {
            CudaFp8Block gpu = new CudaFp8Block(d, mode);
            List<String> bad = new ArrayList<>();
            for (RowGenerators.Named g : CudaScalarConformanceTest.generators()) {
                // whole tiles, then partial last tile row and column (the layout only sends whole ones)
                int rows = blockM * r.nextInt(1, 4) + (r.nextBoolean() ? r.nextInt(blockM) : 0);
                int cols = blockN * r.nextInt(1, Math.max(2, 600 / blockN)) + (r.nextBoolean() ? r.nextInt(blockN)
                        : 0);
                float[] x = values(g, r, rows * cols);
                if (r.nextInt(3) == 0) {
                    specialTiles(r, x, rows, cols, blockM, blockN);
                }
                check(gpu, mode, g.name(), x, rows, cols, blockM, blockN, bad);
            }
            if (!bad.isEmpty()) {
                fail(d + " " + mode + " " + blockM + "x" + blockN + ": " + bad.size() + " mismatches:\n"
                        + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
        }
    }

    /** Tiles made of one kind of special value: the corner cases of the scale (m = 0, inf, NaN, subnormal). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void specialTilesOnly(Fp8BlockQuantizer.Mode mode) {
        gpu();
        SplittableRandom r = new SplittableRandom(SEED ^ mode.ordinal());
        int rows = 8 * 13;
        int cols = 8 * 17;
        for (CudaDevice d : CudaRuntime.devices()) {
            List<String> bad = new ArrayList<>();
            for (int rep = 0; rep < 20; rep++) {
                float[] x = new float[rows * cols];
                specialTiles(r, x, rows, cols, 8, 8);
                check(new CudaFp8Block(d, mode), mode, "special tiles " + rep, x, rows, cols, 8, 8, bad);
            }
            if (!bad.isEmpty()) {
                fail(d + " " + mode + ": " + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
        }
    }

    static Stream<Fp8BlockQuantizer.Mode> modes() {
        return Arrays.stream(Fp8BlockQuantizer.Mode.values());
    }

    /** The layout's GPU encoder gives the CPU encoder's bands (a 3-D expert weight; a band larger than a piece). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void layoutEncoderOnDeviceEqualsCpu(Fp8BlockQuantizer.Mode mode) {
        gpu();
        Fp8BlockLayout layout = new Fp8BlockLayout(128, 128, ModuleRules.defaults(), mode, "dynamic");
        SplittableRandom r = new SplittableRandom(SEED + 7);
        for (long[] shape : new long[][] {{256, 384}, {3, 128, 256}, {1280, 13312}}) {
            long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            int cols = (int) shape[shape.length - 1];
            WeightEncoder cpu = layout.encoder("m.w.weight", shape, DType.BF16, null);
            for (CudaDevice d : CudaRuntime.devices()) {
                WeightEncoder gpu = cpu.onDevice(d);
                assertThat(gpu).isNotSameAs(cpu);
                assertThat(gpu.bandElements()).isEqualTo(cpu.bandElements());
                float[] x = values(CudaScalarConformanceTest.generators().get(2), r, (int) n);
                x[r.nextInt(x.length)] = Float.NaN;
                x[r.nextInt(x.length)] = Float.NEGATIVE_INFINITY;
                WeightEncoder.Band want = cpu.encodeBand(x.clone(), (int) n, 0);
                WeightEncoder.Band got = gpu.encodeBand(x.clone(), (int) n, 0);
                assertThat(got.main().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .as("%s %s codes", d, Arrays.toString(shape))
                        .isEqualTo(want.main().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                assertThat(bits((float[]) got.side())).as("%s %s scale_inv", d, Arrays.toString(shape))
                        .isEqualTo(bits((float[]) want.side()));
                assertThat(n % cols).isZero();
            }
        }
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    static float[] values(RowGenerators.Named g, SplittableRandom r, int n) {
        int row = CudaScalarConformanceTest.ROW;
        float[] x = new float[(n + row - 1) / row * row]; // the generators fill whole 32-value blocks
        for (int off = 0; off < x.length; off += row) {
            g.gen().fill(r, DType.Q8_0, x, off, row);
        }
        return Arrays.copyOf(x, n);
    }

    /** Overwrites random tiles with one special pattern each. */
    static void specialTiles(SplittableRandom r, float[] x, int rows, int cols, int blockM, int blockN) {
        float[][] kinds = {
            {0f}, {-0f}, {0f, -0f}, {Float.NaN}, {Float.intBitsToFloat(0xFFC01234)}, {Float.POSITIVE_INFINITY},
            {Float.NEGATIVE_INFINITY, 1f, -0f, 0f}, {Float.MIN_VALUE, -Float.MIN_VALUE, 0f}, {1e-40f, -3e-39f},
            {448f, -448f, 449f}, {3e38f, -1e38f}, {Float.NaN, Float.POSITIVE_INFINITY, 2f}, {1f}, {0.5f, -0.25f}};
        int tr = (rows + blockM - 1) / blockM;
        int tc = (cols + blockN - 1) / blockN;
        for (int t = 0; t < tr * tc; t++) {
            if (r.nextInt(3) != 0) {
                continue;
            }
            float[] k = kinds[r.nextInt(kinds.length)];
            int r0 = (t / tc) * blockM;
            int c0 = (t % tc) * blockN;
            for (int i = r0; i < Math.min(rows, r0 + blockM); i++) {
                for (int j = c0; j < Math.min(cols, c0 + blockN); j++) {
                    x[i * cols + j] = k[r.nextInt(k.length)];
                }
            }
        }
    }

    private static void check(CudaFp8Block gpu, Fp8BlockQuantizer.Mode mode, String name, float[] x, int rows,
            int cols, int blockM, int blockN, List<String> bad) {
        int tr = (rows + blockM - 1) / blockM;
        int tc = (cols + blockN - 1) / blockN;
        byte[] want = new byte[rows * cols];
        float[] wantInv = new float[tr * tc];
        Fp8BlockQuantizer cpu = Fp8BlockQuantizer.of(mode);
        for (int t = 0; t < tr * tc; t++) {
            int r0 = (t / tc) * blockM;
            int c0 = (t % tc) * blockN;
            int h = Math.min(blockM, rows - r0);
            int w = Math.min(blockN, cols - c0);
            float[] tile = new float[h * w];
            for (int i = 0; i < h; i++) {
                System.arraycopy(x, (r0 + i) * cols + c0, tile, i * w, w);
            }
            byte[] q = new byte[h * w];
            cpu.quantizeBand(tile, 0, h, w, w, MemorySegment.ofArray(q), 0, wantInv, t);
            for (int i = 0; i < h; i++) {
                System.arraycopy(q, i * w, want, (r0 + i) * cols + c0, w);
            }
        }
        int vo = 3; // an offset into the value array, as the engine may pass
        float[] in = new float[vo + x.length];
        System.arraycopy(x, 0, in, vo, x.length);
        long dstOff = 5;
        byte[] got = new byte[(int) dstOff + want.length];
        float[] gotInv = new float[2 + wantInv.length];
        gpu.encode(in, vo, rows, cols, blockM, blockN, MemorySegment.ofArray(got), dstOff, gotInv, 2);
        for (int t = 0; t < wantInv.length; t++) {
            if (Float.floatToRawIntBits(wantInv[t]) != Float.floatToRawIntBits(gotInv[2 + t])) {
                bad.add(String.format("%s %dx%d: scale_inv of tile %d: cpu %s gpu %s", name, rows, cols, t,
                        wantInv[t], gotInv[2 + t]));
                return;
            }
        }
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[(int) dstOff + i]) {
                int t = (i / cols / blockM) * tc + (i % cols) / blockN;
                bad.add(String.format("%s %dx%d: byte %d (row %d col %d, x = %s = %08x, tile %d inv %s): cpu %02x gpu "
                        + "%02x", name, rows, cols, i, i / cols, i % cols, x[i], Float.floatToRawIntBits(x[i]), t,
                        wantInv[t], want[i] & 0xFF, got[(int) dstOff + i] & 0xFF));
                return;
            }
        }
        if (!Arrays.equals(in, vo, in.length, x, 0, x.length)) {
            bad.add(name + ": the GPU encoder changed its input");
        }
    }
}
