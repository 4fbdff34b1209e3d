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
 * Q8_0 reference, a line-by-line copy of ggml's {@code quantize_row_q8_0_ref} / {@code dequantize_row_q8_0}:
 * block {@code { half d; int8 qs[32]; }}, {@code d = amax/127}, {@code qs = roundf(x·(1/d))} (half away from
 * zero, with the unrounded fp32 {@code 1/d}), value {@code qs·d}. ggml ignores an imatrix for Q8_0.
 */
public final class Q8_0Scalar extends BlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 34;

    public Q8_0Scalar() {
        super(DType.Q8_0, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = Math.abs(x[o + j]);
            amax = amax > v ? amax : v; // C's MAX(amax, fabsf(v)), NaN behaviour included
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        for (int j = 0; j < QK; j++) {
            float x0 = x[o + j] * id;
            y.set(BYTE, p + 2 + j, (byte) GgmlRounding.toInt8(GgmlRounding.roundf(x0)));
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        for (int j = 0; j < QK; j++) {
            y[o + j] = x.get(BYTE, p + 2 + j) * d;
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
