package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q3_K reference, a copy of ggml's {@code quantize_row_q3_K_ref} (no imatrix), {@code quantize_row_q3_K_impl}
 * (imatrix) and {@code dequantize_row_q3_K}: block {@code { u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d; }},
 * 16 symmetric sub-blocks of 16, value {@code (d·(sc − 32))·(q − 4)}, q in 0..7 (low 2 bits in {@code qs} as in
 * Q2_K, the high bit of element j in bit j/32 of {@code hmask[j % 32]}), six-bit sub-scales packed as
 * gguf.md §3.4 says. Without an imatrix the sub-scales come from {@code make_q3_quants} and are quantized by
 * {@code -32/max_scale}; with one, from {@code make_qx_quants} weighted by {@code qw·√(σ² + x²)}, and the 16 scales
 * themselves by {@code make_qx_quants(16, 32, …)} weighted by each sub-block's weight sum.
 */
public final class Q3_KScalar extends WeightedBlockCodec {

    public static final int QK = 256;
    public static final int BLOCK_BYTES = 110;

    public Q3_KScalar() {
        super(DType.Q3_K, "scalar");
    }

    /** Per-call scratch for one super-block. */
    public static final class Scratch {
        public final byte[] l = new byte[QK];
        public final float[] scales = new float[16];
        public final float[] weight = new float[QK];
        public final float[] sw = new float[16];
        final byte[] ls = new byte[16];
        /** The block being built (scales packed by {@link #quantizeScales}, then codes by {@link #requantAndPack}). */
        public final byte[] out = new byte[BLOCK_BYTES];
    }

    /** Encodes one super-block; {@code qw} (nullable) holds the block's 256 importance values at {@code qo}. */
    public static void encodeBlock(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, Scratch s) {
        if (qw == null) {
            for (int j = 0; j < 16; ++j) {
                s.scales[j] = KQuantSymmetric.makeQ3Quants(16, 4, x, o + 16 * j, s.l, 16 * j);
            }
            finish(x, o, s, y, p);
        } else {
            weights(x, o, qw, qo, s);
            for (int j = 0; j < 16; ++j) {
                s.scales[j] = KQuantSymmetric.makeQxQuants(16, 4, x, o + 16 * j, s.l, 16 * j, s.weight, 16 * j);
            }
            finishWeighted(x, o, s, y, p);
        }
    }

    /** The imatrix path's weights {@code qw·√(σ² + x²)} (σ² = 2Σx²/256) into {@code s.weight}, sums into {@code s.sw}. */
    public static void weights(float[] x, int o, float[] qw, int qo, Scratch s) {
        float sumx2 = 0;
        for (int j = 0; j < QK; ++j) {
            sumx2 += x[o + j] * x[o + j];
        }
        float sigma2 = 2 * sumx2 / QK;
        for (int j = 0; j < 16; ++j) {
            float sumw = 0;
            for (int l = 0; l < 16; ++l) {
                float xv = x[o + 16 * j + l];
                float w = qw[qo + 16 * j + l] * (float) Math.sqrt(sigma2 + xv * xv);
                s.weight[16 * j + l] = w;
                sumw += w;
            }
            s.sw[j] = sumw;
        }
    }

    /** The reference path after the {@code make_q3_quants} searches ({@code s.scales}, {@code s.l}). */
    public static void finish(float[] x, int o, Scratch s, MemorySegment y, long p) {
        requantAndPack(x, o, s.l, quantizeScales(s), s.out);
        MemorySegment.copy(s.out, 0, y, BYTE, p, BLOCK_BYTES);
    }

    /** The imatrix path after the {@code make_qx_quants} searches ({@code s.scales}, {@code s.l}, {@code s.sw}). */
    public static void finishWeighted(float[] x, int o, Scratch s, MemorySegment y, long p) {
        requantAndPack(x, o, s.l, quantizeScalesWeighted(s), s.out);
        MemorySegment.copy(s.out, 0, y, BYTE, p, BLOCK_BYTES);
    }

