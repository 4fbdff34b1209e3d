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

// ---------------------------------------------------------------------------------------------------------- warp
// The same bytes (and cpu flags) as wc_iq4_nl_block / wc_iq4_xs_block with far fewer instructions. Lane = one
// 32-value block (IQ4_NL) or one sub-block (IQ4_XS: lanes 8s..8s+7 of a warp own super-block s), its values and
// weights in registers (fully unrolled loops, no local arrays), the 16 passes of the search sequential as in the
// reference. best_index becomes a table look-up without branches: kvalues_iq4nl's 15 midpoints h_k = (v[k-1] +
// v[k]) / 2 are exact floats and best_index(y) = #{k : !(y < h_k)} for every float y (NaN: 15), which is what ggml's
// binary search with its tie rule gives; buckets of width 8 (t = floor(y / 8) over y clamped to [-128, 127.5]) hold
// at most one midpoint each, so one comparison with that bucket's midpoint picks between two table slots. The
// tables have 32 entries each, so 32 lanes reading them from shared memory never conflict. The __host__ __device__
// functions run on the host too, for checking against the Java scalar codec without a GPU.
#include "portable.cuh"

#define WC_IQ4W_THREADS 128 // = IQ4_NL blocks per CTA; IQ4_XS: 16 super-blocks per CTA
#define WC_IQ4W_XS 33       // floats per staged 32-value block: 32 lanes reading 32 blocks hit 32 banks
#define WC_IQ4W_MIN_CTAS 4  // caps registers at 128

// Slot tables: bucket t (y in [8(t-16), 8(t-15))) has midpoint h[t] (+inf if none); slot s has the level index
// i[s] = #{k : h_k < 8(s-16)} and the level q[s] = kvalues_iq4nl[i[s]]. A y of bucket t takes slot t, or t+1 when
// !(y < h[t]); the top bucket has no midpoint, so slots stay below 32.
struct WcIq4wTab {
    float h[32];
    float q[32];
    int i[32];
};

// kvalues_iq4nl[i] (wc_iq4_value, callable on the host).
__host__ __device__ __forceinline__ int wc_iq4w_level(int i) {
    const int lo = i < 4 ? (i < 2 ? (i == 0 ? -127 : -104) : (i == 2 ? -83 : -65))
                         : (i < 6 ? (i == 4 ? -49 : -35) : (i == 6 ? -22 : -10));
    const int hi = i < 12 ? (i < 10 ? (i == 8 ? 1 : 13) : (i == 10 ? 25 : 38))
                          : (i < 14 ? (i == 12 ? 53 : 69) : (i == 14 ? 89 : 113));
    return i < 8 ? lo : hi;
}

// Entry t of the tables (one thread each when a CTA starts).
__host__ __device__ __forceinline__ void wc_iq4w_tab_entry(WcIq4wTab* tab, int t) {
    const float lo = (float) (8 * (t - 16));
    float h = INFINITY;
    int below = 0;
    for (int k = 1; k < 16; k++) {
        float m = (float) (wc_iq4w_level(k - 1) + wc_iq4w_level(k)) * 0.5f; // exact
        if (m < lo) {
            below++;
        } else if (m < lo + 8.0f) {
            h = m;
        }
    }
    tab->h[t] = h;
    tab->i[t] = below;
    tab->q[t] = (float) wc_iq4w_level(below);
}

// floor(yc / 8) + 16 for yc in [-128, 127.5]. On the GPU one add rounding toward -inf: yc + 1.5·2^26 lies in
// [2^26, 2^27), where floats are the multiples of 8, so the sum is 1.5·2^26 + 8·floor(yc / 8) and its bits count
// the eighths (one ulp each).
__host__ __device__ __forceinline__ int wc_iq4w_bucket(float yc) {
#ifdef __CUDA_ARCH__
    return __float_as_int(__fadd_rd(yc, 100663296.0f)) - (0x4CC00000 - 16);
#else
    return (int) floor((double) yc * 0.125) + 16; // exact (yc * 0.125f would flush -2^-149 to -0)
#endif
}

