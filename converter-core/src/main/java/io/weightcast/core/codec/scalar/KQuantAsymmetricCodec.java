package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.GgmlRounding.nearestInt;
import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * What Q4_K and Q5_K share (ggml's {@code quantize_row_q4_K_ref}/{@code _impl} and the q5_K twins are the same
 * function with other constants): a 256-value super-block {@code { half d; half dmin; u8 scales[12]; codes }} of 8
 * sub-blocks of 32, each with a six-bit scale and min ({@code get_scale_min_k4}), value {@code d·sc·q − dmin·m}.
 * The search ({@code make_qkx2_quants}, or {@code make_qkx3_quants} + {@code make_qp_quants} with an imatrix), the
 * scale packing and the requantization with the fp16 scales live here; a subclass gives its code range and search
 * constants ({@link Shape}) and how its codes are stored.
 */
public abstract class KQuantAsymmetricCodec extends BlockCodec {

    /**
     * A type's constants: codes {@code 0..nmax}; the unweighted search {@code make_qkx2_quants(32, nmax, …, rmin,
     * rdelta, nstep)}; {@code clampWeighted}: the weighted scales and mins get {@code min(63, ·)} (q5_K does, q4_K
     * does not).
     */
    protected record Shape(int nmax, float rmin, float rdelta, int nstep, int blockBytes, boolean clampWeighted) {
    }

    private final Shape shape;

    protected KQuantAsymmetricCodec(DType type, Shape shape) {
        super(type, "scalar");
        this.shape = shape;
    }

    @Override
    public boolean usesImportance() {
        return true;
    }

    /** Per-call work arrays (C's stack arrays). */
    static final class Scratch {
        final int[] L = new int[QK_K];
        final int[] laux = new int[32];
        final float[] w = new float[32];
        final float[] scales = new float[8];
        final float[] mins = new float[8];
        final float[] sw = new float[8];
        final int[] ls = new int[8];
        final int[] lm = new int[8];
        final int[] q = new int[12];
    }

    /** Stores the 256 codes {@code L} (each {@code 0..nmax}) of the super-block at {@code y[p..]}. */
    protected abstract void packCodes(int[] L, MemorySegment y, long p);

    /** The code of element {@code 64c + l} ({@code high}: {@code 64c + 32 + l}) of the super-block at {@code x[p..]}. */
    protected abstract int code(MemorySegment x, long p, int c, int l, boolean high);

    /** {@code quantize_row_qN_K_ref} of one super-block. */
    final void encodeBlock(float[] x, int o, MemorySegment y, long p, Scratch s) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.w[l] = avX + Math.abs(x[o + 32 * j + l]);
            }
            s.scales[j] = KQuantAsymmetric.makeQkx(32, shape.nmax(), x, o + 32 * j, s.w, 0, s.L, 32 * j, s.laux,
                    shape.rmin(), shape.rdelta(), shape.nstep(), false, false, s.mins, j);
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
            KQuantAsymmetric.packScaleMinK4(s.q, j, ls, lm);
        }
        finish(x, o, y, p, s, Fp16.fromFloat(maxScale / 63.0f), Fp16.fromFloat(maxMin / 63.0f));
    }

    /** {@code quantize_row_qN_K_impl} of one super-block with its 256 importance weights {@code qw[qo..]}. */
    final void encodeBlockWeighted(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, Scratch s) {
        float sumX2 = 0;
        for (int l = 0; l < QK_K; l++) {
            sumX2 += x[o + l] * x[o + l];
        }
        float sigma2 = 2 * sumX2 / QK_K;
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) {
                float v = x[o + 32 * j + l];
                s.w[l] = qw[qo + 32 * j + l] * (float) Math.sqrt(sigma2 + v * v);
            }
            float sumw = 0;
            for (int l = 0; l < 32; l++) {
                sumw += s.w[l];
            }
            s.sw[j] = sumw;
            s.scales[j] = KQuantAsymmetric.makeQkx(32, shape.nmax(), x, o + 32 * j, s.w, 0, s.L, 32 * j, s.laux,
                    -0.9f, 0.05f, 36, false, true, s.mins, j);
        }
        float dBlock = KQuantAsymmetric.makeQp(8, 63, s.scales, s.ls, s.sw);
        float mBlock = KQuantAsymmetric.makeQp(8, 63, s.mins, s.lm, s.sw);
        for (int j = 0; j < 8; j++) {
            int ls = shape.clampWeighted() ? Math.min(63, s.ls[j]) : s.ls[j];
            int lm = shape.clampWeighted() ? Math.min(63, s.lm[j]) : s.lm[j];
            KQuantAsymmetric.packScaleMinK4(s.q, j, ls, lm);
        }
        finish(x, o, y, p, s, Fp16.fromFloat(dBlock), Fp16.fromFloat(mBlock));
    }

    /** Stores d, dmin and the scales, recomputes the codes with the fp16 scales and packs them. */
    private void finish(float[] x, int o, MemorySegment y, long p, Scratch s, short dh, short mh) {
        y.set(LE_SHORT, p, dh);
        y.set(LE_SHORT, p + 2, mh);
        for (int k = 0; k < 12; k++) {
            y.set(BYTE, p + 4 + k, (byte) s.q[k]);
        }
        float dAll = Fp16.toFloat(dh);
        float mAll = Fp16.toFloat(mh);
        for (int j = 0; j < 8; j++) {
            float d = dAll * KQuantAsymmetric.scaleK4(j, s.q);
            if (d == 0) {
                continue;
            }
            float dm = mAll * KQuantAsymmetric.minK4(j, s.q);
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[o + 32 * j + ii] + dm) / d);
                s.L[32 * j + ii] = Math.max(0, Math.min(shape.nmax(), l));
            }
        }
        packCodes(s.L, y, p);
    }

    /** {@code dequantize_row_qN_K} of one super-block. */
    final void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        float min = Fp16.toFloat(x.get(LE_SHORT, p + 2));
        int[] q = new int[12];
        for (int k = 0; k < 12; k++) {
            q[k] = x.get(BYTE, p + 4 + k) & 0xFF;
        }
        for (int c = 0; c < 4; c++) {
            float d1 = d * KQuantAsymmetric.scaleK4(2 * c, q);
            float m1 = min * KQuantAsymmetric.minK4(2 * c, q);
            float d2 = d * KQuantAsymmetric.scaleK4(2 * c + 1, q);
            float m2 = min * KQuantAsymmetric.minK4(2 * c + 1, q);
            for (int l = 0; l < 32; l++) {
                y[o + 64 * c + l] = d1 * code(x, p, c, l, false) - m1;
                y[o + 64 * c + 32 + l] = d2 * code(x, p, c, l, true) - m2;
            }
        }
    }

    @Override
    protected final void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK_K, dst, dstOffset + (long) i * shape.blockBytes(), s);
        }
    }

    @Override
    public final void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        WeightedBlockCodec.encodeRows(this, src, srcOffset, rows, rowLength, importance, dst, dstOffset,
                (x, xo, blocks, qw, y, p) -> {
                    for (int b = 0; b < blocks; b++) {
                        encodeBlockWeighted(x, xo + b * QK_K, qw, b * QK_K, y, p + (long) b * shape.blockBytes(), s);
                    }
                });
    }

    @Override
    protected final void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * shape.blockBytes(), dst, dstOffset + i * QK_K);
        }
    }
}
