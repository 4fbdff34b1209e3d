package io.weightcast.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host side of the GPU decoders of the Hugging Face layouts, without a GPU: {@link HfDecode#piece} (which bytes
 * and scales a range uploads), {@link HfDecode#decode} (pieces, CPU fallback, NaN re-decode) and a Java emulation
 * of {@code hfdecode.cu} (its index math, line for line, on copies of the uploaded slices; NaN written as the GPU's
 * canonical NaN) give the CPU decoders' floats bit for bit, on every layout of {@link HfDecodeFixtures}, for whole
 * weights and for ranges starting and ending anywhere. {@code CudaHfDecodeTest} runs the same on the GPU.
 */
class HfDecodeEmulationTest {
    @TempDir
    Path tmp;

    @Test
    void emulatedKernelsEqualCpuDecoders() throws Exception {
        int checked = 0;
        for (Map.Entry<String, Path> e : HfDecodeFixtures.all(tmp).entrySet()) {
            try (ModelFile m = ModelFiles.open(e.getValue())) {
                for (LogicalTensor t : QuantizedCheckpoint.of(m).tensors()) {
                    if (t.source() instanceof DeviceDecoder d) {
                        assertSameAsCpu(e.getKey() + " " + t.name(), d, t.elementCount(),
                                (first, count, dst, off) -> d.weight().decode(first, count, dst, off,
                                        HfDecodeEmulationTest::emulate, d::decode));
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(40);
    }

    /** {@code gpu} gives the CPU's floats (raw bits) for the whole weight and for random sub-ranges. */
    static void assertSameAsCpu(String what, DeviceDecoder d, long elements, HfDecode.Cpu gpu) {
        int n = Math.toIntExact(elements);
        float[] cpu = new float[n];
        d.decode(0, n, cpu, 0);
        float[] got = new float[n + 3];
        gpu.decode(0, n, got, 3);
        assertBits(what + " whole", d, cpu, 0, got, 3, n);
        SplittableRandom r = new SplittableRandom(n);
        for (int k = 0; k < 6; k++) {
            int first = r.nextInt(n);
            int count = 1 + r.nextInt(n - first);
            float[] part = new float[count + 1];
            gpu.decode(first, count, part, 1);
            assertBits(what + " [" + first + ", +" + count + ")", d, cpu, first, part, 1, count);
        }
    }

    /**
     * Raw bits equal, NaNs included: the CPU decoders multiply with {@link io.weightcast.core.codec.X86Float#mul}, so
     * a NaN code times a NaN scale gives the same NaN however the JIT compiled the loop, and the GPU path re-decodes
     * NaN elements on the CPU.
     */
    static void assertBits(String what, DeviceDecoder d, float[] want, int wo, float[] got, int go, int n) {
        for (int i = 0; i < n; i++) {
            int a = Float.floatToRawIntBits(want[wo + i]);
            int b = Float.floatToRawIntBits(got[go + i]);
            if (a != b) {
                throw new AssertionError(what + ": element " + (wo + i) + " is 0x" + Integer.toHexString(b)
                        + ", the CPU gives 0x" + Integer.toHexString(a));
            }
        }
    }

    /** hfdecode.cu in Java, on copies of exactly the slices the GPU would receive. */
    static boolean emulate(HfDecode w, HfDecode.Piece p, long first, int count, float[] dst, int off) {
        byte[] in = w.src().asSlice(p.srcOffset(), p.srcBytes()).toArray(ValueLayout.JAVA_BYTE);
        float[] a = Arrays.copyOfRange(w.a(), p.aFrom(), p.aFrom() + p.aLen());
        float[] b = Arrays.copyOfRange(w.b(), p.bFrom(), p.bFrom() + p.bLen());
        long[] q = w.params();
        boolean nan = false;
        for (int k = 0; k < count; k++) {
            long e = first + k;
            float v = switch (w.kind()) {
                case BNB4 -> {
                    int by = in[(int) ((e >> 1) - (first >> 1))] & 0xFF;
                    int code = (e & 1) == 0 ? by >> 4 : by & 0xF;
                    yield b[code] * a[(int) (e / q[0] - first / q[0])];
                }
                case INT8 -> (float) in[(int) (e - first)] * a[(int) (e / q[0] - first / q[0])]
                        * Float.intBitsToFloat((int) q[1]);
                case FP8_BLOCK -> {
                    long rows = q[0];
                    long cols = q[1];
                    long tilesPerRow = (cols + q[3] - 1) / q[3];
                    long tileRows = (rows + q[2] - 1) / q[2];
                    long row = e / cols;
                    long col = e - row * cols;
                    long s = tileRow(row, rows, q[2], tileRows) * tilesPerRow + col / q[3];
                    long s0 = tileRow(first / cols, rows, q[2], tileRows) * tilesPerRow;
                    yield e4m3(in[(int) (e - first)] & 0xFF) * a[(int) (s - s0)];
                }
                case CT_PACKED -> {
                    long cols = q[0];
                    long words = q[1];
                    int bits = (int) q[2];
                    long per = 32 / bits;
                    long r0 = first / cols;
                    long w0 = r0 * words + (first - r0 * cols) / per;
                    long r = e / cols;
                    long c = e - r * cols;
                    int at = (int) (4 * (r * words + c / per - w0));
                    int word = MemorySegment.ofArray(in).get(ValueLayout.JAVA_INT_UNALIGNED
                            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), at);
                    int code = ((word >>> (bits * (int) (c % per))) & ((1 << bits) - 1)) - (1 << (bits - 1));
                    yield (float) code * a[(int) (r * q[3] + c / q[4] - r0 * q[3])];
                }
                case CT_PLAIN -> {
                    long cols = q[0];
                    long r = e / cols;
                    int si = (int) (r * q[1] + (e - r * cols) / q[2] - (first / cols) * q[1]);
                    int by = in[(int) (e - first)];
                    float x = q[3] != 0 ? e4m3(by & 0xFF) : (float) by;
                    float z = q[4] == 0 ? 0f : q[4] == 1 ? b[0] : b[si];
                    yield (x - z) * a[si];
                }
            };
            if (Float.isNaN(v)) {
                v = Float.intBitsToFloat(0x7FFFFFFF); // the GPU's canonical NaN
                nan = true;
            }
            dst[off + k] = v;
        }
        return nan;
    }

    private static long tileRow(long row, long rows, long blockM, long tileRows) {
        long matrix = row / rows;
        return matrix * tileRows + (row - matrix * rows) / blockM;
    }

    /** wc_hfd_e4m3. */
    private static float e4m3(int b) {
        int sign = (b & 0x80) << 24;
        int e = (b >>> 3) & 15;
        int m = b & 7;
        if ((b & 0x7F) == 0x7F) {
            return Float.intBitsToFloat(sign | 0x7FC00000);
        }
        if (e == 0) {
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(m * 0x1p-9f));
        }
        return Float.intBitsToFloat(sign | ((e + 120) << 23) | (m << 20));
    }
}