// The slot of best_index(y): clamping keeps NaN at the top (fminf(NaN, 127.5) is 127.5, whose slot is 15's level).
// y is always a product, so never a signaling NaN (which the host's fminf would not treat as here).
__host__ __device__ __forceinline__ int wc_iq4w_slot(const WcIq4wTab* tab, float y) {
    const float yc = fmaxf(fminf(y, 127.5f), -128.0f);
    const int t = wc_iq4w_bucket(yc);
    return yc < tab->h[t] ? t : t + 1;
}

// One pass of Iq4Math.searchBlock: sums in index order, w * q * xj as (w * q) * xj.
__host__ __device__ __forceinline__ void wc_iq4w_pass(const float* x, const float* w, float id,
        const WcIq4wTab* tab, float* sumqxOut, float* sumq2Out) {
    float sumqx = 0;
    float sumq2 = 0;
#pragma unroll
    for (int j = 0; j < 32; ++j) {
        const float xj = x[j];
        const float q = tab->q[wc_iq4w_slot(tab, id * xj)];
        const float wq = w[j] * q;
        sumqx += wq * xj;
        sumq2 += wq * q;
    }
    *sumqxOut = sumqx;
    *sumq2Out = sumq2;
}

// Iq4Math.searchBlock over x[0..32) and w[0..32) (registers once inlined).
__host__ __device__ __forceinline__ float wc_iq4w_search(const float* x, const float* w, const WcIq4wTab* tab) {
    float amax = 0;
    float max = 0;
#pragma unroll
    for (int j = 0; j < 32; ++j) {
        const float ax = fabsf(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        return 0;
    }
    float d = -max / -127.0f;
    float id = 1.0f / d;
    float sumqx;
    float sumq2;
    wc_iq4w_pass(x, w, id, tab, &sumqx, &sumq2);
    d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
#pragma unroll 1
    for (int itry = -NTRY; itry <= NTRY; ++itry) {
        id = (float) (itry - 127) / max;
        wc_iq4w_pass(x, w, id, tab, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    return d;
}

// Iq4Math.weights for one 32-value block: qw (nullable) points at its 32 importance values.
__host__ __device__ __forceinline__ void wc_iq4w_weights(const float* x, const float* qw, float sigma2, float* w) {
    if (qw == nullptr) {
#pragma unroll
        for (int j = 0; j < 32; ++j) {
            w[j] = x[j] * x[j];
        }
    } else {
#pragma unroll
        for (int j = 0; j < 32; ++j) {
            w[j] = qw[j] * sqrtf(sigma2 + x[j] * x[j]);
        }
    }
}

// Σ x[j]² continued from s, in index order (Iq4Math.sigma2's loop over one 32-value piece).
__host__ __device__ __forceinline__ float wc_iq4w_sum_sq(const float* x, float s) {
#pragma unroll
    for (int j = 0; j < 32; ++j) {
        s += x[j] * x[j];
    }
    return s;
}

// The 16 code bytes of one 32-value block, re-picked with id: lo nibble element j, hi nibble element j + 16.
__host__ __device__ __forceinline__ void wc_iq4w_codes(const float* x, float id, const WcIq4wTab* tab, u8* out) {
#pragma unroll
    for (int j = 0; j < 16; ++j) {
        const int lo = tab->i[wc_iq4w_slot(tab, id * x[j])];
        const int hi = tab->i[wc_iq4w_slot(tab, id * x[j + 16])];
        out[j] = (u8) (lo | (hi << 4));
    }
}

// KQuantSymmetric.nearestInt as wc_nearest_int_bits (callable on the host).
__host__ __device__ __forceinline__ int wc_iq4w_nearest_int(float f, bool* cpu) {
    if (f != f) {
        *cpu = true;
    }
    return (int) (wc_hd_bits(f + 12582912.0f) & 0x007FFFFFu) - 0x00400000;
}

// IQ4_XSScalar.scalesAndHeader from the 8 sub-block scales: the fp32 d (its fp16 is stored by the caller, a NaN d
// makes the block CPU-bound), scales_h and scales_l in hdr[0..6) (out[2..8) of the block) and sub-block ib's re-pick
// factor 1/(d·l) (0 when d·l is 0), which is all a lane needs.
__host__ __device__ __forceinline__ float wc_iq4w_xs_header(const float* scales, int ib, u8* hdr, float* idlOut,
        bool* cpu) {
    float maxScale = 0;
    float amaxScale = 0;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        const float absD = fabsf(scales[k]);
        if (absD > amaxScale) {
            amaxScale = absD;
            maxScale = scales[k];
        }
    }
    const float d = -maxScale / 32.0f;
    if (d != d) {
        *cpu = true;
    }
    const float id = d != 0 ? 1.0f / d : 0.0f;
    int scalesH = 0;
    float idl = 0.0f;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        int l = wc_iq4w_nearest_int(id * scales[k], cpu);
        l = l < -32 ? -32 : (l > 31 ? 31 : l);
        const float dl = d * (float) l;
        if (k == ib) {
            idl = dl != 0 ? 1.0f / dl : 0.0f;
        }
        l += 32;
        if (k % 2 == 0) {
            hdr[2 + k / 2] = (u8) (l & 0xF);
        } else {
            hdr[2 + k / 2] |= (u8) ((l & 0xF) << 4);
        }
        scalesH |= (l >> 4) << (2 * k);
    }
    hdr[0] = (u8) scalesH;
    hdr[1] = (u8) (scalesH >> 8);
    *idlOut = idl;
    return d;
}

// Stages nb·32·(QK/32) floats of the CTA into shared memory, 32-value blocks WC_IQ4W_XS floats apart, and fills the
// slot tables.
__device__ __forceinline__ void wc_iq4w_stage(const float* __restrict__ x, int nsub, float* sx, WcIq4wTab* tab) {
    const float4* x4 = reinterpret_cast<const float4*>(x);
    for (int i = threadIdx.x; i < nsub * 8; i += blockDim.x) {
        float4 v = x4[i];
        float* s = sx + (i >> 3) * WC_IQ4W_XS + 4 * (i & 7); // 4 values never straddle a 32-value block
        s[0] = v.x;
        s[1] = v.y;
        s[2] = v.z;
        s[3] = v.w;
    }
    if (threadIdx.x < 32) {
        wc_iq4w_tab_entry(tab, threadIdx.x);
    }
    __syncthreads();
}

// Stores the CTA's output stage with coalesced 32-bit stores (b0·BB is a multiple of 4: the CTA's block count is).
__device__ __forceinline__ void wc_iq4w_store(const u32* sy, u8* __restrict__ yb, int nbytes) {
    const int nw = nbytes / 4;
    u32* y4 = reinterpret_cast<u32*>(yb);
    for (int i = threadIdx.x; i < nw; i += blockDim.x) {
        y4[i] = sy[i];
    }
    for (int i = nw * 4 + threadIdx.x; i < nbytes; i += blockDim.x) {
        yb[i] = reinterpret_cast<const u8*>(sy)[i];
    }
}

// IQ4_NL: one block a thread, WC_IQ4W_THREADS blocks a CTA.
extern "C" __global__ void __launch_bounds__(WC_IQ4W_THREADS, WC_IQ4W_MIN_CTAS)
wc_encode_iq4_nl_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    __shared__ float sx[WC_IQ4W_THREADS * WC_IQ4W_XS];
    __shared__ u32 sy[WC_IQ4W_THREADS * 18 / 4];
    __shared__ WcIq4wTab tab;
    const long long b0 = (long long) blockIdx.x * WC_IQ4W_THREADS;
    const long long left = nblocks - b0;
    const int nb = left < WC_IQ4W_THREADS ? (int) left : WC_IQ4W_THREADS;
    wc_iq4w_stage(x + b0 * 32, nb, sx, &tab);
    const int b = threadIdx.x;
    if (b < nb) {
        float xv[32];
        float w[32];
#pragma unroll
        for (int j = 0; j < 32; ++j) {
            xv[j] = sx[b * WC_IQ4W_XS + j];
        }
        const float* wq = qw == nullptr ? nullptr
                : qw + (long long) ((colBlock0 + (b0 + b) % rowBlocks) % rowBlocks) * 32;
        const float sigma2 = wq == nullptr ? 0 : wc_iq4w_sum_sq(xv, 0.0f) * (2.0f / 32.0f);
        wc_iq4w_weights(xv, wq, sigma2, w);
        const float d = wc_iq4w_search(xv, w, &tab);
        const float id = d != 0 ? 1.0f / d : 0;
        bool cpu = false;
        u8* out = reinterpret_cast<u8*>(sy) + b * 18;
        wc_put_u16(out, wc_f32_to_f16_s(d, &cpu));
        wc_iq4w_codes(xv, id, &tab, out + 2);
        flags[b0 + b] = cpu ? 1 : 0;
    }
    __syncthreads();
    wc_iq4w_store(sy, y + b0 * 18, nb * 18);
}

