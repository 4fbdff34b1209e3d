// ggml's legacy block types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the activation type Q8_1 (32 values a block). Each device function is a line by
// line copy of the scalar Java reference in io.weightcast.core.codec.scalar (itself a copy of ggml's
// quantize_row_*_ref / dequantize_row_*): sequential loops in index order, the same divisions and roundings.
#include "common.cuh"

#define QK 32

// Q8_0Scalar.encodeBlock: { half d; int8 qs[32]; }
__device__ void wc_q8_0_block(const float* x, u8* y) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) {
        float v = fabsf(x[j]);
        amax = amax > v ? amax : v;
    }
    float d = amax / 127.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    for (int j = 0; j < QK; j++) {
        float x0 = x[j] * id;
        y[2 + j] = (u8) wc_to_int8(wc_roundf(x0));
    }
}

// Q4_0Scalar.encodeBlock: { half d; u8 qs[16]; }
__device__ void wc_q4_0_block(const float* x, u8* y) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < QK; j++) {
        float v = x[j];
        if (amax < fabsf(v)) {
            amax = fabsf(v);
            max = v;
        }
    }
    float d = max / -8.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    for (int j = 0; j < QK / 2; j++) {
        float x0 = x[j] * id;
        float x1 = x[QK / 2 + j] * id;
        int xi0 = min(15, wc_to_int8(x0 + 8.5f)) & 0xFF;
        int xi1 = min(15, wc_to_int8(x1 + 8.5f)) & 0xFF;
        y[2 + j] = (u8) (xi0 | (xi1 << 4));
    }
}

// Q4_1Scalar.encodeBlock: { half d; half m; u8 qs[16]; }
__device__ void wc_q4_1_block(const float* x, u8* y) {
    float min = 3.40282347e+38f;
    float max = -3.40282347e+38f;
    for (int j = 0; j < QK; j++) {
        float v = x[j];
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }
    float d = (max - min) / 15.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    wc_put_u16(y + 2, wc_f32_to_f16(min));
    for (int j = 0; j < QK / 2; j++) {
        float x0 = (x[j] - min) * id;
        float x1 = (x[QK / 2 + j] - min) * id;
        int xi0 = ::min(15, wc_to_int8(x0 + 0.5f)) & 0xFF;
        int xi1 = ::min(15, wc_to_int8(x1 + 0.5f)) & 0xFF;
        y[4 + j] = (u8) (xi0 | (xi1 << 4));
    }
}

