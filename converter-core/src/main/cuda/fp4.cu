// The 4-bit float block types MXFP4 (32 values, E8M0 scale) and NVFP4 (64 values, four UE4M3 sub-block scales):
// line by line copies of io.weightcast.core.codec.scalar.{MXFP4Scalar, NVFP4Scalar} (ggml's quantize_row_mxfp4_ref,
// quantize_row_nvfp4_ref and their decoders). Staged like the legacy types: a CTA stages its blocks in shared
// memory, one thread quantizes one block. No result depends on a NaN's payload (NaNs never win the amax, and a
// NaN value's code is 0 however it is searched), so no block goes to the CPU.
#include "common.cuh"

// MXFP4Scalar.floorLog2f as a table: floorf(log2f(x)) of a positive finite float is its binary exponent k, or
// k + 1 from a threshold on (just below 2^(k+1), where the float log2 rounds up to an integer). WC_LOG2_UP[k + 149]
// is that threshold's bit pattern (0x7FFFFFFF: none), for k = -149 (subnormals) .. 127; generated from
// MXFP4Scalar.floorLog2f by bisection, checked against it for every subnormal and around every normal threshold.
__constant__ u32 WC_LOG2_UP[277] = {
    0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu,
    0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu,
    0x7fffffffu, 0x0003ffffu, 0x0007fffeu, 0x000ffffbu, 0x001ffff5u, 0x003ffff5u, 0x007fffeau, 0x00ffffd4u,
    0x017fffd4u, 0x01ffffd4u, 0x027fffd4u, 0x02ffffd4u, 0x037fffd4u, 0x03ffffd4u, 0x047fffd4u, 0x04ffffd4u,
    0x057fffd4u, 0x05ffffd4u, 0x067fffd4u, 0x06ffffd4u, 0x077fffd4u, 0x07ffffd4u, 0x087fffd4u, 0x08ffffd4u,
    0x097fffd4u, 0x09ffffd4u, 0x0a7fffd4u, 0x0affffd4u, 0x0b7fffd4u, 0x0bffffd4u, 0x0c7fffd4u, 0x0cffffd4u,
    0x0d7fffd4u, 0x0dffffd4u, 0x0e7fffd4u, 0x0effffd4u, 0x0f7fffd4u, 0x0fffffd4u, 0x107fffd4u, 0x10ffffd4u,
    0x117fffd4u, 0x11ffffd4u, 0x127fffd4u, 0x12ffffd4u, 0x137fffd4u, 0x13ffffd4u, 0x147fffd4u, 0x14ffffd4u,
    0x157fffd4u, 0x15ffffd4u, 0x167fffd4u, 0x16ffffd4u, 0x177fffd4u, 0x17ffffd4u, 0x187fffd4u, 0x18ffffd4u,
    0x197fffd4u, 0x19ffffd4u, 0x1a7fffd4u, 0x1affffd4u, 0x1b7fffd4u, 0x1bffffd4u, 0x1c7fffd4u, 0x1cffffd4u,
    0x1d7fffd4u, 0x1dffffd4u, 0x1e7fffd4u, 0x1effffd4u, 0x1f7fffd4u, 0x1fffffeau, 0x207fffeau, 0x20ffffeau,
    0x217fffeau, 0x21ffffeau, 0x227fffeau, 0x22ffffeau, 0x237fffeau, 0x23ffffeau, 0x247fffeau, 0x24ffffeau,
    0x257fffeau, 0x25ffffeau, 0x267fffeau, 0x26ffffeau, 0x277fffeau, 0x27ffffeau, 0x287fffeau, 0x28ffffeau,
    0x297fffeau, 0x29ffffeau, 0x2a7fffeau, 0x2affffeau, 0x2b7fffeau, 0x2bffffeau, 0x2c7fffeau, 0x2cffffeau,
    0x2d7fffeau, 0x2dffffeau, 0x2e7fffeau, 0x2effffeau, 0x2f7fffeau, 0x2ffffff5u, 0x307ffff5u, 0x30fffff5u,
    0x317ffff5u, 0x31fffff5u, 0x327ffff5u, 0x32fffff5u, 0x337ffff5u, 0x33fffff5u, 0x347ffff5u, 0x34fffff5u,
    0x357ffff5u, 0x35fffff5u, 0x367ffff5u, 0x36fffff5u, 0x377ffff5u, 0x37fffffbu, 0x387ffffbu, 0x38fffffbu,
    0x397ffffbu, 0x39fffffbu, 0x3a7ffffbu, 0x3afffffbu, 0x3b7ffffbu, 0x3bfffffeu, 0x3c7ffffeu, 0x3cfffffeu,
    0x3d7ffffeu, 0x3dffffffu, 0x3e7fffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x40ffffffu,
    0x417fffffu, 0x41fffffeu, 0x427ffffeu, 0x42fffffeu, 0x437ffffeu, 0x43fffffbu, 0x447ffffbu, 0x44fffffbu,
    0x457ffffbu, 0x45fffffbu, 0x467ffffbu, 0x46fffffbu, 0x477ffffbu, 0x47fffff5u, 0x487ffff5u, 0x48fffff5u,
    0x497ffff5u, 0x49fffff5u, 0x4a7ffff5u, 0x4afffff5u, 0x4b7ffff5u, 0x4bfffff5u, 0x4c7ffff5u, 0x4cfffff5u,
    0x4d7ffff5u, 0x4dfffff5u, 0x4e7ffff5u, 0x4efffff5u, 0x4f7ffff5u, 0x4fffffeau, 0x507fffeau, 0x50ffffeau,
    0x517fffeau, 0x51ffffeau, 0x527fffeau, 0x52ffffeau, 0x537fffeau, 0x53ffffeau, 0x547fffeau, 0x54ffffeau,
    0x557fffeau, 0x55ffffeau, 0x567fffeau, 0x56ffffeau, 0x577fffeau, 0x57ffffeau, 0x587fffeau, 0x58ffffeau,
    0x597fffeau, 0x59ffffeau, 0x5a7fffeau, 0x5affffeau, 0x5b7fffeau, 0x5bffffeau, 0x5c7fffeau, 0x5cffffeau,
    0x5d7fffeau, 0x5dffffeau, 0x5e7fffeau, 0x5effffeau, 0x5f7fffeau, 0x5fffffd4u, 0x607fffd4u, 0x60ffffd4u,
    0x617fffd4u, 0x61ffffd4u, 0x627fffd4u, 0x62ffffd4u, 0x637fffd4u, 0x63ffffd4u, 0x647fffd4u, 0x64ffffd4u,
    0x657fffd4u, 0x65ffffd4u, 0x667fffd4u, 0x66ffffd4u, 0x677fffd4u, 0x67ffffd4u, 0x687fffd4u, 0x68ffffd4u,
    0x697fffd4u, 0x69ffffd4u, 0x6a7fffd4u, 0x6affffd4u, 0x6b7fffd4u, 0x6bffffd4u, 0x6c7fffd4u, 0x6cffffd4u,
    0x6d7fffd4u, 0x6dffffd4u, 0x6e7fffd4u, 0x6effffd4u, 0x6f7fffd4u, 0x6fffffd4u, 0x707fffd4u, 0x70ffffd4u,
    0x717fffd4u, 0x71ffffd4u, 0x727fffd4u, 0x72ffffd4u, 0x737fffd4u, 0x73ffffd4u, 0x747fffd4u, 0x74ffffd4u,
    0x757fffd4u, 0x75ffffd4u, 0x767fffd4u, 0x76ffffd4u, 0x777fffd4u, 0x77ffffd4u, 0x787fffd4u, 0x78ffffd4u,
    0x797fffd4u, 0x79ffffd4u, 0x7a7fffd4u, 0x7affffd4u, 0x7b7fffd4u, 0x7bffffd4u, 0x7c7fffd4u, 0x7cffffd4u,
    0x7d7fffd4u, 0x7dffffd4u, 0x7e7fffd4u, 0x7effffd4u, 0x7f7fffd4u,
};

