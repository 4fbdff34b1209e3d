// compressed-tensors' symmetric weight quantization (FP8 float-quantized, int8 naive-quantized, int4/int8
// pack-quantized; per tensor, per channel or per group): a copy of io.weightcast.core.codec.CompressedTensorsQuantizer
// and CompressedTensorsMath, operation for operation. Every torch op runs in the scale dtype sd (the weight's
// original dtype: F32, F16 or BF16), which wc_ct_in models by rounding each fp32 result to sd and back:
//   m     = max |x| over the group (Math.max: NaN wins; any NaN becomes 0x7FC00000)
//   scale = max(in(in(m) / halfRange), 2^-23)          (halfRange: 448 for FP8, 7.5 for int4, 127.5 for int8)
//   v     = in(in(x) / scale)
//   FP8:  e4m3(v)                                       (saturating, RNE, NaN -> 0x7F|sign)
//   int:  q = rint(clamp(v, qmin, qmax)), 0 for NaN     (stored as int8, or packed LSB first as q + 2^(b-1))
// The division follows x86's NaN rules (a NaN x keeps its sign, inf / inf is 0xFFC00000), so codes match the CPU
// for NaN and inf inputs; a NaN group maximum becomes the canonical NaN before the scale is computed (as
// CompressedTensorsMath.scale does), so NaN scales match too and no row has to go back to the CPU.
//
// The per-element math is __host__ __device__ (host bit casts) so that it can be checked against the Java
// reference on a machine without a GPU (nvcc -x cu -fmad=false, host code only).
#include "common.cuh"
#include "portable.cuh"

#define WC_CT_THREADS 256 // threads per CTA; one CTA per row
#define WC_CT_WARPS 8

#define WC_CT_FP8 0    // float-quantized: e4m3 bytes
#define WC_CT_INT8 1   // naive-quantized: int8 bytes
#define WC_CT_PACKED 2 // pack-quantized: int32 words, 32 / bits values each

#define WC_CT_F32 0 // scale dtypes
#define WC_CT_F16 1
#define WC_CT_BF16 2

// CompressedTensorsMath.in: Bf16.toFloat(Bf16.fromFloat(v)), Fp16.toFloat(Fp16.fromFloat(v)), or v.
__host__ __device__ __forceinline__ float wc_ct_in(int sd, float v) {
    u32 bits = wc_hd_bits(v);
    if (sd == WC_CT_BF16) {
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
            return wc_hd_float(((bits >> 16) | 0x40u) << 16);
        }
        return wc_hd_float(((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16) << 16);
    }
    if (sd == WC_CT_F16) {
        if (v != v) {
            return wc_hd_float((bits & 0x80000000u) | 0x7FC00000u); // sign|0x7E00, back with its payload
        }
        return __half2float(__float2half_rn(v));
    }
    return v;
}

// CompressedTensorsMath.scale for a group maximum m (a NaN m is canonical first, whatever its payload).
__host__ __device__ __forceinline__ float wc_ct_scale(int sd, float m, float halfRange) {
    if (m != m) {
        m = wc_hd_float(0x7FC00000u);
    }
    float s = wc_ct_in(sd, wc_hd_div(wc_ct_in(sd, m), halfRange));
    return wc_java_max(s, 1.1920928955078125e-7f); // Math.ulp(1f) = 2^-23
}

// CompressedTensorsMath.quantizeInt with qmax = 2^(bits-1) - 1, qmin = -2^(bits-1).
__host__ __device__ __forceinline__ int wc_ct_int(int sd, float x, float scale, int bits) {
    float v = wc_ct_in(sd, wc_hd_div(wc_ct_in(sd, x), scale));
    float qmax = (float) ((1 << (bits - 1)) - 1);
    v = wc_java_max(-qmax - 1.0f, wc_java_min(qmax, v));
    return v != v ? 0 : (int) rintf(v); // Java's (int) NaN is 0
}

// The stored byte of one value (FP8 or int8).
__host__ __device__ __forceinline__ u32 wc_ct_byte(int kind, int sd, float x, float scale) {
    if (kind == WC_CT_FP8) {
        return wc_hd_f32_to_e4m3(wc_ct_in(sd, wc_hd_div(wc_ct_in(sd, x), scale)));
    }
    return (u32) wc_ct_int(sd, x, scale, 8) & 0xFFu;
}

// Max |x| of n values from p (16-byte aligned when vec), this thread's share: elements i, i + step, ... (vec: groups
// of 4 from 4 * i in steps of 4 * step).
__device__ __forceinline__ float wc_ct_amax(const float* __restrict__ p, int n, int i, int step, bool vec) {
    float m = 0.0f;
    if (vec) {
        for (int j = 4 * i; j < n; j += 4 * step) {
            float4 v = *reinterpret_cast<const float4*>(p + j);
            m = wc_java_max(m, fabsf(v.x));
            m = wc_java_max(m, fabsf(v.y));
            m = wc_java_max(m, fabsf(v.z));
            m = wc_java_max(m, fabsf(v.w));
        }
    } else {
        for (int j = i; j < n; j += step) {
            m = wc_java_max(m, fabsf(p[j]));
        }
    }
    return m;
}

