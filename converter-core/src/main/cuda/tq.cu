// The ternary types TQ1_0 and TQ2_0 (256 values a block, d = amax, trits from lroundf(x/d) + 1): line by line
// copies of io.weightcast.core.codec.scalar.{TQ1_0Scalar, TQ2_0Scalar} (ggml's quantize_row_tq*_ref). Memory-bound:
// 32 blocks staged per CTA of 128 threads (all load, one thread per block quantizes).
#include "common.cuh"

#define WC_TQ_BLOCKS 32
#define WC_TQ_THREADS 128

// TQ1_0Scalar.lroundf: glibc lroundf as (int) on x86-64 sees it; NaN and |v| >= 2^63 give LONG_MIN, low bits 0.
__device__ __forceinline__ int wc_lroundf(float v) {
    if (v != v || fabsf(v) >= 9.223372036854775808e18f) {
        return 0;
    }
    return (int) (long long) wc_roundf(v);
}

__device__ __forceinline__ int wc_tq_pack(int q) {
    return (((q & 0xFF) * 256 + (243 - 1)) / 243) & 0xFF;
}

__device__ __forceinline__ float wc_tq_amax(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < 256; j++) {
        float v = fabsf(x[j]);
        amax = amax > v ? amax : v;
    }
    return amax;
}

// TQ1_0Scalar.encodeBlock: { u8 qs[48]; u8 qh[4]; half d; }
__device__ void wc_tq1_0_block(const float* x, u8* y) {
    float d = wc_tq_amax(x);
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y + 52, wc_f32_to_f16(d));
    int o = 0;
    for (int m = 0; m < 32; ++m) {
        int q = 0;
        for (int n = 0; n < 5; ++n) {
            q = q * 3 + wc_lroundf(x[o + m + n * 32] * id) + 1;
        }
        y[m] = (u8) wc_tq_pack(q);
    }
    o += 160;
    for (int m = 0; m < 16; ++m) {
        int q = 0;
        for (int n = 0; n < 5; ++n) {
            q = q * 3 + wc_lroundf(x[o + m + n * 16] * id) + 1;
        }
        y[32 + m] = (u8) wc_tq_pack(q);
    }
    o += 80;
    for (int j = 0; j < 4; ++j) {
        int q = 0;
        for (int m = 0; m < 4; ++m) {
            q = q * 3 + wc_lroundf(x[o + j + m * 4] * id) + 1;
        }
        q *= 3;
        y[48 + j] = (u8) wc_tq_pack(q);
    }
}

__device__ __forceinline__ float wc_tq_trit(int b, int n) {
    const int pow3 = n == 0 ? 1 : n == 1 ? 3 : n == 2 ? 9 : n == 3 ? 27 : n == 4 ? 81 : 243;
    int q = (b * pow3) & 0xFF;
    return (float) (((q * 3) >> 8) - 1);
}

// TQ1_0Scalar.decodeBlock, one element: 160 from qs[0..32) (5 trits each), 80 from qs[32..48), 16 from qh.
__device__ __forceinline__ float wc_tq1_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b + 52));
    float t;
    if (j < 160) {
        t = wc_tq_trit(b[j % 32], j / 32);
    } else if (j < 240) {
        int r = j - 160;
        t = wc_tq_trit(b[32 + r % 16], r / 16);
    } else {
        int r = j - 240;
        t = wc_tq_trit(b[48 + r % 4], r / 4);
    }
    return wc_mul(t, d);
}

// TQ2_0Scalar.encodeBlock: { u8 qs[64]; half d; }
__device__ void wc_tq2_0_block(const float* x, u8* y) {
    float d = wc_tq_amax(x);
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y + 64, wc_f32_to_f16(d));
    int o = 0;
    for (int j = 0; j < 64; j += 32) {
        for (int m = 0; m < 32; ++m) {
            int q = 0;
            for (int n = 0; n < 4; ++n) {
                int xi = wc_lroundf(x[o + m + n * 32] * id) + 1;
                q += (xi & 3) << (2 * n);
            }
            y[j + m] = (u8) q;
        }
        o += 128;
    }
}

__device__ __forceinline__ float wc_tq2_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b + 64));
    int half = j >> 7;
    int r = j & 127;
    int l = r >> 5;
    int m = r & 31;
    int q = (b[32 * half + m] >> (l * 2)) & 3;
    return wc_mul((float) (q - 1), d);
}

#define WC_TQ_KERNELS(name, BB)                                                                                  \
    extern "C" __global__ void __launch_bounds__(WC_TQ_THREADS)                                                  \
    wc_encode_##name(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {                       \
        wc_encode_staged<256, BB, WC_TQ_BLOCKS, wc_##name##_block>(x, y, nblocks);                              \
    }                                                                                                            \
    extern "C" __global__ void wc_decode_##name(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) { \
        wc_decode_elementwise<256, BB, wc_##name##_value>(x, y, nblocks);                                        \
    }

WC_TQ_KERNELS(tq1_0, 54)
WC_TQ_KERNELS(tq2_0, 66)