// MXFP4Scalar.exponent: the E8M0 byte of a block's amax (0 for 0, +inf and NaN, as the reference and x86 give).
__device__ __forceinline__ int wc_mxfp4_exponent(float amax) {
    if (!(amax > 0.0f) || isinf(amax)) {
        return 0;
    }
    u32 bits = __float_as_uint(amax);
    int e = (int) (bits >> 23);
    int idx = e == 0 ? 31 - __clz((int) bits) : e + 22; // k + 149: k = msb - 149 (subnormal), e - 127 (normal)
    int k = idx - 149 + (bits >= WC_LOG2_UP[idx] ? 1 : 0);
    return (k - 2 + 127) & 0xFF; // the float k - 2 + 127 is exact; toUint8 keeps its low byte
}

// MXFP4Scalar.e8m0Half: 2^(e-128), subnormal for e < 2.
__device__ __forceinline__ float wc_e8m0_half(int e) {
    return __uint_as_float(e < 2 ? 0x00200000u << e : (u32) (e - 1) << 23);
}

// kvalues_mxfp4 (E2M1 doubled: 0 1 2 3 4 6 8 12, bit 3 the sign) without a table.
__device__ __forceinline__ int wc_fp4_kvalue(int q) {
    int m = q & 7;
    int a = m < 2 ? m : (2 | (m & 1)) << ((m >> 1) - 1);
    return (q & 8) != 0 ? -a : a;
}

// MXFP4Scalar.bestIndex(x, d), the first smallest |kvalues[i]·d − x|, searching only the half of the table on
// x's side: k·d is exact, so for x > 0 the codes 9..15 give |−k·d − x| = fl(k·d + x) >= x = the error of code 0
// (never strictly smaller: never chosen; code 8 is 0, a tie with code 0), and for x < 0 code 8 + i has exactly the
// error code i has for |x| (round to nearest is symmetric) while codes 1..7 lose to code 0. ±0, NaN and ±inf give 0.
__device__ __forceinline__ int wc_fp4_best_index(float x, float d) {
    float ax = fabsf(x);
    int best = 0;
    float bestErr = fabsf(0.0f * d - ax);
    for (int i = 1; i < 8; i++) {
        float err = fabsf((float) wc_fp4_kvalue(i) * d - ax);
        if (err < bestErr) {
            best = i;
            bestErr = err;
        }
    }
    return best != 0 && x < 0.0f ? best | 8 : best;
}

