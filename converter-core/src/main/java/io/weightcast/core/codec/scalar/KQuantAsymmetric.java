package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.GgmlRounding.GROUP_MAX_EPS;
import static io.weightcast.core.codec.GgmlRounding.nearestInt;


/**
 * The asymmetric (scale + min) helpers of ggml's k-quants, written after {@code ggml-quants.c} (gguf.md §3.1):
 * {@code nearest_int}, {@code make_qkx2_quants}, {@code make_qkx3_quants}, {@code make_qp_quants} and the
 * 12-byte six-bit scale/min packing of Q4_K/Q5_K ({@code get_scale_min_k4} and its inverse). Used by
 * {@link Q2_KScalar}, {@link Q4_KScalar}, {@link Q5_KScalar} and their Vector API twins.
 *
 * <p>Bit-exactness rules followed throughout: every sum is a sequential float sum in index order, every
 * expression is evaluated in C's order and types (ints converted to float where C converts them), compares are
 * C's strict ones (so NaN and ±0 behave as in C), and C's {@code uint8_t} stores are reproduced with
 * {@code & 0xFF}.
 */
public final class KQuantAsymmetric {

    private KQuantAsymmetric() {}

    /** {@code QK_K}: elements per k-quant super-block. */
    public static final int QK_K = 256;

    /**
     * {@code make_qkx2_quants} ({@code qkx3 == false}) or {@code make_qkx3_quants} ({@code qkx3 == true}; then
     * {@code w == null} means weights {@code x²} and the degenerate test is {@code max <= min}). Fits
     * {@code x ≈ scale·L − theMin} with {@code L ∈ [0, nmax]}; writes {@code L[lo..lo+n)} and
     * {@code theMin[mo]} ({@code = −min ≥ 0}, possibly −0.0) and returns the scale.
     */
    public static float makeQkx(int n, int nmax, float[] x, int xo, float[] w, int wo, int[] L, int lo,
            int[] laux, float rmin, float rdelta, int nstep, boolean useMad, boolean qkx3, float[] theMin, int mo) {
        float min = x[xo];
        float max = x[xo];
        float sumW = w != null ? w[wo] : x[xo] * x[xo];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float wi = w != null ? w[wo + i] : xi * xi;
            sumW += wi;
            sumX += wi * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (qkx3 ? max <= min : max == min) {
            for (int i = 0; i < n; i++) {
                L[lo + i] = 0;
            }
            theMin[mo] = -min;
            return 0.0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * (xi - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lo + i] = l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            float wi = w != null ? w[wo + i] : xi * xi;
            bestError += wi * diff;
        }
        if (nstep < 1) {
            theMin[mo] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * (xi - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float wi = w != null ? w[wo + i] : xi * xi;
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float xi = x[xo + i];
                    float diff = thisScale * laux[i] + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float wi = w != null ? w[wo + i] : xi * xi;
                    curError += wi * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[mo] = -min;
        return scale;
    }

    /**
     * {@code make_qp_quants}: quantizes the non-negative values {@code x[0..n)} (sub-block scales or mins) to
     * {@code L ∈ [0, nmax]} with weights {@code qw}, returns the scale. {@code L} holds C's {@code uint8_t}
     * values (0..255).
     */
    public static float makeQp(int n, int nmax, float[] x, int[] L, float[] qw) {
        float max = 0;
        for (int i = 0; i < n; i++) {
            max = max > x[i] ? max : x[i]; // C's MAX(max, x[i])
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                L[i] = 0;
            }
            return 0.0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) {
            L[i] = nearestInt(iscale * x[i]) & 0xFF;
        }
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[i] - scale * L[i];
            float w = qw[i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) {
                continue;
            }
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[i]));
                float diff = x[i] - scaleIs * l;
                float w = qw[i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, nearestInt(iscale * x[i]));
            L[i] = l & 0xFF;
            float w = qw[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int nChanged = 0;
            for (int i = 0; i < n; i++) {
                float w = qw[i];
                float slx = sumlx - w * x[i] * L[i];
                float sl2 = suml2 - w * L[i] * L[i];
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, nearestInt(x[i] * sl2 / slx));
                    if (newL != L[i]) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = newL & 0xFF;
                            sumlx = slx;
                            suml2 = sl2;
                            nChanged++;
                        }
                    }
                }
            }
            if (nChanged == 0) {
                break;
            }
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * The inverse of {@code get_scale_min_k4} for one sub-block {@code j} (0..7), as ggml's Q4_K/Q5_K
     * quantizers write it: call for j = 0..7 in order into a 12-byte array ({@code ls}, {@code lm} are C
     * {@code uint8_t} values). j &lt; 4 assigns bytes j and j+4; j ≥ 4 assigns byte j+4 and ORs the high bits into
     * bytes j−4 and j.
     */
    public static void packScaleMinK4(int[] q, int j, int ls, int lm) {
        if (j < 4) {
            q[j] = ls & 0xFF;
            q[j + 4] = lm & 0xFF;
        } else {
            q[j + 4] = ((ls & 0xF) | ((lm & 0xF) << 4)) & 0xFF;
            q[j - 4] = (q[j - 4] | ((ls >> 4) << 6)) & 0xFF;
            q[j] = (q[j] | ((lm >> 4) << 6)) & 0xFF;
        }
    }

    /** {@code get_scale_min_k4}'s scale of sub-block {@code j} from the 12 scale bytes (each 0..255). */
    public static int scaleK4(int j, int[] q) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    }

    /** {@code get_scale_min_k4}'s min of sub-block {@code j}. */
    public static int minK4(int j, int[] q) {
        return j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}
