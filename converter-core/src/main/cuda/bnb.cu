// bitsandbytes' blockwise 4-bit quantization (NF4, FP4): a copy of io.weightcast.core.codec.Bnb (absmax,
// quantize4, dequantize4, nf4, fp4), operation for operation. Java's Math.max/Math.min propagate NaN where CUDA's
// fmaxf/fminf drop it, so the clamp and the absmax use the wc_jmax/wc_jmin copies below; a NaN absmax is written
// as the canonical 0x7FC00000 (Java's payload depends on the first NaN of the block; compare with floatToIntBits).
#include "common.cuh"

#define WC_BNB_WARPS 8     // bnb blocks (one warp each) per CTA of the fused encoder
#define WC_BNB_THREADS 256 // threads of every bnb kernel

// Math.max(a, b)
__device__ __forceinline__ float wc_jmax(float a, float b) {
    if (a != a) {
        return a;
    }
    if (b != b) {
        return b;
    }
    if (a == 0.0f && b == 0.0f && (__float_as_uint(a) & 0x80000000u) != 0) {
        return b;
    }
    return a >= b ? a : b;
}

// Math.min(a, b)
__device__ __forceinline__ float wc_jmin(float a, float b) {
    if (a != a) {
        return a;
    }
    if (b != b) {
        return b;
    }
    if (a == 0.0f && b == 0.0f && (__float_as_uint(b) & 0x80000000u) != 0) {
        return b;
    }
    return a <= b ? a : b;
}

// Bnb.nf4: bnb's dQuantizeNF4 decision tree (strict >).
__device__ __forceinline__ int wc_bnb_nf4(float x) {
    if (x > 0.03979014977812767f) {
        if (x > 0.3893125355243683f) {
            if (x > 0.6427869200706482f) {
                return x > 0.8614784181118011f ? 15 : 14;
            }
            return x > 0.5016634166240692f ? 13 : 12;
        }
        if (x > 0.2035212516784668f) {
            return x > 0.2920137718319893f ? 11 : 10;
        }
        return x > 0.1202552504837513f ? 9 : 8;
    }
    if (x > -0.33967943489551544f) {
        if (x > -0.13791173323988914f) {
            return x > -0.045525018125772476f ? 7 : 6;
        }
        return x > -0.23460740596055984f ? 5 : 4;
    }
    if (x > -0.6106329262256622f) {
        return x > -0.4599952697753906f ? 3 : 2;
    }
    return x > -0.8480964004993439f ? 1 : 0;
}

// Bnb.fp4: bnb's dQuantizeFP4.
__device__ __forceinline__ int wc_bnb_fp4(float x) {
    int sign = x < 0 ? 8 : 0;
    float a = fabsf(x);
    int code;
    if (a > 0.29166667f) {
        if (a > 0.583333f) {
            code = a > 0.8333333f ? 3 : 2;
        } else {
            code = a > 0.4166667f ? 5 : 4;
        }
    } else if (a > 0.0859375f) {
        code = a > 0.20833333f ? 7 : 6;
    } else {
        code = a > 0.00260417f ? 1 : 0;
    }
    return code | sign;
}

// Bnb.code4: s = clamp(x * (1 / max(absmax, 1e-38)), -1, 1), then the decision tree.
__device__ __forceinline__ int wc_bnb_code4(int nf4, float x, float absmax) {
    float r = 1.0f / wc_jmax(absmax, 1e-38f);
    float s = x * r;
    s = wc_jmax(-1.0f, wc_jmin(1.0f, s));
    return nf4 ? wc_bnb_nf4(s) : wc_bnb_fp4(s);
}

// Bnb.NF4 and Bnb.FP4 (the quant_map tables).
__constant__ float WC_BNB_NF4[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
__constant__ float WC_BNB_FP4[16] = {
    0.0f, 0.0052083334885537624f, 0.6666666865348816f, 1.0f, 0.3333333432674408f, 0.5f,
    0.1666666716337204f, 0.25f, -0.0f, -0.0052083334885537624f, -0.6666666865348816f, -1.0f,
    -0.3333333432674408f, -0.5f, -0.1666666716337204f, -0.25f};

// Bnb.absmax + Bnb.quantize4 fused: one warp per bnb block of `blocksize` values (the last may be partial) of the
// n values of x; writes absmax[nblocks] and the (n + 1) / 2 packed bytes, high nibble first (an odd n ends with a
// zero low nibble). The max reduction is order-free (NaN wins wherever it is).
extern "C" __global__ void wc_bnb4_encode(const float* __restrict__ x, float* __restrict__ absmax,
        u8* __restrict__ out, long long n, int blocksize, int nf4) {
    int lane = threadIdx.x & 31;
    long long b = (long long) blockIdx.x * WC_BNB_WARPS + (threadIdx.x >> 5);
    long long start = b * blocksize;
    if (start >= n) {
        return;
    }
    long long end = start + blocksize < n ? start + blocksize : n;
    float m = 0.0f;
    for (long long i = start + lane; i < end; i += 32) {
        m = wc_jmax(m, fabsf(x[i]));
    }
    for (int d = 16; d > 0; d >>= 1) {
        m = wc_jmax(m, __shfl_xor_sync(0xFFFFFFFFu, m, d));
    }
    if (m != m) {
        m = __uint_as_float(0x7FC00000u);
    }
    if (lane == 0) {
        absmax[b] = m;
    }
    for (long long i = start + 2 * lane; i < end; i += 64) {
        int hi = wc_bnb_code4(nf4, x[i], m);
        int lo = i + 1 < end ? wc_bnb_code4(nf4, x[i + 1], m) : 0;
        out[i >> 1] = (u8) ((hi << 4) | lo);
    }
}

// Bnb.quantize4 with a given absmax vector: one thread per output byte (grid-stride).
extern "C" __global__ void wc_bnb4_quantize(const float* __restrict__ x, const float* __restrict__ absmax,
        u8* __restrict__ out, long long n, int blocksize, int nf4) {
    long long pairs = (n + 1) >> 1;
    for (long long p = (long long) blockIdx.x * blockDim.x + threadIdx.x; p < pairs;
            p += (long long) gridDim.x * blockDim.x) {
        long long i = 2 * p;
        int hi = wc_bnb_code4(nf4, x[i], absmax[i / blocksize]);
        int lo = i + 1 < n ? wc_bnb_code4(nf4, x[i + 1], absmax[(i + 1) / blocksize]) : 0;
        out[p] = (u8) ((hi << 4) | lo);
    }
}

// Bnb.dequantize4 of elements [0, n) with the NF4 or FP4 table: quant_map[q] * absmax[i / blocksize].
extern "C" __global__ void wc_bnb4_decode(const u8* __restrict__ packed, const float* __restrict__ absmax,
        float* __restrict__ y, long long n, int blocksize, int nf4) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n;
            i += (long long) gridDim.x * blockDim.x) {
        int b = packed[i >> 1];
        int q = (i & 1) == 0 ? b >> 4 : b & 0xF;
        float v = nf4 ? WC_BNB_NF4[q] : WC_BNB_FP4[q];
        y[i] = v * absmax[i / blocksize];
    }
}
