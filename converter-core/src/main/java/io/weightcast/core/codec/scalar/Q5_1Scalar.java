package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q5_1 reference, a copy of ggml's {@code quantize_row_q5_1_ref} / {@code dequantize_row_q5_1}: block
 * {@code { half d; half m; u8 qh[4]; u8 qs[16]; }}, bits as Q5_0. {@code d = (max-min)/31},
 * {@code q = (uint8)((x-min)·(1/d) + 0.5f)} (no clamp), value {@code q·d + m}.
 */
public final class Q5_1Scalar extends BlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 24;

    public Q5_1Scalar() {
        super(DType.Q5_1, "scalar");
    }

    @Override
    public boolean usesImportance() {
        return true;
    }

    /** With an importance matrix: ggml's {@code quantize_row_<type>_impl}, see {@link LegacyImatrixMath}. */
    @Override
    public void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        if (importance == null) {
            encode(src, srcOffset, Math.multiplyExact(rows, rowLength), dst, dstOffset);
        } else {
            LegacyImatrixMath.encodeRows(type(), src, srcOffset, rows, rowLength, importance, dst, dstOffset);
        }
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[o + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        y.set(LE_SHORT, p + 2, Fp16.fromFloat(min));
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            float x0 = (x[o + j] - min) * id;
            float x1 = (x[o + QK / 2 + j] - min) * id;
            int xi0 = GgmlRounding.toUint8(x0 + 0.5f);
            int xi1 = GgmlRounding.toUint8(x1 + 0.5f);
            y.set(BYTE, p + 8 + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
        }
        y.set(LE_INT, p + 4, qh);
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        float m = Fp16.toFloat(x.get(LE_SHORT, p + 2));
        int qh = x.get(LE_INT, p + 4);
        for (int j = 0; j < QK / 2; j++) {
            int xh0 = ((qh >>> j) << 4) & 0x10;
            int xh1 = (qh >>> (j + 12)) & 0x10;
            int q = x.get(BYTE, p + 8 + j) & 0xFF;
            int x0 = (q & 0x0F) | xh0;
            int x1 = (q >>> 4) | xh1;
            y[o + j] = x0 * d + m;
            y[o + j + QK / 2] = x1 * d + m;
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