__device__ __forceinline__ float wc_ct_warp_max(float m) {
    for (int d = 16; d > 0; d >>= 1) {
        m = wc_java_max(m, __shfl_xor_sync(0xFFFFFFFFu, m, d));
    }
    return m;
}

// One CTA per row of cols values (a band of gridDim.x rows). Groups are gs values (gs = cols per channel; cols is
// a multiple of gs); groups * 4 bytes of dynamic shared memory hold the row's scales. perTensor: every group uses
// tensorScale and no scale is written; else scales[row * groups + g] gets each group's scale. out holds cols bytes
// per row (FP8, INT8) or ceil(cols * bits / 32) little-endian int32 words (PACKED).
extern "C" __global__ void __launch_bounds__(WC_CT_THREADS)
wc_ct_encode(const float* __restrict__ x, u8* __restrict__ out, float* __restrict__ scales, int cols, int gs,
        int kind, int bits, int sd, float halfRange, int perTensor, float tensorScale) {
    extern __shared__ float s_scale[];
    __shared__ float s_warp[WC_CT_WARPS];
    const int row = blockIdx.x;
    const int groups = cols / gs;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const bool vec = ((cols | gs) & 3) == 0; // rows and groups start 16-byte aligned
    const float* xr = x + (long long) row * cols;
    if (perTensor) {
        for (int g = threadIdx.x; g < groups; g += WC_CT_THREADS) {
            s_scale[g] = tensorScale;
        }
    } else if (groups == 1) {
        // per channel: the whole CTA reduces the row
        float m = wc_ct_warp_max(wc_ct_amax(xr, cols, threadIdx.x, WC_CT_THREADS, vec));
        if (lane == 0) {
            s_warp[warp] = m;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            m = s_warp[0];
            for (int i = 1; i < WC_CT_WARPS; i++) {
                m = wc_java_max(m, s_warp[i]);
            }
            float s = wc_ct_scale(sd, m, halfRange);
            s_scale[0] = s;
            scales[row] = s;
        }
    } else {
        // per group: a warp per group
        for (int g = warp; g < groups; g += WC_CT_WARPS) {
            float m = wc_ct_warp_max(wc_ct_amax(xr + (long long) g * gs, gs, lane, 32, vec));
            if (lane == 0) {
                float s = wc_ct_scale(sd, m, halfRange);
                s_scale[g] = s;
                scales[(long long) row * groups + g] = s;
            }
        }
    }
    __syncthreads(); // publishes s_scale
    if (kind == WC_CT_PACKED) {
        const int per = 32 / bits;
        const int words = (cols * bits + 31) / 32;
        const u32 mask = (1u << bits) - 1u;
        const int bias = 1 << (bits - 1);
        u32* orow = reinterpret_cast<u32*>(out) + (long long) row * words;
        const bool whole = vec && cols % per == 0; // every word's values are two or one aligned float4
        for (int w = threadIdx.x; w < words; w += WC_CT_THREADS) {
            const int j0 = w * per;
            u32 word = 0;
            if (whole) {
                for (int k = 0; k < per; k += 4) {
                    float4 v = *reinterpret_cast<const float4*>(xr + j0 + k);
                    float s = s_scale[(j0 + k) / gs]; // gs is a multiple of 4: one group for the four
                    word |= ((u32) (wc_ct_int(sd, v.x, s, bits) + bias) & mask) << (bits * k);
                    word |= ((u32) (wc_ct_int(sd, v.y, s, bits) + bias) & mask) << (bits * (k + 1));
                    word |= ((u32) (wc_ct_int(sd, v.z, s, bits) + bias) & mask) << (bits * (k + 2));
                    word |= ((u32) (wc_ct_int(sd, v.w, s, bits) + bias) & mask) << (bits * (k + 3));
                }
            } else {
                for (int k = 0; k < per && j0 + k < cols; k++) {
                    int j = j0 + k;
                    word |= ((u32) (wc_ct_int(sd, xr[j], s_scale[j / gs], bits) + bias) & mask) << (bits * k);
                }
            }
            orow[w] = word;
        }
        return;
    }
    u8* orow = out + (long long) row * cols;
    if (vec) {
        for (int j = 4 * threadIdx.x; j < cols; j += 4 * WC_CT_THREADS) {
            float4 v = *reinterpret_cast<const float4*>(xr + j);
            float s = s_scale[j / gs];
            *reinterpret_cast<u32*>(orow + j) = wc_ct_byte(kind, sd, v.x, s) | (wc_ct_byte(kind, sd, v.y, s) << 8)
                    | (wc_ct_byte(kind, sd, v.z, s) << 16) | (wc_ct_byte(kind, sd, v.w, s) << 24);
        }
    } else {
        for (int j = threadIdx.x; j < cols; j += WC_CT_THREADS) {
            orow[j] = (u8) wc_ct_byte(kind, sd, xr[j], s_scale[j / gs]);
        }
    }
}
