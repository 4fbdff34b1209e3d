package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_FLOAT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.GgmlRounding.nearestInt;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q8_K reference, after ggml's {@code quantize_row_q8_K_ref} / {@code dequantize_row_q8_K}: block
 * {@code { float d; i8 qs[256]; i16 bsums[16]; }} (292 B), ggml's activation type for k-quant dot products.
 * {@code max} = the signed value of largest |x| (first wins); {@code iscale = −127/max}; {@code qs =
 * min(127, nearest_int(iscale·x))}; {@code bsums[g] = Σ qs[16g..16g+15]}; {@code d = 1/iscale} in fp32. An all-zero
 * block is {@code d = 0}, qs 0 and bsums 0 (ggml leaves bsums of such a block unwritten; we write zeros). Value
 * {@code d·qs}. ggml has no imatrix path for Q8_K and {@code ggml_quantize_chunk} refuses it.
 */
public final class Q8_KScalar extends BlockCodec {

    public static final int BLOCK_BYTES = 292;

    public Q8_KScalar() {
        super(DType.Q8_K, "scalar");
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        float max = 0;
        float amax = 0;
        for (int j = 0; j < QK_K; j++) {
            float ax = Math.abs(x[o + j]);
            if (ax > amax) {
                amax = ax;
                max = x[o + j];
            }
        }
        if (amax == 0) {
            y.asSlice(p, BLOCK_BYTES).fill((byte) 0);
            return;
        }
        float iscale = -127.0f / max;
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int ii = 0; ii < 16; ii++) {
                int j = 16 * g + ii;
                byte q = (byte) Math.min(127, nearestInt(iscale * x[o + j]));
                y.set(BYTE, p + 4 + j, q);
                sum += q;
            }
            y.set(LE_SHORT, p + 260 + 2 * g, (short) sum);
        }
        y.set(LE_FLOAT, p, 1 / iscale);
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = x.get(LE_FLOAT, p);
        for (int j = 0; j < QK_K; j++) {
            y[o + j] = d * x.get(BYTE, p + 4 + j);
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK_K, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK_K);
        }
    }
}
