package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The importance-weighted (imatrix) encoders of the legacy 32-element types, ggml's
 * {@code quantize_row_q4_0_impl}, {@code _q4_1_impl}, {@code _q5_0_impl}, {@code _q5_1_impl} (gguf.md §3.1, §3.2,
 * §3.5), with the two searches they use: {@link #makeQxQuants} (symmetric, {@code rmse_type} 1 here) and
 * {@link #makeQkx3Quants} (asymmetric). Every sum is a sequential float sum in index order and every expression is
 * evaluated in C's order and types, because the peer (the x86-64 baseline build) does plain IEEE float operations
 * without contraction; no FMA anywhere.
 *
 * <p>Weights per element: {@code w = qw[j]·sqrtf(sigma2 + x²)} with {@code sigma2 = Σx²/n_per_row} over the whole
 * row — hence rows, not blocks, are the unit here.
 *
 * <p>Note for merging: the k-quant branches carry their own copies of {@code make_qx_quants} /
 * {@code make_qkx3_quants} ({@code KQuantSymmetric}, {@code KQuantAsymmetric}); these are the same algorithms and
 * can be deduplicated once both are in main.
 */
public final class LegacyImatrixMath {

    private LegacyImatrixMath() {}

    static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml's {@code nearest_int}, the bit trick itself (so out-of-range and NaN inputs behave as in C). */
    static int nearestInt(float f) {
        float v = f + 12582912.0f;
        return (Float.floatToRawIntBits(v) & 0x007FFFFF) - 0x00400000;
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, rmse_type, qw)} for {@code rmse_type ≥ 1} with weights {@code qw}
     * (non-null, as in every imatrix caller): writes {@code L[0..n)} in {@code [0, 2·nmax)} and returns the scale.
     */
    public static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] L, float[] qw, int qo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                L[i] = 0;
            }
            return 0.f;
        }
        float iscale = (float) -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[i] = (byte) (l + nmax);
            float w = qw[qo + i];
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qw[qo + i];
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * {@code make_qkx3_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, use_mad)} with non-null
     * weights: writes {@code L[0..n)} in {@code [0, nmax]}, returns the scale and stores {@code the_min} (≥ 0 unless
     * −0) in {@code theMin[0]}.
     */
    public static float makeQkx3Quants(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] L,
            float[] theMin, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[wo];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[wo + i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max <= min) {
            for (int i = 0; i < n; ++i) {
                L[i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * (xi - min));
            L[i] = (byte) Math.max(0, Math.min(nmax, l));
            float diff = scale * L[i] + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestMad += weights[wo + i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                float v = iscale * (xi - min);
                int l = v > 0 ? nearestInt(Math.min(v, (float) nmax)) : 0;
                laux[i] = (byte) l;
                float w = weights[wo + i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    mad += weights[wo + i] * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, L, 0, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * ggml's {@code quantize_<type>(src, dst, rows, rowLength, importance)} for Q4_0, Q4_1, Q5_0 or Q5_1 with a
     * non-null importance matrix of at least {@code rowLength} weights (the same for every row).
     */
    public static void encodeRows(DType type, float[] src, int srcOffset, int rows, int rowLength,
            float[] importance, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(importance, "importance");
        if (rows < 0 || rowLength < 0 || rowLength % 32 != 0) {
            throw new IllegalArgumentException(rowLength + " elements per row are not whole " + type
                    + " blocks of 32 (or rows " + rows + " < 0)");
        }
        if (importance.length < rowLength) {
            throw new IllegalArgumentException("importance has " + importance.length + " weights, rows have "
                    + rowLength + " elements");
        }
        int count = Math.multiplyExact(rows, rowLength);
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        int bb = type.blockBytes();
        Objects.checkFromIndexSize(dstOffset, (long) (count / 32) * bb, dst.byteSize());
        float[] weight = new float[32];
        byte[] L = new byte[32];
        byte[] laux = new byte[32];
        float[] theMin = new float[1];
        long p = dstOffset;
        for (int r = 0; r < rows; r++) {
            int x0 = srcOffset + r * rowLength;
            float sumX2 = 0;
            for (int j = 0; j < rowLength; ++j) {
                sumX2 += src[x0 + j] * src[x0 + j];
            }
            float sigma2 = sumX2 / rowLength;
            for (int ib = 0; ib < rowLength / 32; ++ib, p += bb) {
                int xb = x0 + 32 * ib;
                for (int j = 0; j < 32; ++j) {
                    float v = src[xb + j];
                    weight[j] = importance[32 * ib + j] * (float) Math.sqrt(sigma2 + v * v);
                }
                switch (type) {
                    case Q4_0 -> {
                        float d = makeQxQuants(32, 8, src, xb, L, weight, 0);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        for (int j = 0; j < 16; ++j) {
                            dst.set(BYTE, p + 2 + j, (byte) (L[j] | (L[j + 16] << 4)));
                        }
                    }
                    case Q5_0 -> {
                        float d = makeQxQuants(32, 16, src, xb, L, weight, 0);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_INT, p + 2, packQ5(L, dst, p + 6));
                    }
                    case Q4_1 -> {
                        float d = makeQkx3Quants(32, 15, src, xb, weight, 0, L, theMin, laux, -0.9f, 0.05f, 36,
                                false);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin[0]));
                        for (int j = 0; j < 16; ++j) {
                            dst.set(BYTE, p + 4 + j, (byte) (L[j] | (L[j + 16] << 4)));
                        }
                    }
                    case Q5_1 -> {
                        float d = makeQkx3Quants(32, 31, src, xb, weight, 0, L, theMin, laux, -0.9f, 0.05f, 36,
                                false);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin[0]));
                        dst.set(LE_INT, p + 4, packQ5(L, dst, p + 8));
                    }
                    default -> throw new IllegalArgumentException(type + " has no legacy imatrix encoder");
                }
            }
        }
    }

    /** Writes the 16 low-nibble bytes of 5-bit codes at {@code qs} and returns {@code qh}. */
    private static int packQ5(byte[] L, MemorySegment dst, long qs) {
        int qh = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = L[j] & 0xFF;
            int xi1 = L[j + 16] & 0xFF;
            dst.set(BYTE, qs + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        return qh;
    }
}
