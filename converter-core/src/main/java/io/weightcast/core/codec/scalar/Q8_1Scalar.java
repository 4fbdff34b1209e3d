package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q8_1, a copy of ggml's {@code quantize_row_q8_1_ref}: block {@code { half d; half s; int8 qs[32]; }}, as Q8_0
 * ({@code d = amax/127}, {@code qs = roundf(x·(1/d))}) plus {@code s = fp16(d·Σqs)} with the fp32 {@code d}. ggml's
 * {@code ggml_quantize_chunk} aborts for Q8_1 (an activation type) and its traits have no {@code to_float}; the
 * decoder here writes {@code qs·d}, as Q8_0's does, and ignores {@code s}.
 */
public final class Q8_1Scalar extends BlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 36;

    public Q8_1Scalar() {
        super(DType.Q8_1, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float v = Math.abs(x[o + j]);
            amax = amax > v ? amax : v; // C's MAX(amax, fabsf(v))
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            int q = GgmlRounding.toInt8(GgmlRounding.roundf(x[o + j] * id));
            y.set(BYTE, p + 4 + j, (byte) q);
            sum += q;
        }
        y.set(LE_SHORT, p + 2, Fp16.fromFloat(sum * d));
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        for (int j = 0; j < QK; j++) {
            y[o + j] = x.get(BYTE, p + 4 + j) * d;
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
