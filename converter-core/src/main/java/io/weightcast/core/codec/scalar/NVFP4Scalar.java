package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * NVFP4 reference, a copy of ggml's {@code quantize_row_nvfp4_ref} / {@code dequantize_row_nvfp4}: block
 * {@code { u8 d[4]; u8 qs[32]; }}, 64 elements in four sub-blocks of 16; sub-block s uses {@code qs[8s..8s+7]}
 * (low nibble element 16s+j, high nibble 16s+j+8) and the unsigned E4M3 scale {@code d[s]}, decoded to half its
 * value ({@link #ue4m3ToFp32}). Encode: {@code ue = ggml_fp32_to_ue4m3(amax/6)} (round half up on the fourth
 * mantissa bit, saturating at 0x7E), codes by MXFP4's {@code best_index_mxfp4}. No global scale in the block.
 */
public final class NVFP4Scalar extends BlockCodec {

    public static final int QK = 64;
    public static final int BLOCK_BYTES = 36;
    private static final float[] UE4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            float v;
            if (b == 0 || b == 0x7F) {
                v = 0.0f;
            } else {
                int exp = (b >> 3) & 0xF;
                int man = b & 7;
                float raw = exp == 0 ? Math.scalb((float) man, -9) : Math.scalb(1.0f + (float) man / 8.0f, exp - 7);
                v = raw * 0.5f;
            }
            UE4M3[b] = v;
        }
    }

    public NVFP4Scalar() {
        super(DType.NVFP4, "scalar");
    }

    /** {@code ggml_ue4m3_to_fp32}: half the UE4M3 value; codes 0 and 0x7F give 0, bit 7 is ignored. */
    public static float ue4m3ToFp32(int b) {
        return UE4M3[b & 0xFF];
    }

    /** {@code ggml_fp32_to_ue4m3}. */
    public static int fp32ToUe4m3(float x) {
        if (!(x > 0.0f)) {
            return 0;
        }
        if (x > 448.0f) {
            x = 448.0f;
        }
        int bits = Float.floatToRawIntBits(x);
        int fexp = ((bits >>> 23) & 0xFF) - 127;
        int fman = (bits >>> 20) & 0x7;
        int e = fexp + 7;
        if (e <= 0) {
            int man = (int) (x * 512.0f + 0.5f);
            if (man > 7) {
                man = 7;
            }
            if (man < 1) {
                return 0;
            }
            return man;
        }
        if (e >= 15) {
            return 0x7E;
        }
        int m = fman + ((bits >>> 19) & 1);
        if (m > 7) {
            m = 0;
            e++;
            if (e >= 15) {
                return 0x7E;
            }
        }
        return (e << 3) | m;
    }

    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        for (int s = 0; s < 4; s++) {
            int xb = o + s * 16;
            float amax = 0.0f;
            for (int j = 0; j < 16; j++) {
                float a = Math.abs(x[xb + j]);
                if (amax < a) {
                    amax = a;
                }
            }
            int ue = fp32ToUe4m3(amax / 6.0f);
            y.set(BYTE, p + s, (byte) ue);
            float d = ue4m3ToFp32(ue);
            for (int j = 0; j < 8; ++j) {
                int x0 = MXFP4Scalar.bestIndex(x[xb + j], d);
                int x1 = MXFP4Scalar.bestIndex(x[xb + 8 + j], d);
                y.set(BYTE, p + 4 + s * 8 + j, (byte) (x0 | (x1 << 4)));
            }
        }
    }

    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        for (int s = 0; s < 4; s++) {
            float d = ue4m3ToFp32(x.get(BYTE, p + s));
            int yb = o + s * 16;
            for (int j = 0; j < 8; ++j) {
                int q = x.get(BYTE, p + 4 + s * 8 + j) & 0xFF;
                y[yb + j] = MXFP4Scalar.KVALUES[q & 0x0F] * d;
                y[yb + j + 8] = MXFP4Scalar.KVALUES[q >>> 4] * d;
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
