// IQ4_NL (32 values a block) and IQ4_XS (256), with and without an importance matrix: line by line copies of
// io.weightcast.core.codec.scalar.{Iq4Math, IQ4_NLScalar, IQ4_XSScalar} (ggml's quantize_row_iq4_nl_impl with
// ntry = 7). One thread per block, staged in shared memory; sequential sums in index order.
#include "common.cuh"

#define GROUP_MAX_EPS 1e-15f
#define NTRY 7

// kvalues_iq4nl. Read with data-dependent indices, which __constant__ memory serialises across a warp; this
// function computes the entry instead (the table is monotonic: a short select chain the compiler keeps in registers).
__device__ __forceinline__ int wc_iq4_value(int i) {
    const int lo = i < 4 ? (i < 2 ? (i == 0 ? -127 : -104) : (i == 2 ? -83 : -65))
                         : (i < 6 ? (i == 4 ? -49 : -35) : (i == 6 ? -22 : -10));
    const int hi = i < 12 ? (i < 10 ? (i == 8 ? 1 : 13) : (i == 10 ? 25 : 38))
                          : (i < 14 ? (i == 12 ? 53 : 69) : (i == 14 ? 89 : 113));
    return i < 8 ? lo : hi;
}
#define WC_IQ4_VALUES_AT(i) wc_iq4_value(i)

__device__ __forceinline__ int wc_iq4_best_index(float x) {
    if (x <= (float) WC_IQ4_VALUES_AT(0)) {
        return 0;
    }
    if (x >= (float) WC_IQ4_VALUES_AT(15)) {
        return 15;
    }
    int ml = 0;
    int mu = 15;
    while (mu - ml > 1) {
        int mav = (ml + mu) / 2;
        if (x < (float) WC_IQ4_VALUES_AT(mav)) {
            mu = mav;
        } else {
            ml = mav;
        }
    }
    return x - (float) WC_IQ4_VALUES_AT(mu - 1) < (float) WC_IQ4_VALUES_AT(mu) - x ? mu - 1 : mu;
}