// MXFP4Scalar.encodeBlock: { u8 e; u8 qs[16]; }
__device__ void wc_mxfp4_block(const float* x, u8* y) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) {
        float a = fabsf(x[j]);
        if (amax < a) {
            amax = a;
        }
    }
    int e = wc_mxfp4_exponent(amax);
    float d = wc_e8m0_half(e);
    y[0] = (u8) e;
    for (int j = 0; j < 16; ++j) {
        int x0 = wc_fp4_best_index(x[j], d);
        int x1 = wc_fp4_best_index(x[16 + j], d);
        y[1 + j] = (u8) (x0 | (x1 << 4));
    }
}

// MXFP4Scalar.decodeBlock, one element: kvalues[q]·d (d is never NaN, so the GPU's product is the CPU's).
__device__ __forceinline__ float wc_mxfp4_value(const u8* b, int j) {
    float d = wc_e8m0_half(b[0]);
    int q = b[1 + (j & 15)];
    return (float) wc_fp4_kvalue(j < 16 ? q & 0x0F : q >> 4) * d;
}

// NVFP4Scalar.fp32ToUe4m3 (ggml_fp32_to_ue4m3).
__device__ __forceinline__ int wc_fp32_to_ue4m3(float x) {
    if (!(x > 0.0f)) {
        return 0;
    }
    if (x > 448.0f) {
        x = 448.0f;
    }
    u32 bits = __float_as_uint(x);
    int fexp = (int) ((bits >> 23) & 0xFF) - 127;
    int fman = (int) ((bits >> 20) & 0x7);
    int e = fexp + 7;
    if (e <= 0) {
        int man = (int) (x * 512.0f + 0.5f);
        if (man > 7) {
            man = 7;
        }
        if (man < 1) {
            return 0;
        }
        return man;
    }
    if (e >= 15) {
        return 0x7E;
    }
    int m = fman + (int) ((bits >> 19) & 1);
    if (m > 7) {
        m = 0;
        e++;
        if (e >= 15) {
            return 0x7E;
        }
    }
    return (e << 3) | m;
}

// NVFP4Scalar.ue4m3ToFp32 (its table, computed): half the UE4M3 value, 0 for codes 0 and 0x7F; every value is
// exact, so the products below equal the table's scalb steps.
__device__ __forceinline__ float wc_ue4m3_to_f32(int b) {
    b &= 0xFF;
    if (b == 0 || b == 0x7F) {
        return 0.0f;
    }
    int exp = (b >> 3) & 0xF;
    int man = b & 7;
    if (exp == 0) {
        return (float) man * 0.0009765625f; // man·2^-9·0.5
    }
    return (float) (8 + man) * __uint_as_float((u32) (exp - 11 + 127) << 23); // (1 + man/8)·2^(exp-7)·0.5
}

// NVFP4Scalar.encodeBlock: { u8 d[4]; u8 qs[32]; }
__device__ void wc_nvfp4_block(const float* x, u8* y) {
    for (int s = 0; s < 4; s++) {
        const float* xb = x + s * 16;
        float amax = 0.0f;
        for (int j = 0; j < 16; j++) {
            float a = fabsf(xb[j]);
            if (amax < a) {
                amax = a;
            }
        }
        int ue = wc_fp32_to_ue4m3(amax / 6.0f);
        y[s] = (u8) ue;
        float d = wc_ue4m3_to_f32(ue);
        for (int j = 0; j < 8; ++j) {
            int x0 = wc_fp4_best_index(xb[j], d);
            int x1 = wc_fp4_best_index(xb[8 + j], d);
            y[4 + s * 8 + j] = (u8) (x0 | (x1 << 4));
        }
    }
}

// NVFP4Scalar.decodeBlock, one element.
__device__ __forceinline__ float wc_nvfp4_value(const u8* b, int j) {
    int s = j >> 4;
    int r = j & 15;
    float d = wc_ue4m3_to_f32(b[s]);
    int q = b[4 + 8 * s + (r & 7)];
    return (float) wc_fp4_kvalue(r < 8 ? q & 0x0F : q >> 4) * d;
}

#define WC_FP4_KERNELS(name, QKV, BB)                                                                            \
    extern "C" __global__ void __launch_bounds__(WC_ENC_THREADS)                                                 \
    wc_encode_##name(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {                       \
        wc_encode_staged<QKV, BB, WC_ENC_THREADS, wc_##name##_block>(x, y, nblocks);                            \
    }                                                                                                            \
    extern "C" __global__ void wc_decode_##name(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) { \
        wc_decode_elementwise<QKV, BB, wc_##name##_value>(x, y, nblocks);                                        \
    }

WC_FP4_KERNELS(mxfp4, 32, 17)
WC_FP4_KERNELS(nvfp4, 64, 36)
