package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.GgmlRounding.nearestInt;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q2_K reference, after ggml's {@code quantize_row_q2_K_ref} (no imatrix), {@code quantize_row_q2_K_impl}
 * (imatrix) and {@code dequantize_row_q2_K}: block {@code { u8 scales[16]; u8 qs[64]; half d; half dmin; }},
 * 16 sub-blocks of 16; {@code scales[s]} holds the scale in its low nibble and the min in its high nibble; value
 * {@code d·(sc & 0xF)·q − dmin·(sc >> 4)}, q in 0..3 at bits {@code 2n} of {@code qs[32h + l]} for element
 * {@code 128h + 32n + l}.
 *
 * <p>Reference: per sub-block weights {@code |x|}, {@code make_qkx2_quants(16, 3, …, −0.5, 0.1, 15, MAD)};
 * scales and mins to four bits against their maxima, {@code d = fp16(max_scale/15)}, {@code dmin =
 * fp16(max_min/15)}; codes recomputed with the fp16 scales. Weighted: {@code σ² = Σx²/256}, weights
 * {@code qw·√(σ² + x²)}, {@code make_qkx3_quants(16, 3, …, −0.9, 0.05, 36)}, scales and mins by
 * {@code make_qp_quants(16, 15, …, Σw)}.
 */
public final class Q2_KScalar extends BlockCodec {

    public static final int BLOCK_BYTES = 84;

    public Q2_KScalar() {
        super(DType.Q2_K, "scalar");
    }

    @Override
    public boolean usesImportance() {
        return true;
    }

    /** Per-call work arrays (C's stack arrays). */
    static final class Scratch {
        final int[] L = new int[QK_K];
        final int[] laux = new int[16];
        final float[] w = new float[16];
        final float[] scales = new float[16];
        final float[] mins = new float[16];
        final float[] sw = new float[16];
        final int[] ls = new int[16];
        final int[] lm = new int[16];
        final int[] sc = new int[16];
    }

    /** {@code quantize_row_q2_K_ref} of one super-block. */
    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        encodeBlock(x, o, y, p, new Scratch());
    }

    static void encodeBlock(float[] x, int o, MemorySegment y, long p, Scratch s) {
        final float q4scale = 15.0f;
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                s.w[l] = Math.abs(x[o + 16 * j + l]);
            }
            s.scales[j] = KQuantAsymmetric.makeQkx(16, 3, x, o + 16 * j, s.w, 0, s.L, 16 * j, s.laux, -0.5f, 0.1f,
                    15, true, false, s.mins, j);
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        short dh;
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; j++) {
                s.sc[j] = nearestInt(iscale * s.scales[j]) & 0xFF;
            }
            dh = Fp16.fromFloat(maxScale / q4scale);
        } else {
            for (int j = 0; j < 16; j++) {
                s.sc[j] = 0;
            }
            dh = Fp16.fromFloat(0.0f);
        }
        short mh;
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; j++) {
                s.sc[j] = (s.sc[j] | (nearestInt(iscale * s.mins[j]) << 4)) & 0xFF;
            }
            mh = Fp16.fromFloat(maxMin / q4scale);
        } else {
            mh = Fp16.fromFloat(0.0f);
        }
        finish(x, o, y, p, s, dh, mh);
    }

    /** {@code quantize_row_q2_K_impl} of one super-block with its 256 importance weights {@code qw[qo..]}. */
    public static void encodeBlockWeighted(float[] x, int o, float[] qw, int qo, MemorySegment y, long p) {
        encodeBlockWeighted(x, o, qw, qo, y, p, new Scratch());
    }

    static void encodeBlockWeighted(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, Scratch s) {
        float sumX2 = 0;
        for (int j = 0; j < QK_K; j++) {
            sumX2 += x[o + j] * x[o + j];
        }
        float sigma2 = sumX2 / QK_K;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                float v = x[o + 16 * j + l];
                s.w[l] = qw[qo + 16 * j + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            float sw = 0;
            for (int l = 0; l < 16; l++) {
                sw += s.w[l];
            }
            s.sw[j] = sw;
            s.scales[j] = KQuantAsymmetric.makeQkx(16, 3, x, o + 16 * j, s.w, 0, s.L, 16 * j, s.laux, -0.9f, 0.05f,
                    36, false, true, s.mins, j);
        }
        float dm = KQuantAsymmetric.makeQp(16, 15, s.scales, s.ls, s.sw);
        float mm = KQuantAsymmetric.makeQp(16, 15, s.mins, s.lm, s.sw);
        for (int j = 0; j < 16; j++) {
            s.sc[j] = (s.ls[j] | (s.lm[j] << 4)) & 0xFF;
        }
        finish(x, o, y, p, s, Fp16.fromFloat(dm), Fp16.fromFloat(mm));
    }

    /** Stores scales, d, dmin, recomputes the codes with the fp16 scales and packs them. */
    private static void finish(float[] x, int o, MemorySegment y, long p, Scratch s, short dh, short mh) {
        for (int j = 0; j < 16; j++) {
            y.set(BYTE, p + j, (byte) s.sc[j]);
        }
        y.set(LE_SHORT, p + 80, dh);
        y.set(LE_SHORT, p + 82, mh);
        float dAll = Fp16.toFloat(dh);
        float mAll = Fp16.toFloat(mh);
        for (int j = 0; j < 16; j++) {
            float d = dAll * (s.sc[j] & 0xF);
            if (d == 0) {
                continue;
            }
            float dm = mAll * (s.sc[j] >> 4);
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt((x[o + 16 * j + ii] + dm) / d);
                s.L[16 * j + ii] = Math.max(0, Math.min(3, l));
            }
        }
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int e = 128 * h + l;
                y.set(BYTE, p + 16 + 32 * h + l,
                        (byte) (s.L[e] | (s.L[e + 32] << 2) | (s.L[e + 64] << 4) | (s.L[e + 96] << 6)));
            }
        }
    }

    /** {@code dequantize_row_q2_K} of one super-block. */
    public static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p + 80));
        float min = Fp16.toFloat(x.get(LE_SHORT, p + 82));
        for (int e = 0; e < QK_K; e += 16) {
            int sc = x.get(BYTE, p + e / 16) & 0xFF;
            float dl = d * (sc & 0xF);
            float ml = min * (sc >> 4);
            int h = e / 128;
            int shift = 2 * ((e % 128) / 32);
            int qo = 16 + 32 * h + (e % 32);
            for (int l = 0; l < 16; l++) {
                int q = ((x.get(BYTE, p + qo + l) & 0xFF) >> shift) & 3;
                y[o + e + l] = dl * q - ml;
            }
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK_K, dst, dstOffset + (long) i * BLOCK_BYTES, s);
        }
    }

    @Override
    public void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        io.weightcast.core.codec.WeightedBlockCodec.encodeRows(this, src, srcOffset, rows, rowLength, importance, dst, dstOffset,
                (x, xo, blocks, qw, y, p) -> {
                    for (int b = 0; b < blocks; b++) {
                        encodeBlockWeighted(x, xo + b * QK_K, qw, b * QK_K, y, p + (long) b * BLOCK_BYTES, s);
                    }
                });
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK_K);
        }
    }
}