// Iq4Math.searchBlock over 32 values.
__device__ float wc_iq4_search_block(const float* x, const float* weight) {
    float amax = 0;
    float max = 0;
    for (int j = 0; j < 32; ++j) {
        float ax = fabsf(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        return 0;
    }
    float d = -max / (float) WC_IQ4_VALUES_AT(0);
    float id = 1.0f / d;
    float sumqx = 0;
    float sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
        float xj = x[j];
        float q = (float) WC_IQ4_VALUES_AT(wc_iq4_best_index(id * xj));
        float w = weight[j];
        sumqx += w * q * xj;
        sumq2 += w * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int itry = -NTRY; itry <= NTRY; ++itry) {
        id = (float) (itry + WC_IQ4_VALUES_AT(0)) / max;
        sumqx = 0;
        sumq2 = 0;
        for (int j = 0; j < 32; ++j) {
            float xj = x[j];
            float q = (float) WC_IQ4_VALUES_AT(wc_iq4_best_index(id * xj));
            float w = weight[j];
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

// Iq4Math.sigma2 and Iq4Math.weights.
__device__ __forceinline__ float wc_iq4_sigma2(const float* x, int n) {
    float s = 0;
    for (int j = 0; j < n; ++j) {
        s += x[j] * x[j];
    }
    return s * (2.0f / (float) n);
}

__device__ __forceinline__ void wc_iq4_weights(const float* x, int n, const float* qw, float sigma2, float* weight) {
    if (qw == nullptr) {
        for (int j = 0; j < n; ++j) {
            weight[j] = x[j] * x[j];
        }
    } else {
        for (int j = 0; j < n; ++j) {
            weight[j] = qw[j] * sqrtf(sigma2 + x[j] * x[j]);
        }
    }
}

// IQ4_NLScalar.encodeBlock: { half d; u8 qs[16]; }. The codes come from comparisons only; a NaN scale (from NaN
// or overflowing inputs) goes to the CPU through wc_f32_to_f16_s.
__device__ void wc_iq4_nl_block(const float* x, u8* y, const float* qw, bool* cpu) {
    float weight[32];
    float sigma2 = qw == nullptr ? 0 : wc_iq4_sigma2(x, 32);
    wc_iq4_weights(x, 32, qw, sigma2, weight);
    float d = wc_iq4_search_block(x, weight);
    float id = d != 0 ? 1.0f / d : 0;
    wc_put_u16(y, wc_f32_to_f16_s(d, cpu));
    for (int j = 0; j < 16; ++j) {
        int lo = wc_iq4_best_index(id * x[j]);
        int hi = wc_iq4_best_index(id * x[j + 16]);
        y[2 + j] = (u8) (lo | (hi << 4));
    }
}

__device__ __forceinline__ float wc_iq4_nl_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    int q = b[2 + (j & 15)];
    return wc_mul(d, (float) WC_IQ4_VALUES_AT(j < 16 ? (q & 0xF) : (q >> 4)));
}

// IQ4_XSScalar.encodeBlock: { half d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }
__device__ void wc_iq4_xs_block(const float* x, u8* out, const float* qw, bool* cpu) {
    float weight[256];
    float scales[8];
    float idls[8];
    float sigma2 = wc_iq4_sigma2(x, 256);
    wc_iq4_weights(x, 256, qw, sigma2, weight);
    for (int ib = 0; ib < 8; ++ib) {
        scales[ib] = wc_iq4_search_block(x + 32 * ib, weight + 32 * ib);
    }
    float maxScale = 0;
    float amaxScale = 0;
    for (int ib = 0; ib < 8; ++ib) {
        float absD = fabsf(scales[ib]);
        if (absD > amaxScale) {
            amaxScale = absD;
            maxScale = scales[ib];
        }
    }
    float d = -maxScale / 32.0f;
    wc_put_u16(out, wc_f32_to_f16_s(d, cpu));
    float id = d != 0 ? 1.0f / d : 0.0f;
    int scalesH = 0;
    for (int ib = 0; ib < 8; ++ib) {
        int l = wc_nearest_int_bits(id * scales[ib], cpu);
        l = ::max(-32, ::min(31, l));
        float dl = d * (float) l;
        idls[ib] = dl != 0 ? 1.0f / dl : 0.0f;
        l += 32;
        int lLow = l & 0xF;
        int lHigh = l >> 4;
        if (ib % 2 == 0) {
            out[4 + ib / 2] = (u8) lLow;
        } else {
            out[4 + ib / 2] |= (u8) (lLow << 4);
        }
        scalesH |= lHigh << (2 * ib);
    }
    out[2] = (u8) scalesH;
    out[3] = (u8) (scalesH >> 8);
    for (int ib = 0; ib < 8; ++ib) {
        float idl = idls[ib];
        for (int j = 0; j < 16; ++j) {
            int lo = wc_iq4_best_index(idl * x[32 * ib + j]);
            int hi = wc_iq4_best_index(idl * x[32 * ib + 16 + j]);
            out[8 + 16 * ib + j] = (u8) (lo | (hi << 4));
        }
    }
}

__device__ __forceinline__ float wc_iq4_xs_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    int scalesH = b[2] | (b[3] << 8);
    int ib = j >> 5;
    int jj = j & 31;
    int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
    float dl = wc_mul(d, (float) (ls - 32));
    int q = b[8 + 16 * ib + (jj & 15)];
    return wc_mul(dl, (float) WC_IQ4_VALUES_AT(jj < 16 ? (q & 0xF) : (q >> 4)));
}

WC_SEARCH_KERNELS(iq4_nl, 32, 18, WC_SEARCH_THREADS_32)
WC_SEARCH_KERNELS_G(iq4_xs, 256, 136)
