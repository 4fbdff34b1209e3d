package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q1_0 reference, a copy of ggml's {@code quantize_row_q1_0_ref} / {@code dequantize_row_q1_0}: block
 * {@code { half d; u8 qs[16]; }}, 128 elements; {@code d = Σ|x|/128} (sequential float sum), bit j (byte j/8, bit
 * j%8) set when {@code x ≥ 0}; value {@code bit ? d : −d}. ggml ignores an imatrix.
 */
public final class Q1_0Scalar extends BlockCodec {

    public static final int QK = 128;
    public static final int BLOCK_BYTES = 18;

    public Q1_0Scalar() {
        super(DType.Q1_0, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float sumAbs = 0.0f;
        for (int j = 0; j < QK; j++) {
            sumAbs += Math.abs(x[o + j]);
        }
        float d = sumAbs / QK;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        for (int b = 0; b < QK / 8; ++b) {
            int q = 0;
            for (int k = 0; k < 8; k++) {
                if (x[o + 8 * b + k] >= 0.0f) {
                    q |= 1 << k;
                }
            }
            y.set(BYTE, p + 2 + b, (byte) q);
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        float negD = -d;
        for (int j = 0; j < QK; ++j) {
            int bit = (x.get(BYTE, p + 2 + j / 8) >> (j % 8)) & 1;
            y[o + j] = bit != 0 ? d : negD;
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
