package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q2_0 reference, a copy of ggml's {@code quantize_row_q2_0_ref} / {@code dequantize_row_q2_0}: block
 * {@code { half d; u8 qs[16]; }}, 64 elements; {@code d = amax} (strict {@code >}), {@code id = d > 0 ? 1/d : 0},
 * {@code q = clamp((int) roundf(x·id) + 1, 0, 3)}, element j at bits {@code 2·(j%4)} of byte {@code j/4}; value
 * {@code (q − 1)·d}. ggml ignores an imatrix.
 */
public final class Q2_0Scalar extends BlockCodec {

    public static final int QK = 64;
    public static final int BLOCK_BYTES = 18;

    public Q2_0Scalar() {
        super(DType.Q2_0, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) {
            float a = Math.abs(x[o + j]);
            if (a > amax) {
                amax = a;
            }
        }
        float d = amax;
        float id = d > 0.0f ? 1.0f / d : 0.0f;
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        for (int b = 0; b < QK / 4; ++b) {
            int bits = 0;
            for (int k = 0; k < 4; k++) {
                int q = GgmlRounding.cvttss2si(GgmlRounding.roundf(x[o + 4 * b + k] * id)) + 1;
                q = Math.max(0, Math.min(3, q));
                bits |= q << (2 * k);
            }
            y.set(BYTE, p + 2 + b, (byte) bits);
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        for (int j = 0; j < QK; ++j) {
            int q = (x.get(BYTE, p + 2 + j / 4) >> ((j % 4) * 2)) & 3;
            y[o + j] = (q - 1) * d;
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
