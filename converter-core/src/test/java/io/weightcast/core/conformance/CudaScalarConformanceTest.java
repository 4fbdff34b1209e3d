package io.weightcast.core.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.cuda.CudaCodec;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GPU vs scalar reference, byte for byte: for every type with CUDA kernels, on every CUDA device, many seeded rows
 * of hard inputs ({@link RowGenerators}: Gaussians from 1e-30 to 1e38, zeros and signed zeros, ties, outliers,
 * subnormals, huge values, plus NaN and ±inf rows here) are encoded by the scalar codec and by the CUDA codec and
 * must give identical bytes; the scalar bytes and random bytes (NaN and inf scales included) must decode to the
 * same float bits (decode-only types, the IQ grid types: random bytes only). Skipped, with the reason, where no GPU
 * is present (CI): run {@code scripts/gpu-suite.sh} on the GPU machine.
 */
class CudaScalarConformanceTest {

    static final int ROW = 4096;
    static final int ROWS = 48; // 196k elements per generator and type
    static final long SEED = 0xC0DA5EEDL;

    @BeforeAll
    static void gpu() {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
    }

    static Stream<DType> types() {
        return CudaKernels.types().stream().sorted();
    }

    /** Types with a GPU encoder (the IQ grid types are decode-only, as on the CPU). */
    static Stream<DType> encodableTypes() {
        return types().filter(CudaKernels::canEncode);
    }

    static List<CudaDevice> devices() {
        return CudaRuntime.devices();
    }

