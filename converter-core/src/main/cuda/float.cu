// Element types: F16, BF16, F8_E4M3, F8_E5M2. Mirrors io.weightcast.core.codec.{Fp16,Bf16,Fp8} and the
// scalar codecs F16Scalar, Bf16Scalar, F8E4M3Scalar, F8E5M2Scalar. One thread per element, coalesced.
#include "common.cuh"
#include "portable.cuh"

// Bf16.fromFloat: NaN -> (bits>>>16)|0x40, else round to nearest even.
__device__ __forceinline__ u16 wc_f32_to_bf16(float f) {
    u32 bits = __float_as_uint(f);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        return (u16) ((bits >> 16) | 0x40u);
    }
    return (u16) ((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// Fp8.e5m2FromFloat (saturating, RNE, NaN -> 0x7F|sign).
__device__ __forceinline__ u8 wc_f32_to_e5m2(float f) {
    u32 bits = __float_as_uint(f);
    u32 sign = (bits >> 24) & 0x80u;
    u32 a = bits & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return (u8) (sign | 0x7Fu);
    }
    a = a < 0x47600000u ? a : 0x47600000u;
    int code;
    if (a < 0x38800000u) {
        code = (int) rintf(__uint_as_float(a) * 65536.0f);
    } else {
        u32 r = a + 0xFFFFFu + ((a >> 21) & 1u);
        code = (int) (r >> 21) - ((127 - 15) << 2);
    }
    return (u8) (sign | (u32) code);
}

extern "C" __global__ void wc_encode_f16(const float* __restrict__ x, u8* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    u16* yb = reinterpret_cast<u16*>(y) + e0;
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        yb[i] = wc_f32_to_f16(x[e0 + i]);
    }
}

extern "C" __global__ void wc_decode_f16(const u8* __restrict__ x, float* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    const u16* xb = reinterpret_cast<const u16*>(x) + e0;
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = wc_f16_to_f32(xb[i]);
    }
}

extern "C" __global__ void wc_encode_bf16(const float* __restrict__ x, u8* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    u16* yb = reinterpret_cast<u16*>(y) + e0;
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        yb[i] = wc_f32_to_bf16(x[e0 + i]);
    }
}

extern "C" __global__ void wc_decode_bf16(const u8* __restrict__ x, float* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    const u16* xb = reinterpret_cast<const u16*>(x) + e0;
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = __uint_as_float((u32) xb[i] << 16);
    }
}

extern "C" __global__ void wc_encode_f8_e4m3(const float* __restrict__ x, u8* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = wc_hd_f32_to_e4m3(x[e0 + i]);
    }
}

extern "C" __global__ void wc_decode_f8_e4m3(const u8* __restrict__ x, float* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = wc_hd_e4m3_to_f32(x[e0 + i]);
    }
}

extern "C" __global__ void wc_encode_f8_e5m2(const float* __restrict__ x, u8* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = wc_f32_to_e5m2(x[e0 + i]);
    }
}

extern "C" __global__ void wc_decode_f8_e5m2(const u8* __restrict__ x, float* __restrict__ y, long long n) {
    WC_ELEMENTWISE_BOUNDS
    for (int i = threadIdx.x; i < ne; i += blockDim.x) {
        y[e0 + i] = wc_f16_to_f32((u32) x[e0 + i] << 8);
    }
}