// IQ4_XS: lane 8s+j of a warp searches sub-block j of super-block s; the 8 lanes then share their scales through
// shuffles and each runs the (cheap) header computation itself, so no lane waits for another.
#define WC_IQ4W_XS_SB (WC_IQ4W_THREADS / 8)
extern "C" __global__ void __launch_bounds__(WC_IQ4W_THREADS, WC_IQ4W_MIN_CTAS)
wc_encode_iq4_xs_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    __shared__ float sx[WC_IQ4W_THREADS * WC_IQ4W_XS];
    __shared__ u32 sy[WC_IQ4W_XS_SB * 136 / 4];
    __shared__ WcIq4wTab tab;
    const long long b0 = (long long) blockIdx.x * WC_IQ4W_XS_SB;
    const long long left = nblocks - b0;
    const int nb = left < WC_IQ4W_XS_SB ? (int) left : WC_IQ4W_XS_SB;
    wc_iq4w_stage(x + b0 * 256, nb * 8, sx, &tab);
    const int sb = threadIdx.x >> 3;
    const int j = threadIdx.x & 7;
    const int lane = threadIdx.x & 31;
    const bool active = sb < nb; // the same for the 8 lanes of a super-block
    float xv[32];
    float w[32];
#pragma unroll
    for (int k = 0; k < 32; ++k) {
        xv[k] = active ? sx[threadIdx.x * WC_IQ4W_XS + k] : 0.0f;
    }
    const float* wq = (!active || qw == nullptr) ? nullptr
            : qw + (long long) ((colBlock0 + (b0 + sb) % rowBlocks) % rowBlocks) * 256 + 32 * j;
    float sigma2 = 0;
    if (qw != nullptr) {
        // Iq4Math.sigma2 over the 256 values in order: lane k of the super-block continues lane k-1's sum
        float s = 0;
        for (int k = 0; k < 8; ++k) {
            if (j == k) {
                s = wc_iq4w_sum_sq(xv, s);
            }
            s = __shfl_sync(0xFFFFFFFFu, s, (lane & ~7) | k);
        }
        sigma2 = s * (2.0f / 256.0f);
    }
    wc_iq4w_weights(xv, wq, sigma2, w);
    const float scale = wc_iq4w_search(xv, w, &tab);
    float scales[8];
#pragma unroll
    for (int k = 0; k < 8; ++k) {
        scales[k] = __shfl_sync(0xFFFFFFFFu, scale, (lane & ~7) | k);
    }
    if (active) {
        bool cpu = false;
        u8 hdr[6];
        float idl;
        const float d = wc_iq4w_xs_header(scales, j, hdr, &idl, &cpu);
        u8* out = reinterpret_cast<u8*>(sy) + sb * 136;
        if (j == 0) {
            wc_put_u16(out, wc_f32_to_f16(d));
#pragma unroll
            for (int k = 0; k < 6; ++k) {
                out[2 + k] = hdr[k];
            }
            flags[b0 + sb] = cpu ? 1 : 0;
        }
        wc_iq4w_codes(xv, idl, &tab, out + 8 + 16 * j);
    }
    __syncthreads();
    wc_iq4w_store(sy, y + b0 * 136, nb * 136);
}
