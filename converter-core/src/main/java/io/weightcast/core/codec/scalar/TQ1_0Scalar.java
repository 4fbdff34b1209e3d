package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * TQ1_0 reference, a copy of ggml's {@code quantize_row_tq1_0_ref} / {@code dequantize_row_tq1_0}: block
 * {@code { u8 qs[48]; u8 qh[4]; half d; }} (d last), 256 elements, five trits per byte in a base-3 fixed-point code
 * (gguf.md §3.3): {@code qs[m]} (m < 32) packs elements {@code m + 32n}, {@code qs[32+m]} (m < 16) packs
 * {@code 160 + m + 16n} (n = 0..4, first = most significant trit), {@code qh[j]} packs {@code 240 + j + 4n}
 * (n = 0..3) times 3; then {@code q = (q·256 + 242) / 243} in 16 bits, kept as a byte. Trits are
 * {@code lroundf(x·(1/d)) + 1} with {@code d = amax}. Decode: {@code v = (u8)(b·3^n)}, {@code t = (v·3) >> 8},
 * value {@code (float)(t − 1)·d}.
 */
public final class TQ1_0Scalar extends BlockCodec {

    public static final int QK = 256;
    public static final int BLOCK_BYTES = 54;
    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};

    public TQ1_0Scalar() {
        super(DType.TQ1_0, "scalar");
    }

    /**
     * glibc's {@code lroundf} (half away from zero) as C's {@code int xi = lroundf(v)} sees it on x86-64: NaN and
     * values beyond the long range give {@code LONG_MIN}, whose low 32 bits are 0.
     */
    static int lroundf(float v) {
        if (v != v || Math.abs(v) >= 0x1p63f) {
            return 0;
        }
        return (int) (long) GgmlRounding.roundf(v);
    }

    /** The byte of five (or four, times 3) trits: the ceiling of {@code q·256/243}, as ggml computes it. */
    public static int pack(int q) {
        return (((q & 0xFF) * 256 + (243 - 1)) / 243) & 0xFF;
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = Math.abs(x[o + j]);
            amax = amax > v ? amax : v;
        }
        float d = amax;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p + 52, Fp16.fromFloat(d));
        for (int m = 0; m < 32; ++m) {
            int q = 0;
            for (int n = 0; n < 5; ++n) {
                q = q * 3 + lroundf(x[o + m + n * 32] * id) + 1;
            }
            y.set(BYTE, p + m, (byte) pack(q));
        }
        o += 160;
        for (int m = 0; m < 16; ++m) {
            int q = 0;
            for (int n = 0; n < 5; ++n) {
                q = q * 3 + lroundf(x[o + m + n * 16] * id) + 1;
            }
            y.set(BYTE, p + 32 + m, (byte) pack(q));
        }
        o += 80;
        for (int j = 0; j < 4; ++j) {
            int q = 0;
            for (int m = 0; m < 4; ++m) {
                q = q * 3 + lroundf(x[o + j + m * 4] * id) + 1;
            }
            q *= 3;
            y.set(BYTE, p + 48 + j, (byte) pack(q));
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p + 52));
        for (int n = 0; n < 5; ++n) {
            for (int m = 0; m < 32; ++m) {
                y[o++] = trit(x.get(BYTE, p + m), n) * d;
            }
        }
        for (int n = 0; n < 5; ++n) {
            for (int m = 0; m < 16; ++m) {
                y[o++] = trit(x.get(BYTE, p + 32 + m), n) * d;
            }
        }
        for (int n = 0; n < 4; ++n) {
            for (int j = 0; j < 4; ++j) {
                y[o++] = trit(x.get(BYTE, p + 48 + j), n) * d;
            }
        }
    }

    /** {@code (float)(((u8)(b·3^n)·3 >> 8) − 1)}. */
    private static float trit(byte b, int n) {
        int q = ((b & 0xFF) * POW3[n]) & 0xFF;
        return (float) (((q * 3) >> 8) - 1);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK);
        }
    }
}
