package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q6_K reference, a copy of ggml's {@code quantize_row_q6_K_ref} (no imatrix), {@code quantize_row_q6_K_impl}
 * (imatrix) and {@code dequantize_row_q6_K}: block {@code { u8 ql[128]; u8 qh[64]; i8 scales[16]; half d; }},
 * 16 sub-blocks of 16, value {@code (d·scales[s])·(q − 32)}. Each sub-block's scale comes from
 * {@code make_qx_quants(16, 32, …, rmse_type 1)} with weights {@code x²}, or the raw imatrix values; the 16 scales
 * are quantized to int8 by {@code -128/max_scale}, and the codes recomputed with the fp16 super-scale.
 * A super-block whose scales are all below 1e-15 is all zero bytes.
 */
public final class Q6_KScalar extends WeightedBlockCodec {

    public static final int QK = 256;
    public static final int BLOCK_BYTES = 210;

    public Q6_KScalar() {
        super(DType.Q6_K, "scalar");
    }

    /** Per-call scratch for one super-block. */
    public static final class Scratch {
        public final byte[] l = new byte[QK];
        public final float[] scales = new float[16];
        public final byte[] out = new byte[BLOCK_BYTES];
    }

    /** Encodes one super-block; {@code qw} (nullable) holds the block's 256 importance values at {@code qo}. */
    public static void encodeBlock(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, Scratch s) {
        for (int ib = 0; ib < 16; ++ib) {
            s.scales[ib] = KQuantSymmetric.makeQxQuants(16, 32, x, o + 16 * ib, s.l, 16 * ib, qw, qo + 16 * ib);
        }
        finish(x, o, s, y, p);
    }

    /**
     * Everything after the sub-block searches: {@code s.scales} and {@code s.l} hold their results (the codes are
     * kept only for sub-blocks whose quantized scale comes out 0, as in ggml).
     */
    public static void finish(float[] x, int o, Scratch s, MemorySegment y, long p) {
        float[] scales = s.scales;
        byte[] L = s.l;
        byte[] out = s.out;
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            float abs = Math.abs(scales[ib]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[ib];
            }
        }
        if (maxAbsScale < GgmlRounding.GROUP_MAX_EPS) {
            java.util.Arrays.fill(out, (byte) 0);
            MemorySegment.copy(out, 0, y, BYTE, p, BLOCK_BYTES);
            return;
        }
        float iscale = -128.0f / maxScale;
        short dh = Fp16.fromFloat(1 / iscale);
        out[208] = (byte) dh;
        out[209] = (byte) (dh >> 8);
        float dAll = Fp16.toFloat(dh);
        for (int ib = 0; ib < 16; ++ib) {
            out[192 + ib] = (byte) Math.min(127, GgmlRounding.nearestInt(iscale * scales[ib]));
        }
        for (int j = 0; j < 16; ++j) {
            float d = dAll * out[192 + j];
            if (d == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ++ii) {
                int l = GgmlRounding.nearestInt(x[o + 16 * j + ii] / d);
                L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        pack(L, out);
        MemorySegment.copy(out, 0, y, BYTE, p, BLOCK_BYTES);
    }

    /** Packs 256 six-bit codes into {@code ql} (bytes 0..127) and {@code qh} (128..191). */
    static void pack(byte[] L, byte[] out) {
        for (int h = 0; h < 2; ++h) {
            int j = 128 * h;
            int ql = 64 * h;
            int qh = 128 + 32 * h;
            for (int l = 0; l < 32; ++l) {
                int a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
                out[ql + l] = (byte) ((a & 0xF) | ((c & 0xF) << 4));
                out[ql + l + 32] = (byte) ((b & 0xF) | ((e & 0xF) << 4));
                out[qh + l] = (byte) ((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
            }
        }
    }

    /** {@code dequantize_row_q6_K} for one block already copied to {@code b}. */
    public static void decodeBlock(byte[] b, float[] y, int o) {
        float d = Fp16.toFloat((short) ((b[208] & 0xFF) | (b[209] << 8)));
        for (int h = 0; h < 2; ++h) {
            int ql = 64 * h;
            int qh = 128 + 32 * h;
            int sc = 192 + 8 * h;
            int yo = o + 128 * h;
            for (int l = 0; l < 32; ++l) {
                int is = l / 16;
                int lo = b[ql + l] & 0xFF, hi = b[ql + l + 32] & 0xFF, hb = b[qh + l] & 0xFF;
                int q1 = ((lo & 0xF) | ((hb & 3) << 4)) - 32;
                int q2 = ((hi & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                int q3 = ((lo >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                int q4 = ((hi >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                y[yo + l] = d * b[sc + is] * q1;
                y[yo + l + 32] = d * b[sc + is + 2] * q2;
                y[yo + l + 64] = d * b[sc + is + 4] * q3;
                y[yo + l + 96] = d * b[sc + is + 6] * q4;
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
