package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * TQ2_0 reference, a copy of ggml's {@code quantize_row_tq2_0_ref} / {@code dequantize_row_tq2_0}: block
 * {@code { u8 qs[64]; half d; }} (d last), 256 elements. {@code d = amax} (C's {@code MAX}, NaN included),
 * {@code t = lroundf(x·(1/d)) + 1}; byte {@code qs[32h + m]} holds elements {@code 128h + 32n + m} at bits
 * {@code 2n}. Value {@code (float)(t − 1)·d}. ggml ignores an imatrix.
 */
public final class TQ2_0Scalar extends BlockCodec {

    public static final int QK = 256;
    public static final int BLOCK_BYTES = 66;

    public TQ2_0Scalar() {
        super(DType.TQ2_0, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = Math.abs(x[o + j]);
            amax = amax > v ? amax : v;
        }
        float d = amax;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p + 64, Fp16.fromFloat(d));
        for (int j = 0; j < 64; j += 32) {
            for (int m = 0; m < 32; ++m) {
                int q = 0;
                for (int n = 0; n < 4; ++n) {
                    int xi = TQ1_0Scalar.lroundf(x[o + m + n * 32] * id) + 1;
                    q += (xi & 3) << (2 * n);
                }
                y.set(BYTE, p + j + m, (byte) q);
            }
            o += 128;
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p + 64));
        for (int j = 0; j < 64; j += 32) {
            for (int l = 0; l < 4; ++l) {
                for (int m = 0; m < 32; ++m) {
                    int q = (x.get(BYTE, p + j + m) >> (l * 2)) & 3;
                    y[o++] = (float) (q - 1) * d;
                }
            }
        }
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
