// Bit-exact helpers that compile for the device AND the host (nvcc -x cu -fmad=false, host code only), so that a
// kernel's per-element math can be checked against its Java reference on a machine without a GPU. Each mirrors one
// Java method operation for operation (java.lang.Math, io.weightcast.core.codec.Fp8) or an x86 rule the scalar
// references follow. Used by the layout kernels (fp8block.cu, compressed.cu, hfdecode.cu) and float.cu.
#pragma once
#include <string.h>

typedef unsigned char u8;
typedef unsigned int u32;

// Float.floatToRawIntBits.
__host__ __device__ __forceinline__ u32 wc_hd_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    u32 u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

// Float.intBitsToFloat.
__host__ __device__ __forceinline__ float wc_hd_float(u32 u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

// Math.max(a, b): a NaN operand wins (its payload kept), and +0 beats -0.
__host__ __device__ __forceinline__ float wc_java_max(float a, float b) {
    if (a != a) {
        return a;
    }
    if (b != b) {
        return b;
    }
    if (a == 0.0f && b == 0.0f && (wc_hd_bits(a) & 0x80000000u) != 0) {
        return b;
    }
    return a >= b ? a : b;
}

// Math.min(a, b): a NaN operand wins, and -0 beats +0.
__host__ __device__ __forceinline__ float wc_java_min(float a, float b) {
    if (a != a) {
        return a;
    }
    if (b != b) {
        return b;
    }
    if (a == 0.0f && b == 0.0f && (wc_hd_bits(b) & 0x80000000u) != 0) {
        return b;
    }
    return a <= b ? a : b;
}

// x86 SSE's NaN result of an operation on a and b (common.cuh's wc_x86_nan, host-callable): a NaN operand comes
// back quietened (a first), an invalid operation on non-NaN operands gives the default NaN 0xFFC00000.
__host__ __device__ __forceinline__ float wc_hd_x86_nan(float a, float b) {
    if (a != a) {
        return wc_hd_float(wc_hd_bits(a) | 0x00400000u);
    }
    if (b != b) {
        return wc_hd_float(wc_hd_bits(b) | 0x00400000u);
    }
    return wc_hd_float(0xFFC00000u);
}

// a * b as the JIT's mulss computes it (common.cuh's wc_mul, host-callable).
__host__ __device__ __forceinline__ float wc_hd_mul(float a, float b) {
    float r = a * b;
    return r == r ? r : wc_hd_x86_nan(a, b);
}

// a / b as the JIT's divss computes it (common.cuh's wc_div, host-callable).
__host__ __device__ __forceinline__ float wc_hd_div(float a, float b) {
    float r = a / b;
    return r == r ? r : wc_hd_x86_nan(a, b);
}

// Fp8.e4m3FromFloat: saturating, round to nearest even, NaN -> 0x7F|sign.
__host__ __device__ __forceinline__ u8 wc_hd_f32_to_e4m3(float f) {
    u32 bits = wc_hd_bits(f);
    u32 sign = (bits >> 24) & 0x80u;
    u32 a = bits & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return (u8) (sign | 0x7Fu);
    }
    a = a < 0x43E00000u ? a : 0x43E00000u;
    int code;
    if (a < 0x3C800000u) {
        code = (int) rintf(wc_hd_float(a) * 512.0f);
    } else {
        u32 r = a + 0x7FFFFu + ((a >> 20) & 1u);
        code = (int) (r >> 20) - ((127 - 7) << 3);
    }
    return (u8) (sign | (u32) code);
}

// Fp8.e4m3Compute / e4m3ToFloat: exact (m * 2^-9 is exact), NaN codes give the quiet NaN with the code's sign.
__host__ __device__ __forceinline__ float wc_hd_e4m3_to_f32(u32 b) {
    u32 sign = (b & 0x80u) << 24;
    u32 e = (b >> 3) & 15u;
    u32 m = b & 7u;
    if ((b & 0x7Fu) == 0x7Fu) {
        return wc_hd_float(sign | 0x7FC00000u);
    }
    if (e == 0) {
        return wc_hd_float(sign | wc_hd_bits((float) m * 0.001953125f)); // m * 2^-9
    }
    return wc_hd_float(sign | ((e + 120u) << 23) | (m << 20));
}
