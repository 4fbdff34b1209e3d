// Shared helpers of the weightcast CUDA kernels. Every function here mirrors one Java method of
// io.weightcast.core.codec (Fp16, Bf16, GgmlRounding) operation for operation, so that the kernels give the same
// bytes as the scalar references. Compiled with -fmad=false (no fused multiply-add) and IEEE division.
#pragma once
#include <cuda_fp16.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

// Fp16.fromFloat: round to nearest even, overflow to inf, subnormals kept; every NaN becomes sign|0x7E00.
__device__ __forceinline__ u16 wc_f32_to_f16(float f) {
    if (f != f) {
        return (u16) (((__float_as_uint(f) >> 16) & 0x8000u) | 0x7E00u);
    }
    return __half_as_ushort(__float2half_rn(f));
}

// Fp16.toFloat: exact; NaN comes back quiet with its payload (sign|0x7FC00000|mant<<13).
__device__ __forceinline__ float wc_f16_to_f32(u32 h) {
    h &= 0xFFFFu;
    if ((h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0) {
        return __uint_as_float(((h & 0x8000u) << 16) | 0x7FC00000u | ((h & 0x03FFu) << 13));
    }
    return __half2float(__ushort_as_half((u16) h));
}

// GgmlRounding.roundf: C roundf (half away from zero) built from exact steps.
__device__ __forceinline__ float wc_roundf(float v) {
    if (isinf(v) || v != v) {
        return v;
    }
    float a = fabsf(v);
    float fl = floorf(a);
    float b = fl + floorf(2.0f * (a - fl));
    return copysignf(b, v);
}

// GgmlRounding.cvttss2si: truncation, 0x80000000 for NaN and out-of-range values (x86-64's cvttss2si).
__device__ __forceinline__ int wc_cvttss2si(float f) {
    if (f >= 2147483648.0f || f < -2147483648.0f || f != f) {
        return (int) 0x80000000u;
    }
    return (int) f;
}

// GgmlRounding.toInt8: (int8_t)(float) on x86-64, sign-extended.
__device__ __forceinline__ int wc_to_int8(float f) {
    return (int) (signed char) (wc_cvttss2si(f) & 0xFF);
}

// GgmlRounding.toUint8: (uint8_t)(float) on x86-64.
__device__ __forceinline__ int wc_to_uint8(float f) {
    return wc_cvttss2si(f) & 0xFF;
}

// GgmlRounding.nearestInt: round half to even.
__device__ __forceinline__ int wc_nearest_int(float f) {
    return (int) rintf(f);
}

// x86-64 SSE NaN rules, which the scalar Java references follow on the CPU (the JIT emits mulss/addss): a NaN
// operand comes back quietened (the first one when both are NaN), and an invalid operation on non-NaN operands
// (0 * inf, inf - inf) gives the "default NaN" 0xFFC00000; the GPU would give 0x7FFFFFFF for all of these.
__device__ __forceinline__ float wc_x86_nan(float a, float b) {
    if (a != a) {
        return __uint_as_float(__float_as_uint(a) | 0x00400000u);
    }
    if (b != b) {
        return __uint_as_float(__float_as_uint(b) | 0x00400000u);
    }
    return __uint_as_float(0xFFC00000u);
}

__device__ __forceinline__ float wc_mul(float a, float b) {
    float r = a * b;
    return r == r ? r : wc_x86_nan(a, b);
}

__device__ __forceinline__ float wc_add(float a, float b) {
    float r = a + b;
    return r == r ? r : wc_x86_nan(a, b);
}

__device__ __forceinline__ float wc_sub(float a, float b) {
    float r = a - b;
    return r == r ? r : wc_x86_nan(a, b);
}

__device__ __forceinline__ float wc_div(float a, float b) {
    float r = a / b;
    return r == r ? r : wc_x86_nan(a, b);
}

__device__ __forceinline__ void wc_put_u16(u8* p, u32 v) {
    p[0] = (u8) v;
    p[1] = (u8) (v >> 8);
}

__device__ __forceinline__ void wc_put_u32(u8* p, u32 v) {
    p[0] = (u8) v;
    p[1] = (u8) (v >> 8);
    p[2] = (u8) (v >> 16);
    p[3] = (u8) (v >> 24);
}

__device__ __forceinline__ u32 wc_get_u16(const u8* p) {
    return (u32) p[0] | ((u32) p[1] << 8);
}

__device__ __forceinline__ u32 wc_get_u32(const u8* p) {
    return (u32) p[0] | ((u32) p[1] << 8) | ((u32) p[2] << 16) | ((u32) p[3] << 24);
}

// ---------------------------------------------------------------------------------------------------------------
// Launch shapes. Java (CudaKernels) launches every kernel with grid = ceil(nblocks / ITEMS) and THREADS threads,
// where ITEMS is the number of type blocks one CTA covers; the values below must match CudaKernels.Shape.
//
// Encode of block types: shared-memory staging. The CTA loads its ITEMS*QK floats with coalesced float4 loads into
// shared memory (rows padded to QK+1 floats so that one thread per block reads without bank conflicts), each
// thread quantizes one block exactly as the scalar reference (sequential loops, same order), writes its bytes to a
// shared output stage, and the CTA stores the stage with coalesced 32-bit stores.
// Decode of block types: one thread per 4 output elements (coalesced float4 stores; the block's bytes come from L1).
// Element types (F16, BF16, FP8): one thread per element, grid of WC_ELEM_ITEMS elements per CTA.
#define WC_ENC_THREADS 128
#define WC_DEC_ITEMS 128
#define WC_DEC_THREADS 256
#define WC_ELEM_ITEMS 4096
#define WC_ELEM_THREADS 256

template <int QK, int BB, int NB, void (*ENC)(const float*, u8*)>
__device__ __forceinline__ void wc_encode_staged(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {
    constexpr int STRIDE = QK + 1;
    __shared__ float sx[NB * STRIDE];
    __shared__ u32 sy[(NB * BB + 3) / 4];
    const long long b0 = (long long) blockIdx.x * NB;
    const long long left = nblocks - b0;
    const int nb = left < NB ? (int) left : NB;
    const int ne = nb * QK;
    const float4* x4 = reinterpret_cast<const float4*>(x + b0 * QK);
    for (int i = threadIdx.x; i < ne / 4; i += blockDim.x) {
        float4 v = x4[i];
        int e = i * 4;
        float* s = sx + (e / QK) * STRIDE + (e % QK);
        s[0] = v.x;
        s[1] = v.y;
        s[2] = v.z;
        s[3] = v.w;
    }
    __syncthreads();
    for (int b = threadIdx.x; b < nb; b += blockDim.x) {
        ENC(sx + b * STRIDE, reinterpret_cast<u8*>(sy) + b * BB);
    }
    __syncthreads();
    const int nbytes = nb * BB;
    u8* yb = y + b0 * BB;
    const int nw = nbytes / 4;
    u32* y4 = reinterpret_cast<u32*>(yb); // b0*BB is a multiple of 4 (NB is)
    for (int i = threadIdx.x; i < nw; i += blockDim.x) {
        y4[i] = sy[i];
    }
    for (int i = nw * 4 + threadIdx.x; i < nbytes; i += blockDim.x) {
        yb[i] = reinterpret_cast<const u8*>(sy)[i];
    }
}

template <int QK, int BB, float (*DEC)(const u8*, int)>
__device__ __forceinline__ void wc_decode_elementwise(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) {
    const long long b0 = (long long) blockIdx.x * WC_DEC_ITEMS;
    const long long left = nblocks - b0;
    const int nb = left < WC_DEC_ITEMS ? (int) left : WC_DEC_ITEMS;
    const int ne = nb * QK;
    float4* yb = reinterpret_cast<float4*>(y + b0 * QK); // QK is a multiple of 4, y 16-byte aligned
    const u8* xb = x + b0 * BB;
    for (int i = threadIdx.x; i < ne / 4; i += blockDim.x) {
        int e = 4 * i;
        const u8* blk = xb + (e / QK) * BB;
        int j = e % QK;
        float4 v;
        v.x = DEC(blk, j);
        v.y = DEC(blk, j + 1);
        v.z = DEC(blk, j + 2);
        v.w = DEC(blk, j + 3);
        yb[i] = v;
    }
}

#define WC_ELEMENTWISE_BOUNDS                                                  \
    const long long e0 = (long long) blockIdx.x * WC_ELEM_ITEMS;               \
    const long long left = n - e0;                                             \
    const int ne = left < WC_ELEM_ITEMS ? (int) left : WC_ELEM_ITEMS;

// ---------------------------------------------------------------------------------------------------------------
// Searching quantizers (k-quants, IQ4): encode kernels take an optional importance matrix and report blocks whose
// bytes would depend on a NaN payload, which the GPU cannot reproduce (x86 keeps payloads, the GPU makes every NaN
// 0x7FFFFFFF). Signature: (x, y, nblocks, qw, rowBlocks, colBlock0, flags): qw is null or the imatrix of one row
// (rowBlocks blocks); block b of the launch uses qw + ((colBlock0 + b) % rowBlocks) * QK; flags[b] is set to 1
// when the host must encode block b with the scalar codec instead (CudaDevice does), else 0.

// KQuantSymmetric.nearestInt: ggml's magic-number rounding, bit for bit (also for |f| >= 2^22 and inf); a NaN
// input makes the block CPU-bound (its result depends on the NaN's payload).
__device__ __forceinline__ int wc_nearest_int_bits(float f, bool* cpu) {
    if (f != f) {
        *cpu = true;
    }
    return (int) (__float_as_uint(f + 12582912.0f) & 0x007FFFFFu) - 0x00400000;
}

// Fp16.fromFloat for the searching quantizers: a NaN scale keeps its sign in the fp16 bits, and that sign is the
// NaN's (x86 makes 0xFFC00000, the GPU 0x7FFFFFFF), so such a block goes to the CPU.
__device__ __forceinline__ u16 wc_f32_to_f16_s(float f, bool* cpu) {
    if (f != f) {
        *cpu = true;
    }
    return wc_f32_to_f16(f);
}

template <int QK, int BB, int NB, void (*ENC)(const float*, u8*, const float*, bool*)>
__device__ __forceinline__ void wc_encode_staged_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,
        const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    constexpr int STRIDE = QK + 1;
    __shared__ float sx[NB * STRIDE];
    __shared__ u32 sy[(NB * BB + 3) / 4];
    const long long b0 = (long long) blockIdx.x * NB;
    const long long left = nblocks - b0;
    const int nb = left < NB ? (int) left : NB;
    const int ne = nb * QK;
    const float4* x4 = reinterpret_cast<const float4*>(x + b0 * QK);
    for (int i = threadIdx.x; i < ne / 4; i += blockDim.x) {
        float4 v = x4[i];
        int e = i * 4;
        float* s = sx + (e / QK) * STRIDE + (e % QK);
        s[0] = v.x;
        s[1] = v.y;
        s[2] = v.z;
        s[3] = v.w;
    }
    __syncthreads();
    for (int b = threadIdx.x; b < nb; b += blockDim.x) {
        const float* w = qw == nullptr ? nullptr
                : qw + (long long) ((colBlock0 + (b0 + b) % rowBlocks) % rowBlocks) * QK;
        bool cpu = false;
        ENC(sx + b * STRIDE, reinterpret_cast<u8*>(sy) + b * BB, w, &cpu);
        flags[b0 + b] = cpu ? 1 : 0;
    }
    __syncthreads();
    const int nbytes = nb * BB;
    u8* yb = y + b0 * BB;
    const int nw = nbytes / 4;
    u32* y4 = reinterpret_cast<u32*>(yb);
    for (int i = threadIdx.x; i < nw; i += blockDim.x) {
        y4[i] = sy[i];
    }
    for (int i = nw * 4 + threadIdx.x; i < nbytes; i += blockDim.x) {
        yb[i] = reinterpret_cast<const u8*>(sy)[i];
    }
}

// The same without shared-memory staging, for the 256-value searching quantizers whose staging (33 KB a CTA of
// 32 blocks) leaves an SM only a few warps: each thread reads its super-block from global memory (through L1/L2;
// the search passes over it many times), so CTAs of WC_SEARCH_G_THREADS threads fit many more per SM.
template <int QK, int BB, void (*ENC)(const float*, u8*, const float*, bool*)>
__device__ __forceinline__ void wc_encode_global_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,
        const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    const long long b = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= nblocks) {
        return;
    }
    const float* w = qw == nullptr ? nullptr : qw + (long long) ((colBlock0 + b % rowBlocks) % rowBlocks) * QK;
    bool cpu = false;
    ENC(x + b * QK, y + b * BB, w, &cpu);
    flags[b] = cpu ? 1 : 0;
}

#define WC_SEARCH_G_THREADS 64

#define WC_SEARCH_THREADS_32 128
#define WC_SEARCH_THREADS_256 32

#define WC_SEARCH_KERNELS(name, QKV, BB, NBV)                                                                     \
    extern "C" __global__ void __launch_bounds__(NBV)                                                            \
    wc_encode_##name(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,                         \
            const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {                \
        wc_encode_staged_w<QKV, BB, NBV, wc_##name##_block>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);     \
    }                                                                                                            \
    extern "C" __global__ void wc_decode_##name(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) { \
        wc_decode_elementwise<QKV, BB, wc_##name##_value>(x, y, nblocks);                                        \
    }

#define WC_SEARCH_KERNELS_G(name, QKV, BB)                                                                        \
    WC_SEARCH_KERNELS(name, QKV, BB, WC_SEARCH_THREADS_256)                                                      \
    extern "C" __global__ void __launch_bounds__(WC_SEARCH_G_THREADS)                                            \
    wc_encode_##name##_g(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,                     \
            const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {                \
        wc_encode_global_w<QKV, BB, wc_##name##_block>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);          \
    }