// Q5_0Scalar.encodeBlock: { half d; u8 qh[4]; u8 qs[16]; }
__device__ void wc_q5_0_block(const float* x, u8* y) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < QK; j++) {
        float v = x[j];
        if (amax < fabsf(v)) {
            amax = fabsf(v);
            max = v;
        }
    }
    float d = max / -16.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    u32 qh = 0;
    for (int j = 0; j < QK / 2; j++) {
        float x0 = x[j] * id;
        float x1 = x[QK / 2 + j] * id;
        int xi0 = min(31, wc_to_int8(x0 + 16.5f)) & 0xFF;
        int xi1 = min(31, wc_to_int8(x1 + 16.5f)) & 0xFF;
        y[6 + j] = (u8) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
        qh |= ((u32) (xi0 & 0x10) >> 4) << j;
        qh |= ((u32) (xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    wc_put_u32(y + 2, qh);
}

// Q5_1Scalar.encodeBlock: { half d; half m; u8 qh[4]; u8 qs[16]; }
__device__ void wc_q5_1_block(const float* x, u8* y) {
    float min = 3.40282347e+38f;
    float max = -3.40282347e+38f;
    for (int j = 0; j < QK; j++) {
        float v = x[j];
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }
    float d = (max - min) / 31.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    wc_put_u16(y + 2, wc_f32_to_f16(min));
    u32 qh = 0;
    for (int j = 0; j < QK / 2; j++) {
        float x0 = (x[j] - min) * id;
        float x1 = (x[QK / 2 + j] - min) * id;
        int xi0 = wc_to_uint8(x0 + 0.5f);
        int xi1 = wc_to_uint8(x1 + 0.5f);
        y[8 + j] = (u8) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
        qh |= ((u32) (xi0 & 0x10) >> 4) << j;
        qh |= ((u32) (xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    wc_put_u32(y + 4, qh);
}

// Q8_1Scalar.encodeBlock: { half d; half s; int8 qs[32]; }, Q8_0 plus s = fp16(d·Σqs). wc_mul gives x86's NaN
// where Σqs·d is 0·inf (an inf amax), whose sign the fp16 keeps.
__device__ void wc_q8_1_block(const float* x, u8* y) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) {
        float v = fabsf(x[j]);
        amax = amax > v ? amax : v;
    }
    float d = amax / 127.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    wc_put_u16(y, wc_f32_to_f16(d));
    int sum = 0;
    for (int j = 0; j < QK; j++) {
        int q = wc_to_int8(wc_roundf(x[j] * id));
        y[4 + j] = (u8) q;
        sum += q;
    }
    wc_put_u16(y + 2, wc_f32_to_f16(wc_mul((float) sum, d)));
}

// Decoders of one element j of a block (the scalar decodeBlock, one output at a time). wc_mul/wc_add give x86's
// NaN bits where a scale is NaN or inf (0 * inf), as the scalar code does on the CPU.
__device__ __forceinline__ float wc_q8_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    return wc_mul((float) (int) (signed char) b[2 + j], d);
}

__device__ __forceinline__ float wc_q4_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    int q = b[2 + (j & 15)];
    int v = (j < 16 ? (q & 0x0F) : (q >> 4)) - 8;
    return wc_mul((float) v, d);
}

__device__ __forceinline__ float wc_q4_1_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    float m = wc_f16_to_f32(wc_get_u16(b + 2));
    int q = b[4 + (j & 15)];
    int v = j < 16 ? (q & 0x0F) : (q >> 4);
    return wc_add(wc_mul((float) v, d), m);
}

__device__ __forceinline__ float wc_q5_0_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    u32 qh = wc_get_u32(b + 2);
    int q = b[6 + (j & 15)];
    int lo = j < 16 ? (q & 0x0F) : (q >> 4);
    int v = (lo | (int) (((qh >> j) & 1u) << 4)) - 16;
    return wc_mul((float) v, d);
}

__device__ __forceinline__ float wc_q5_1_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    float m = wc_f16_to_f32(wc_get_u16(b + 2));
    u32 qh = wc_get_u32(b + 4);
    int q = b[8 + (j & 15)];
    int lo = j < 16 ? (q & 0x0F) : (q >> 4);
    int v = lo | (int) (((qh >> j) & 1u) << 4);
    return wc_add(wc_mul((float) v, d), m);
}

__device__ __forceinline__ float wc_q8_1_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    return wc_mul((float) (int) (signed char) b[4 + j], d);
}

#define WC_BLOCK_KERNELS(name, BB)                                                                               \
    extern "C" __global__ void __launch_bounds__(WC_ENC_THREADS)                                                 \
    wc_encode_##name(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {                       \
        wc_encode_staged<QK, BB, WC_ENC_THREADS, wc_##name##_block>(x, y, nblocks);                             \
    }                                                                                                            \
    extern "C" __global__ void wc_decode_##name(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) { \
        wc_decode_elementwise<QK, BB, wc_##name##_value>(x, y, nblocks);                                         \
    }

WC_BLOCK_KERNELS(q8_0, 34)
WC_BLOCK_KERNELS(q4_0, 18)
WC_BLOCK_KERNELS(q4_1, 20)
WC_BLOCK_KERNELS(q5_0, 22)
WC_BLOCK_KERNELS(q5_1, 24)
WC_BLOCK_KERNELS(q8_1, 36)
