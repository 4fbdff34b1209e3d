// ggml's 1- and 2-bit block types Q1_0 (128 values: sign bits and d = mean |x|) and Q2_0 (64 values: codes
// -1..2 of d = amax): line by line copies of io.weightcast.core.codec.scalar.{Q1_0Scalar, Q2_0Scalar}. Staged like
// the legacy types (a CTA stages its blocks in shared memory, one thread quantizes one block; Q1_0's 128-value
// blocks take 64 a CTA to stay within 48 KB). Nothing depends on a NaN's payload: Q1_0's NaN sum is |NaN|, positive
// on both sides; Q2_0's NaNs never win the amax and a NaN code clamps to 0.
#include "common.cuh"

#define WC_Q1_0_BLOCKS 64 // blocks (= threads) per CTA of the Q1_0 encoder

// Q1_0Scalar.encodeBlock: { half d; u8 qs[16]; }
__device__ void wc_q1_0_block(const float* x, u8* y) {
    float sumAbs = 0.0f;
    for (int j = 0; j < 128; j++) {
        sumAbs += fabsf(x[j]);
    }
    float d = sumAbs / 128.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    for (int b = 0; b < 16; ++b) {
        int q = 0;
        for (int k = 0; k < 8; k++) {
            if (x[8 * b + k] >= 0.0f) {
                q |= 1 << k;
            }
        }
        y[2 + b] = (u8) q;
    }
}

// Q1_0Scalar.decodeBlock, one element: d or −d (a sign-bit flip, as Java's negation, NaN included).
__device__ __forceinline__ float wc_q1_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    int bit = (b[2 + (j >> 3)] >> (j & 7)) & 1;
    return bit != 0 ? d : __uint_as_float(__float_as_uint(d) ^ 0x80000000u);
}

// Q2_0Scalar.encodeBlock: { half d; u8 qs[16]; }
__device__ void wc_q2_0_block(const float* x, u8* y) {
    float amax = 0.0f;
    for (int j = 0; j < 64; j++) {
        float a = fabsf(x[j]);
        if (a > amax) {
            amax = a;
        }
    }
    float d = amax;
    float id = d > 0.0f ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    for (int b = 0; b < 16; ++b) {
        int bits = 0;
        for (int k = 0; k < 4; k++) {
            int q = wc_cvttss2si(wc_roundf(x[4 * b + k] * id)) + 1;
            q = ::max(0, ::min(3, q));
            bits |= q << (2 * k);
        }
        y[2 + b] = (u8) bits;
    }
}

// Q2_0Scalar.decodeBlock, one element: (q − 1)·d.
__device__ __forceinline__ float wc_q2_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    int q = (b[2 + (j >> 2)] >> ((j & 3) * 2)) & 3;
    return wc_mul((float) (q - 1), d);
}

extern "C" __global__ void __launch_bounds__(WC_Q1_0_BLOCKS)
wc_encode_q1_0(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {
    wc_encode_staged<128, 18, WC_Q1_0_BLOCKS, wc_q1_0_block>(x, y, nblocks);
}

extern "C" __global__ void wc_decode_q1_0(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) {
    wc_decode_elementwise<128, 18, wc_q1_0_value>(x, y, nblocks);
}

extern "C" __global__ void __launch_bounds__(WC_ENC_THREADS)
wc_encode_q2_0(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {
    wc_encode_staged<64, 18, WC_ENC_THREADS, wc_q2_0_block>(x, y, nblocks);
}

extern "C" __global__ void wc_decode_q2_0(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) {
    wc_decode_elementwise<64, 18, wc_q2_0_value>(x, y, nblocks);
}