    /**
     * {@link #finish}'s first step: clears {@code s.out}, packs the 16 sub-scales quantized by {@code -32/max_scale}
     * into it and returns the super-block scale as fp16.
     */
    public static short quantizeScales(Scratch s) {
        float[] scales = s.scales;
        byte[] out = s.out;
        java.util.Arrays.fill(out, (byte) 0);
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; ++j) {
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        if (maxScale != 0) {
            float iscale = -32.0f / maxScale;
            for (int j = 0; j < 16; ++j) {
                int l = (byte) GgmlRounding.nearestInt(iscale * scales[j]);
                packScale(out, j, Math.max(-32, Math.min(31, l)) + 32);
            }
            return Fp16.fromFloat(1 / iscale);
        }
        return Fp16.fromFloat(0.0f);
    }

    /**
     * {@link #finishWeighted}'s first step: clears {@code s.out}, packs the 16 sub-scales quantized by the weighted
     * {@code make_qx_quants(16, 32, …)} into it and returns the super-block scale as fp16.
     */
    public static short quantizeScalesWeighted(Scratch s) {
        byte[] out = s.out;
        java.util.Arrays.fill(out, (byte) 0);
        float dBlock = KQuantSymmetric.makeQxQuants(16, 32, s.scales, 0, s.ls, 0, s.sw, 0);
        for (int j = 0; j < 16; ++j) {
            packScale(out, j, s.ls[j]);
        }
        return Fp16.fromFloat(dBlock);
    }

    private static void packScale(byte[] out, int j, int l) {
        if (j < 8) {
            out[96 + j] = (byte) (l & 0xF);
        } else {
            out[96 + j - 8] |= (byte) ((l & 0xF) << 4);
        }
        l >>= 4;
        out[96 + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
    }

    /** Six-bit scale {@code s} (0..63) of a block's 12 scale bytes at {@code b[at..]}. */
    static int scale(byte[] b, int at, int j) {
        int low = j < 8 ? b[at + j] & 0xF : (b[at + j - 8] & 0xFF) >> 4;
        return low | (((b[at + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4;
    }

    /**
     * ggml's last step: with the scales already packed in {@code out}, the codes of every sub-block whose
     * {@code d·(sc − 32)} is non-zero recomputed ({@code L} keeps the search's codes for the others), then the high
     * bits into {@code hmask} and the low 2 bits into {@code qs}.
     */
    public static void requantAndPack(float[] x, int o, byte[] L, short dh, byte[] out) {
        out[108] = (byte) dh;
        out[109] = (byte) (dh >> 8);
        float dAll = Fp16.toFloat(dh);
        for (int j = 0; j < 16; ++j) {
            int sc = (byte) (scale(out, 96, j) - 32);
            float d = dAll * sc;
            if (d == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ++ii) {
                int l = GgmlRounding.nearestInt(x[o + 16 * j + ii] / d);
                L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
            }
        }
        for (int j = 0; j < QK; ++j) {
            int l = L[j];
            if (l > 3) {
                out[j % 32] |= (byte) (1 << (j / 32));
                l -= 4;
            }
            L[j] = (byte) l;
        }
        for (int h = 0; h < 2; ++h) {
            int j = 128 * h;
            for (int l = 0; l < 32; ++l) {
                out[32 + 32 * h + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4)
                        | (L[j + l + 96] << 6));
            }
        }
    }

    /** {@code dequantize_row_q3_K} for one block already copied to {@code b}. */
    public static void decodeBlock(byte[] b, float[] y, int o) {
        float dAll = Fp16.toFloat((short) ((b[108] & 0xFF) | (b[109] << 8)));
        int is = 0;
        int m = 1;
        for (int h = 0; h < 2; ++h) {
            int q = 32 + 32 * h;
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                float dl = dAll * (scale(b, 96, is++) - 32);
                for (int l = 0; l < 16; ++l) {
                    y[o++] = dl * (((b[q + l] >> shift) & 3) - ((b[l] & m) != 0 ? 0 : 4));
                }
                dl = dAll * (scale(b, 96, is++) - 32);
                for (int l = 0; l < 16; ++l) {
                    y[o++] = dl * (((b[q + l + 16] >> shift) & 3) - ((b[l + 16] & m) != 0 ? 0 : 4));
                }
                shift += 2;
                m <<= 1;
            }
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, importance, importanceOffset + i * QK, dst,
                    dstOffset + (long) i * BLOCK_BYTES, s);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            decodeBlock(b, dst, dstOffset + i * QK);
        }
    }
}
