// transformers' fine-grained FP8 (FineGrainedFP8Config, DeepSeek-V3 style): a copy of
// io.weightcast.core.codec.Fp8BlockQuantizer.quantizeBand, operation for operation. Per blockM x blockN tile:
//   x     = e4m3(w) decoded back (TRANSFORMERS mode only), else w
//   m     = max |x| over the tile (Math.max: NaN wins; Math.abs clears the sign, so there is no -0 to order)
//   scale = m > 0 ? fl(fl(1 / m) * 448) : 1          (a NaN m fails "m > 0": scale 1, whatever its payload)
//   inv   = fl(1 / scale)                              (weight_scale_inv)
//   q     = e4m3(x * scale)                            (saturating, RNE; NaN -> 0x7F|sign)
// x * scale follows x86's NaN rules (wc_hd_mul): inf * 0 and 0 * inf give 0xFFC00000, whose sign bit makes the
// code 0xFF, and a NaN x keeps its sign; so every byte matches the CPU, NaN and inf tiles included, and no tile has
// to go back to the CPU. The max reduction is order-free for the same reasons.
//
// The per-element math is __host__ __device__ (with host bit casts) so that it can be checked against the Java
// reference on a machine without a GPU (nvcc -x cu -fmad=false, host code only).
#include "common.cuh"
#include "portable.cuh"

#define WC_FP8B_THREADS 256 // threads per CTA; one CTA per tile
#define WC_FP8B_WARPS 8

// The value a weight contributes: in TRANSFORMERS mode rounded to e4m3 first (the loader's cast).
__host__ __device__ __forceinline__ float wc_fp8b_value(float w, int transformers) {
    return transformers ? wc_hd_e4m3_to_f32(wc_hd_f32_to_e4m3(w)) : w;
}

// (1f / m) * Fp8.E4M3_MAX, or 1 unless m > 0.
__host__ __device__ __forceinline__ float wc_fp8b_scale(float m) {
    return m > 0.0f ? (1.0f / m) * 448.0f : 1.0f;
}

__host__ __device__ __forceinline__ u32 wc_fp8b_code(float w, float scale, int transformers) {
    return wc_hd_f32_to_e4m3(wc_hd_mul(wc_fp8b_value(w, transformers), scale));
}

// One CTA per tile of a band of rows x cols row-major f32 values; tiles are blockM x blockN, the last row and
// column of tiles may be partial. Writes rows * cols e4m3 bytes to q and one inverse scale per tile to
// inv[tileRow * ceil(cols / blockN) + tileCol]. Each warp walks rows of the tile; with cols and blockN multiples of
// 4 a lane moves 4 values at a time (16-byte loads, 4-byte stores; the band starts 16-byte aligned). The tile is
// read twice (amax, then codes); the second read mostly hits L2.
extern "C" __global__ void __launch_bounds__(WC_FP8B_THREADS)
wc_fp8_block_encode(const float* __restrict__ x, u8* __restrict__ q, float* __restrict__ inv, int rows, int cols,
        int blockM, int blockN, int transformers) {
    const int tilesPerRow = (cols + blockN - 1) / blockN;
    const int tile = blockIdx.x;
    const int r0 = (tile / tilesPerRow) * blockM;
    const int c0 = (tile % tilesPerRow) * blockN;
    const int h = rows - r0 < blockM ? rows - r0 : blockM;
    const int w = cols - c0 < blockN ? cols - c0 : blockN;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const bool vec = ((cols | blockN) & 3) == 0;
    float m = 0.0f;
    for (int r = warp; r < h; r += WC_FP8B_WARPS) {
        const float* xr = x + (long long) (r0 + r) * cols + c0;
        if (vec) {
            for (int c = 4 * lane; c < w; c += 128) {
                float4 v = *reinterpret_cast<const float4*>(xr + c);
                m = wc_java_max(m, fabsf(wc_fp8b_value(v.x, transformers)));
                m = wc_java_max(m, fabsf(wc_fp8b_value(v.y, transformers)));
                m = wc_java_max(m, fabsf(wc_fp8b_value(v.z, transformers)));
                m = wc_java_max(m, fabsf(wc_fp8b_value(v.w, transformers)));
            }
        } else {
            for (int c = lane; c < w; c += 32) {
                m = wc_java_max(m, fabsf(wc_fp8b_value(xr[c], transformers)));
            }
        }
    }
    for (int d = 16; d > 0; d >>= 1) {
        m = wc_java_max(m, __shfl_xor_sync(0xFFFFFFFFu, m, d));
    }
    __shared__ float wm[WC_FP8B_WARPS];
    if (lane == 0) {
        wm[warp] = m;
    }
    __syncthreads();
    m = wm[0];
    for (int i = 1; i < WC_FP8B_WARPS; i++) {
        m = wc_java_max(m, wm[i]);
    }
    const float scale = wc_fp8b_scale(m);
    if (threadIdx.x == 0) {
        inv[tile] = 1.0f / scale;
    }
    for (int r = warp; r < h; r += WC_FP8B_WARPS) {
        const long long at = (long long) (r0 + r) * cols + c0;
        const float* xr = x + at;
        u8* qr = q + at;
        if (vec) {
            for (int c = 4 * lane; c < w; c += 128) {
                float4 v = *reinterpret_cast<const float4*>(xr + c);
                *reinterpret_cast<u32*>(qr + c) = wc_fp8b_code(v.x, scale, transformers)
                        | (wc_fp8b_code(v.y, scale, transformers) << 8)
                        | (wc_fp8b_code(v.z, scale, transformers) << 16)
                        | (wc_fp8b_code(v.w, scale, transformers) << 24);
            }
        } else {
            for (int c = lane; c < w; c += 32) {
                qr[c] = (u8) wc_fp8b_code(xr[c], scale, transformers);
            }
        }
    }
}
