package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.GgmlRounding;

/**
 * The IQ4_NL / IQ4_XS quantizer core ({@code quantize_row_iq4_nl_impl} of ggml with 32-element blocks, 16
 * non-linear levels and {@code ntry = 7}, the path {@code ggml_quantize_chunk} takes with or without an imatrix),
 * shared by both codecs.
 */
public final class Iq4Math {

    private Iq4Math() {}

    /** {@code kvalues_iq4nl}: the 16 levels, sorted. */
    public static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The search width ggml's chunk path uses: scale tries {@code itry = -7..7}. */
    public static final int NTRY = 7;

    /**
     * ggml's {@code best_index_int8(16, kvalues_iq4nl, x)}: the nearest level; at an exact midpoint the upper one.
     * Written as ggml's binary search: below the first level 0, above the last 15, and NaN (which fails every
     * comparison) ends at 15. Equal, for every float, to counting the midpoints {@code m_k = v[k-1] + v[k]}
     * with {@code !(x + x < m_k)}, which is what the vector kernels do.
     */
    public static int bestIndex(float x) {
        if (x <= VALUES[0]) {
            return 0;
        }
        if (x >= VALUES[15]) {
            return 15;
        }
        int ml = 0;
        int mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < VALUES[mav]) {
                mu = mav;
            } else {
                ml = mav;
            }
        }
        return x - VALUES[mu - 1] < VALUES[mu] - x ? mu - 1 : mu;
    }

    /**
     * The per-32-element search of {@code quantize_row_iq4_nl_impl} (ntry = 7): returns the block's scale
     * {@code d} (0 for an "all zero" block), leaving in {@code L[lo..lo+32)} the codes of the first pass (ggml
     * re-picks every code afterwards, so callers do not use them). {@code weight[wo..wo+32)} are the element
     * weights ({@code x²} without an imatrix, {@code qw·√(σ² + x²)} with one).
     */
    public static float searchBlock(float[] x, int xo, float[] weight, int wo) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; ++j) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax < GgmlRounding.GROUP_MAX_EPS) {
            return 0;
        }
        float d = -max / VALUES[0];
        float id = 1 / d;
        float sumqx = 0;
        float sumq2 = 0;
        for (int j = 0; j < 32; ++j) {
            float xj = x[xo + j];
            float q = VALUES[bestIndex(id * xj)];
            float w = weight[wo + j];
            sumqx += w * q * xj;
            sumq2 += w * q * q;
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
        float best = d * sumqx;
        for (int itry = -NTRY; itry <= NTRY; ++itry) {
            id = (itry + VALUES[0]) / max;
            sumqx = 0;
            sumq2 = 0;
            for (int j = 0; j < 32; ++j) {
                float xj = x[xo + j];
                float q = VALUES[bestIndex(id * xj)];
                float w = weight[wo + j];
                sumqx += w * q * xj;
                sumq2 += w * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        return d;
    }

    /**
     * Fills {@code weight[0..n)} for elements {@code x[xo..xo+n)}: {@code x²} without an imatrix, else
     * {@code qw[qo+j]·√(sigma2 + x²)}.
     */
    public static void weights(float[] x, int xo, int n, float[] qw, int qo, float sigma2, float[] weight, int wo) {
        if (qw == null) {
            for (int j = 0; j < n; ++j) {
                weight[wo + j] = x[xo + j] * x[xo + j];
            }
        } else {
            for (int j = 0; j < n; ++j) {
                weight[wo + j] = qw[qo + j] * (float) Math.sqrt(sigma2 + x[xo + j] * x[xo + j]);
            }
        }
    }

    /** ggml's σ² of an IQ4 super-block: {@code Σx²} in order, times {@code 2/n}. */
    public static float sigma2(float[] x, int xo, int n) {
        float s = 0;
        for (int j = 0; j < n; ++j) {
            s += x[xo + j] * x[xo + j];
        }
        return s * (2.0f / n);
    }
}
