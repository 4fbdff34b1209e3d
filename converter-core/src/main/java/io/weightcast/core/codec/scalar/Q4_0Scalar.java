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
 * Q4_0 reference, a copy of ggml's {@code quantize_row_q4_0_ref} / {@code dequantize_row_q4_0}: block
 * {@code { half d; u8 qs[16]; }}, element j in the low nibble of {@code qs[j]}, element j+16 in the high one.
 * {@code max} = the signed value with the largest |x| (first wins), {@code d = max/-8},
 * {@code q = min(15, (int8)(x·(1/d) + 8.5f))} (truncation), value {@code (q-8)·d}. An all-zero block gives
 * {@code d = -0.0} (0x8000) and nibbles 0x88.
 */
public final class Q4_0Scalar extends BlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 18;

    public Q4_0Scalar() {
        super(DType.Q4_0, "scalar");
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
        float amax = 0.0f;
        float max = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        for (int j = 0; j < QK / 2; j++) {
            float x0 = x[o + j] * id;
            float x1 = x[o + QK / 2 + j] * id;
            int xi0 = Math.min(15, GgmlRounding.toInt8(x0 + 8.5f)) & 0xFF;
            int xi1 = Math.min(15, GgmlRounding.toInt8(x1 + 8.5f)) & 0xFF;
            y.set(BYTE, p + 2 + j, (byte) (xi0 | (xi1 << 4)));
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        for (int j = 0; j < QK / 2; j++) {
            int q = x.get(BYTE, p + 2 + j) & 0xFF;
            int x0 = (q & 0x0F) - 8;
            int x1 = (q >>> 4) - 8;
            y[o + j] = x0 * d;
            y[o + j + QK / 2] = x1 * d;
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
