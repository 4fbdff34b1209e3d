package io.weightcast.core.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.cuda.CudaBnb4Bit;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bitsandbytes 4-bit on the GPU ({@link CudaBnb4Bit}, {@code bnb.cu}) vs the scalar reference ({@link Bnb},
 * {@link Bnb4BitKernel#scalar()}), byte for byte: NF4 and FP4, every block size (32 to 4096), every row generator of
 * {@link CudaScalarConformanceTest} (NaN and ±inf rows included), an odd length ending in a partial block. Checks
 * the GPU absmax (fused kernel; equal under {@link Float#floatToIntBits}), the packed bytes of the fused kernel
 * and of {@code quantize4} with the CPU absmax, and decoding (float bits, NaN canonical). Skipped without a GPU.
 */
class CudaBnb4BitConformanceTest {

    static final int N = CudaScalarConformanceTest.ROWS * CudaScalarConformanceTest.ROW - 37; // odd, partial block
    static final long SEED = 0xB1B4B17L;

    @BeforeAll
    static void gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (boolean nf4 : new boolean[] {true, false}) {
            for (int bs : Bnb.BLOCK_SIZES) { // 32..256: warp reductions; 512..4096: across warps
                a.add(Arguments.of(nf4, bs));
            }
        }
        return a.stream();
    }

    static float[] values(RowGenerators.Named g, long seed, int n) {
        // The generators shape some rows for a block type (e.g. exact ties of a 4-bit scale); Q4_0 is the nearest
        // ggml relative of bnb 4-bit, so its rows serve here.
        SplittableRandom r = new SplittableRandom(seed);
        // Generators fill whole 32-element blocks, so the buffer is padded to whole rows and cut to n afterwards.
        int rows = (n + CudaScalarConformanceTest.ROW - 1) / CudaScalarConformanceTest.ROW;
        float[] x = new float[rows * CudaScalarConformanceTest.ROW];
        for (int off = 0; off < x.length; off += CudaScalarConformanceTest.ROW) {
            g.gen().fill(r, DType.Q4_0, x, off, CudaScalarConformanceTest.ROW);
        }
        return java.util.Arrays.copyOf(x, n);
    }

    @ParameterizedTest(name = "nf4={0} blocksize={1}")
    @MethodSource("cases")
    void gpuEqualsScalar(boolean nf4, int bs) {
        for (CudaDevice d : CudaRuntime.devices()) {
            CudaBnb4Bit gpu = new CudaBnb4Bit(d);
            List<String> bad = new ArrayList<>();
            long seed = SEED;
            for (RowGenerators.Named g : CudaScalarConformanceTest.generators()) {
                float[] x = values(g, seed++, N);
                check(gpu, nf4, bs, g.name(), x, 0, N, bad);
                check(gpu, nf4, bs, g.name() + " (offsets)", x, 3 * bs, N - 3 * bs - 1, bad); // even length
            }
            if (!bad.isEmpty()) {
                fail(d + " nf4=" + nf4 + " blocksize " + bs + ": " + bad.size() + " mismatches:\n"
                        + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
        }
    }

    /** Several callers at once (lanes of their own), each with several sub-chunks: bytes and absmax as the CPU's. */
    @Test
    void concurrentCallers() throws Exception {
        int n = 3 * CudaBnb4Bit.CHUNK + 1000;
        for (CudaDevice d : CudaRuntime.devices()) {
            CudaBnb4Bit gpu = new CudaBnb4Bit(d);
            List<java.util.concurrent.Future<List<String>>> results = new ArrayList<>();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
            try {
                for (int c = 0; c < 6; c++) {
                    int k = c;
                    results.add(pool.submit(() -> {
                        float[] x = values(RowGenerators.ALL.get(k % RowGenerators.ALL.size()), SEED + 100 + k, n);
                        List<String> bad = new ArrayList<>();
                        check(gpu, k % 2 == 0, k < 3 ? 64 : 1024, "caller " + k, x, 0, n, bad);
                        return bad;
                    }));
                }
                for (var r : results) {
                    List<String> bad = r.get();
                    if (!bad.isEmpty()) {
                        fail(d + ": " + String.join("\n", bad));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** More than one sub-chunk of {@link CudaBnb4Bit#CHUNK}, odd length. */
    @Test
    void severalChunks() {
        int n = CudaBnb4Bit.CHUNK + 3 * 4096 + 17;
        float[] x = values(RowGenerators.ALL.get(3), SEED - 1, n);
        for (CudaDevice d : CudaRuntime.devices()) {
            List<String> bad = new ArrayList<>();
            check(new CudaBnb4Bit(d), true, 64, "chunks", x, 0, n, bad);
            if (!bad.isEmpty()) {
                fail(d + ": " + String.join("\n", bad));
            }
        }
    }

    private static void check(CudaBnb4Bit gpu, boolean nf4, int bs, String name, float[] x, int off, int n,
            List<String> bad) {
        int nb = (n + bs - 1) / bs;
        int absOff = 5; // the absmax vector at an offset, as BnbLayout passes it
        long dstOff = 7;
        float[] am = new float[absOff + nb];
        Bnb.absmax(x, off, n, bs, am, absOff);
        byte[] want = new byte[(int) dstOff + (n + 1) / 2];
        Bnb4BitKernel.scalar().quantize4(nf4, x, off, n, bs, am, absOff, MemorySegment.ofArray(want), dstOff);

        float[] gam = new float[absOff + nb];
        byte[] fused = new byte[want.length];
        gpu.encode(nf4, x, off, n, bs, gam, absOff, MemorySegment.ofArray(fused), dstOff);
        for (int b = 0; b < nb; b++) {
            if (Float.floatToIntBits(am[absOff + b]) != Float.floatToIntBits(gam[absOff + b])) {
                bad.add(name + ": absmax of block " + b + ": cpu " + am[absOff + b] + " gpu " + gam[absOff + b]);
                break;
            }
        }
        compare(name + " fused", want, fused, x, off, bs, am, absOff, (int) dstOff, bad);

        byte[] given = new byte[want.length];
        gpu.quantize4(nf4, x, off, n, bs, am, absOff, MemorySegment.ofArray(given), dstOff);
        compare(name + " quantize4", want, given, x, off, bs, am, absOff, (int) dstOff, bad);

        float[] table = nf4 ? Bnb.NF4 : Bnb.FP4;
        float[] cpu = new float[n];
        float[] dec = new float[n + 2];
        MemorySegment packed = MemorySegment.ofArray(want).asSlice(dstOff);
        float[] amv = java.util.Arrays.copyOfRange(am, absOff, absOff + nb);
        Bnb.dequantize4(packed, table, amv, bs, 0, n, cpu, 0);
        gpu.decode(nf4, MemorySegment.ofArray(want), dstOff, am, absOff, n, bs, dec, 2);
        for (int i = 0; i < n; i++) {
            if (Float.floatToIntBits(cpu[i]) != Float.floatToIntBits(dec[2 + i])) {
                bad.add(name + ": decode of element " + i + ": cpu " + cpu[i] + " gpu " + dec[2 + i]);
                break;
            }
        }
    }

    private static void compare(String name, byte[] want, byte[] got, float[] x, int off, int bs, float[] am,
            int absOff, int dstOff, List<String> bad) {
        for (int i = dstOff; i < want.length; i++) {
            if (want[i] != got[i]) {
                int e = 2 * (i - dstOff);
                bad.add(String.format("%s: byte %d (elements %d, %d = %s, %s; absmax %s): cpu %02x gpu %02x", name,
                        i - dstOff, e, e + 1, x[off + e], e + 1 < x.length - off ? x[off + e + 1] : "-",
                        am[absOff + e / bs], want[i] & 0xFF, got[i] & 0xFF));
                return;
            }
        }
    }
}