    /** RowGenerators plus non-finite rows, which the ggml conformance test cannot use (ggml asserts on them). */
    static List<RowGenerators.Named> generators() {
        List<RowGenerators.Named> g = new ArrayList<>(RowGenerators.ALL);
        g.add(new RowGenerators.Named("NaN sprinkled", (r, t, x, off, len) -> {
            RowGenerators.gauss(1).fill(r, t, x, off, len);
            for (int i = 0; i < len; i += 1 + r.nextInt(40)) {
                x[off + i] = r.nextBoolean() ? Float.NaN : Float.intBitsToFloat(0xFF800000 | r.nextInt(1, 1 << 23));
            }
        }));
        g.add(new RowGenerators.Named("±inf sprinkled", (r, t, x, off, len) -> {
            RowGenerators.gauss(100).fill(r, t, x, off, len);
            for (int i = 0; i < len; i += 1 + r.nextInt(50)) {
                x[off + i] = r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            }
        }));
        g.add(new RowGenerators.Named("all NaN / inf blocks", (r, t, x, off, len) -> {
            float[] v = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.NaN};
            for (int i = 0; i < len; i++) {
                x[off + i] = v[(i / 32) % v.length];
            }
        }));
        return g;
    }

    static float[] rows(RowGenerators.Named g, DType t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[ROWS * ROW];
        for (int row = 0; row < ROWS; row++) {
            g.gen().fill(r, t, x, row * ROW, ROW);
        }
        return x;
    }

    /** Runs {@code check} with every encoder variant the type has (staged, unstaged, cooperative, warp). */
    static void bothEncoders(DType t, Runnable check) {
        try {
            for (CudaKernels.Variant v : CudaKernels.spec(t).encoders().keySet()) {
                CudaKernels.useVariant(v);
                check.run();
            }
        } finally {
            CudaKernels.useVariant(null);
        }
    }

    @ParameterizedTest
    @MethodSource("encodableTypes")
    void encodeEqualsScalarBytes(DType t) {
        bothEncoders(t, () -> encodeEqualsScalarBytesOnce(t));
    }

    void encodeEqualsScalarBytesOnce(DType t) {
        Codec scalar = Codecs.scalar(t);
        int n = ROWS * ROW;
        int tried = 0;
        for (CudaDevice dev : devices()) {
            Codec gpu = CudaCodec.of(t, dev).orElseThrow();
            long seed = SEED;
            for (RowGenerators.Named g : generators()) {
                float[] x;
                try {
                    x = rows(g, t, seed++);
                } catch (IllegalArgumentException notForThisType) {
                    continue; // e.g. "ties" has no recipe for this type
                }
                byte[] want = new byte[(int) t.byteSize(n)];
                byte[] got = new byte[want.length];
                scalar.encode(x, 0, n, MemorySegment.ofArray(want), 0);
                gpu.encode(x, 0, n, MemorySegment.ofArray(got), 0);
                int at = Arrays.mismatch(want, got);
                if (at >= 0) {
                    int block = at / t.blockBytes();
                    fail(String.format("%s (%s) on %s, rows '%s': first differing byte %d (block %d)%n  scalar %s%n"
                            + "  cuda   %s%n  input  %s", t, CudaKernels.encoder(t).function(), dev, g.name(), at, block,
                            hex(want, block * t.blockBytes(), t.blockBytes()),
                            hex(got, block * t.blockBytes(), t.blockBytes()),
                            Arrays.toString(Arrays.copyOfRange(x, block * t.blockSize(),
                                    Math.min(n, (block + 1) * t.blockSize())))));
                }
                tried++;
            }
        }
        assertThat(tried).isPositive();
    }

    static Stream<DType> weightedTypes() {
        return encodableTypes().filter(CudaKernels::encodesImportance);
    }

    /** With an importance matrix (ggml's imatrix: one weight per column; zeros and outliers included). */
    @ParameterizedTest
    @MethodSource("weightedTypes")
    void weightedEncodeEqualsScalarBytes(DType t) {
        bothEncoders(t, () -> weightedEncodeEqualsScalarBytesOnce(t));
    }

    void weightedEncodeEqualsScalarBytesOnce(DType t) {
        Codec scalar = Codecs.scalar(t);
        int n = ROWS * ROW;
        for (CudaDevice dev : devices()) {
            Codec gpu = CudaCodec.of(t, dev).orElseThrow();
            long seed = SEED + 1000;
            for (RowGenerators.Named g : generators()) {
                float[] x;
                try {
                    x = rows(g, t, seed++);
                } catch (IllegalArgumentException notForThisType) {
                    continue;
                }
                SplittableRandom r = new SplittableRandom(seed);
                float[] importance = new float[ROW];
                for (int i = 0; i < ROW; i++) {
                    int k = r.nextInt(20);
                    importance[i] = k == 0 ? 0f : k == 1 ? (float) (r.nextDouble() * 1e4) : (float) r.nextDouble();
                }
                byte[] want = new byte[(int) t.byteSize(n)];
                byte[] got = new byte[want.length];
                scalar.encodeRows(x, 0, ROWS, ROW, importance, MemorySegment.ofArray(want), 0);
                gpu.encodeRows(x, 0, ROWS, ROW, importance, MemorySegment.ofArray(got), 0);
                int at = Arrays.mismatch(want, got);
                if (at >= 0) {
                    int block = at / t.blockBytes();
                    fail(String.format("%s (%s) with imatrix on %s, rows '%s': first differing byte %d (block %d)%n"
                            + "  scalar %s%n  cuda   %s", t, CudaKernels.encoder(t).function(), dev, g.name(), at,
                            block,
                            hex(want, block * t.blockBytes(), t.blockBytes()),
                            hex(got, block * t.blockBytes(), t.blockBytes())));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void decodeEqualsScalarFloats(DType t) {
        Codec scalar = Codecs.scalar(t);
        int n = ROWS * ROW;
        for (CudaDevice dev : devices()) {
            Codec gpu = CudaCodec.of(t, dev).orElseThrow();
            // scalar-encoded bytes of every generator, then random bytes (any scale bits: NaN, inf, subnormal)
            List<byte[]> inputs = new ArrayList<>();
            long seed = SEED;
            for (RowGenerators.Named g : Codecs.canEncode(t) ? generators() : List.<RowGenerators.Named>of()) {
                try {
                    float[] x = rows(g, t, seed++);
                    byte[] b = new byte[(int) t.byteSize(n)];
                    scalar.encode(x, 0, n, MemorySegment.ofArray(b), 0);
                    inputs.add(b);
                } catch (IllegalArgumentException notForThisType) {
                    // skip
                }
            }
            SplittableRandom r = new SplittableRandom(seed);
            for (int k = 0; k < (Codecs.canEncode(t) ? 4 : 16); k++) { // decode-only types: random bytes only
                byte[] b = new byte[(int) t.byteSize(n)];
                r.nextBytes(b);
                inputs.add(b);
            }
            for (byte[] b : inputs) {
                float[] want = new float[n];
                float[] got = new float[n];
                scalar.decode(MemorySegment.ofArray(b), 0, n, want, 0);
                gpu.decode(MemorySegment.ofArray(b), 0, n, got, 0);
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                        int block = i / t.blockSize();
                        fail(String.format("%s decode on %s: element %d: scalar %s (0x%08x), cuda %s (0x%08x);"
                                + " block bytes %s", t, dev, i, want[i], Float.floatToRawIntBits(want[i]), got[i],
                                Float.floatToRawIntBits(got[i]), hex(b, block * t.blockBytes(), t.blockBytes())));
                    }
                }
            }
        }
    }

    /**
     * More than two lanes' worth of elements (so both streams alternate and the last sub-chunk is partial), at
     * unaligned offsets in native memory, through the fused transcode path the engine uses (F16 source bytes →
     * target bytes on the GPU) against scalar decode + scalar encode.
     */
    @ParameterizedTest
    @MethodSource("encodableTypes")
    void largeTranscodeFromF16AtOddOffsets(DType t) {
        long n = 2L * CudaDevice.LANE_ELEMENTS + 3 * 4096 + 256;
        SplittableRandom r = new SplittableRandom(SEED ^ t.ordinal());
        Codec f16 = Codecs.scalar(DType.F16);
        Codec scalar = Codecs.scalar(t);
        float[] x = new float[(int) n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * (i % 7919 == 0 ? 300 : 0.05));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(DType.F16.byteSize(n) + 3);
            f16.encode(x, 0, (int) n, src, 3);
            float[] back = new float[(int) n];
            f16.decode(src, 3, (int) n, back, 0);
            byte[] want = new byte[(int) t.byteSize(n)];
            scalar.encode(back, 0, (int) n, MemorySegment.ofArray(want), 0);
            for (CudaDevice dev : devices()) {
                MemorySegment dst = arena.allocate(want.length + 5);
                dev.transcode(DType.F16, src, 3, t, dst, 5, n);
                byte[] got = dst.asSlice(5, want.length).toArray(ValueLayout.JAVA_BYTE);
                assertThat(Arrays.mismatch(want, got)).as("%s on %s: first differing byte", t, dev).isEqualTo(-1);
            }
        }
    }

    @Test
    void devicesDescribeThemselves() {
        for (CudaDevice d : devices()) {
            System.out.println("[gpu] " + d + ", theoretical bandwidth " + d.theoreticalBandwidth() / 1e9 + " GB/s");
            assertThat(d.name()).isNotBlank();
        }
    }

    static String hex(byte[] b, int from, int len) {
        return HexFormat.ofDelimiter(" ").formatHex(b, from, Math.min(b.length, from + len));
    }
}
