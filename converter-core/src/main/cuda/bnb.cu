// bitsandbytes' blockwise 4-bit quantization (NF4, FP4): a copy of io.weightcast.core.codec.Bnb (absmax,
// quantize4, dequantize4, nf4, fp4) that gives the same bytes.
//
// Layout of the work: every thread owns WC_BNB_PER = 8 consecutive elements (two float4 loads, one 32-bit store of
// 4 packed bytes; decode: one 32-bit load, two float4 stores), so a warp moves 1 KiB of f32 in and 128 contiguous
// bytes out. A bnb block of `blocksize` values is covered by blocksize / 8 consecutive threads; a CTA has
// max(WC_BNB_THREADS, blocksize / 8) threads, so it always holds whole bnb blocks. The absmax is a max-reduction
// over those threads (warp shuffles, then shared memory across warps for blocks over 256 values): max is
// order-free, so it equals Bnb.absmax's sequential Math.max exactly; |x| is never -0, and a NaN anywhere makes the
// absmax NaN (written as the canonical 0x7FC00000, which Bnb.absmax stores for a NaN maximum too). 1 / max(absmax,
// 1e-38) is computed once per thread: the same IEEE division
// Bnb.code4 does for every element. The decision trees become branch-free binary searches over their sorted
// thresholds (kept in shared memory): same strict > comparisons, so the same codes, NaN included (code 0).
#include "common.cuh"

#define WC_BNB_THREADS 256 // threads of a CTA (more for blocks over 2048 values: blocksize / 8)
#define WC_BNB_PER 8       // consecutive elements per thread

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

// NaN-propagating max of two values that are >= +0 or NaN (partial absmax values): exact, order-free.
__device__ __forceinline__ float wc_bnb_nmax(float a, float b) {
    if (a != a || b != b) {
        return __uint_as_float(0x7FC00000u);
    }
    return fmaxf(a, b);
}

// The thresholds of Bnb.nf4's decision tree (bnb's dQuantizeNF4), ascending: nf4(x) = #{k : x > T[k]}.
__constant__ float WC_BNB_NF4_T[15] = {
    -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

// The thresholds of Bnb.fp4's tree on |x| (bnb's dQuantizeFP4), ascending; the k-th interval has code
// {0, 1, 6, 7, 4, 5, 2, 3}[k] = k ^ ((k << 1) & 4).
__constant__ float WC_BNB_FP4_T[7] = {
    0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f};

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

// Copies a constant table to shared memory (lanes of one warp look up different entries: shared memory serves
// them in one pass where the constant cache would serialise). Every thread of the CTA must call it.
__device__ __forceinline__ void wc_bnb_stage(float* t, const float* src, int count) {
    if (threadIdx.x < count) {
        t[threadIdx.x] = src[threadIdx.x];
    }
    __syncthreads();
}

// Bnb.code4's tree for a scaled value s = x * (1 / max(absmax, 1e-38)), as a binary search. Bnb.code4 first clamps
// s to [-1, 1]; that never changes a code (beyond +-1 both trees give their end codes already, and a NaN fails
// every comparison either way: code 0), so it is left out here rather than risk a min/max that drops NaN.
__device__ __forceinline__ int wc_bnb_code(int nf4, float s, const float* t) {
    if (nf4) {
        int c = s > t[7] ? 8 : 0;
        c += s > t[c + 3] ? 4 : 0;
        c += s > t[c + 1] ? 2 : 0;
        c += s > t[c] ? 1 : 0;
        return c;
    }
    int sign = s < 0.0f ? 8 : 0;
    float a = fabsf(s);
    int c = a > t[3] ? 4 : 0;
    c += a > t[c + 1] ? 2 : 0;
    c += a > t[c] ? 1 : 0;
    return (c ^ ((c << 1) & 4)) | sign;
}

// The thread's 8 values from element e0 (zeros past n: neutral for the absmax, and never stored).
__device__ __forceinline__ void wc_bnb_load8(const float* __restrict__ x, long long e0, long long n, float* v) {
    if (e0 + WC_BNB_PER <= n) {
        float4 a = *reinterpret_cast<const float4*>(x + e0);
        float4 b = *reinterpret_cast<const float4*>(x + e0 + 4);
        v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w;
        v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
    } else {
        for (int k = 0; k < WC_BNB_PER; k++) {
            v[k] = e0 + k < n ? x[e0 + k] : 0.0f;
        }
    }
}

// Packs the 8 values' codes (scale r) and stores them at out[e0 / 2]: high nibble first; past n nothing is
// stored, and an odd n ends with a zero low nibble (Bnb.quantize4).
__device__ __forceinline__ void wc_bnb_store8(int nf4, const float* v, float r, const float* t, u8* __restrict__ out,
        long long e0, long long n) {
    u32 word = 0;
    for (int j = 0; j < WC_BNB_PER / 2; j++) {
        int hi = wc_bnb_code(nf4, v[2 * j] * r, t);
        int lo = wc_bnb_code(nf4, v[2 * j + 1] * r, t);
        if (e0 + 2 * j + 1 >= n) {
            lo = 0;
        }
        word |= (u32) ((hi << 4) | lo) << (8 * j);
    }
    if (e0 + WC_BNB_PER <= n) {
        *reinterpret_cast<u32*>(out + (e0 >> 1)) = word;
    } else {
        for (int j = 0; j < WC_BNB_PER / 2 && e0 + 2 * j < n; j++) {
            out[(e0 >> 1) + j] = (u8) (word >> (8 * j));
        }
    }
}

// 1 / Math.max(absmax, 1e-38f), as Bnb.code4 computes it (IEEE division: -prec-div=true).
__device__ __forceinline__ float wc_bnb_scale(float absmax) {
    return 1.0f / wc_jmax(absmax, 1e-38f);
}

// Bnb.absmax + Bnb.quantize4 fused over the n values of x (the last bnb block may be partial): writes
// absmax[ceil(n / blocksize)] and the (n + 1) / 2 packed bytes. blocksize: a power of two, 32..4096; launched
// with max(WC_BNB_THREADS, blocksize / 8) threads per CTA and ceil(n / (8 * threads)) CTAs. x and out must be
// 16- and 4-byte aligned (device allocations are).
extern "C" __global__ void wc_bnb4_encode(const float* __restrict__ x, float* __restrict__ absmax,
        u8* __restrict__ out, long long n, int blocksize, int nf4) {
    __shared__ float t[16];
    __shared__ float part[32]; // per-warp maxima, for bnb blocks that span warps
    wc_bnb_stage(t, nf4 ? WC_BNB_NF4_T : WC_BNB_FP4_T, nf4 ? 15 : 7);
    long long e0 = ((long long) blockIdx.x * blockDim.x + threadIdx.x) * WC_BNB_PER;
    float v[WC_BNB_PER];
    wc_bnb_load8(x, e0, n, v);
    // Every thread takes part in the reduction, also those past n (their zeros change nothing).
    float m = 0.0f;
    bool nan = false;
    for (int k = 0; k < WC_BNB_PER; k++) {
        float a = fabsf(v[k]);
        nan |= a != a;
        m = fmaxf(m, a);
    }
    if (nan) {
        m = __uint_as_float(0x7FC00000u);
    }
    int lb = __ffs(blocksize) - 1;      // log2(blocksize): shifts, not 64-bit divisions
    int group = blocksize / WC_BNB_PER; // threads per bnb block
    for (int d = (group < 32 ? group : 32) >> 1; d > 0; d >>= 1) {
        m = wc_bnb_nmax(m, __shfl_xor_sync(0xFFFFFFFFu, m, d));
    }
    if (group > 32) { // uniform over the CTA
        if ((threadIdx.x & 31) == 0) {
            part[threadIdx.x >> 5] = m;
        }
        __syncthreads();
        int warps = group >> 5;
        int w0 = (threadIdx.x >> (lb - 3)) * warps;
        m = part[w0];
        for (int w = 1; w < warps; w++) {
            m = wc_bnb_nmax(m, part[w0 + w]);
        }
    }
    if (e0 >= n) {
        return;
    }
    if ((threadIdx.x & (group - 1)) == 0) {
        absmax[e0 >> lb] = m;
    }
    wc_bnb_store8(nf4, v, wc_bnb_scale(m), t, out, e0, n);
}

// Bnb.quantize4 with a given absmax vector (one entry per bnb block), same launch shape as wc_bnb4_encode.
extern "C" __global__ void wc_bnb4_quantize(const float* __restrict__ x, const float* __restrict__ absmax,
        u8* __restrict__ out, long long n, int blocksize, int nf4) {
    __shared__ float t[16];
    wc_bnb_stage(t, nf4 ? WC_BNB_NF4_T : WC_BNB_FP4_T, nf4 ? 15 : 7);
    long long e0 = ((long long) blockIdx.x * blockDim.x + threadIdx.x) * WC_BNB_PER;
    if (e0 >= n) {
        return;
    }
    float v[WC_BNB_PER];
    wc_bnb_load8(x, e0, n, v);
    wc_bnb_store8(nf4, v, wc_bnb_scale(absmax[e0 >> (__ffs(blocksize) - 1)]), t, out, e0, n);
}

// Bnb.dequantize4 of elements [0, n) with the NF4 or FP4 table: quant_map[q] * absmax[i / blocksize]; same launch
// shape (8 elements per thread: one 32-bit load, two float4 stores). packed 4-byte, y 16-byte aligned.
extern "C" __global__ void wc_bnb4_decode(const u8* __restrict__ packed, const float* __restrict__ absmax,
        float* __restrict__ y, long long n, int blocksize, int nf4) {
    __shared__ float t[16];
    wc_bnb_stage(t, nf4 ? WC_BNB_NF4 : WC_BNB_FP4, 16);
    long long e0 = ((long long) blockIdx.x * blockDim.x + threadIdx.x) * WC_BNB_PER;
    if (e0 >= n) {
        return;
    }
    float a = absmax[e0 >> (__ffs(blocksize) - 1)];
    bool whole = e0 + WC_BNB_PER <= n;
    u32 word = 0;
    if (whole) {
        word = *reinterpret_cast<const u32*>(packed + (e0 >> 1));
    } else {
        for (int j = 0; 2 * j < n - e0; j++) {
            word |= (u32) packed[(e0 >> 1) + j] << (8 * j);
        }
    }
    float v[WC_BNB_PER];
    for (int j = 0; j < WC_BNB_PER / 2; j++) {
        u32 b = (word >> (8 * j)) & 0xFFu;
        v[2 * j] = t[b >> 4] * a;
        v[2 * j + 1] = t[b & 0xFu] * a;
    }
    if (whole) {
        *reinterpret_cast<float4*>(y + e0) = make_float4(v[0], v[1], v[2], v[3]);
        *reinterpret_cast<float4*>(y + e0 + 4) = make_float4(v[4], v[5], v[6], v[7]);
    } else {
        for (int k = 0; e0 + k < n; k++) {
            y[e0 + k] = v[k];
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// LLM.int8 (Bnb.int8Row): each value is first rounded to float16 and back (common.cuh's Fp16 twins), SCB is the
// row's max |w16| (a max-reduction, exact: a NaN anywhere gives NaN, and after the float16 round trip every NaN
// is +-0x7FC00000, so |NaN| is exactly the canonical NaN written here, as on the CPU), then
// code = clamp(rint(w16 * ((1 / SCB) * 127)), -127, 127) with NaN -> 0 (Java's (int) NaN), 0 for an all-zero row.
#define WC_BNB8_WARPS 8 // rows (one warp each) per CTA

__device__ __forceinline__ float wc_bnb8_f16(float x) {
    return wc_f16_to_f32(wc_f32_to_f16(x));
}

// One warp per row of `cols` values: coalesced loads in two passes (the second from cache), byte stores.
extern "C" __global__ void wc_bnb8_encode(const float* __restrict__ x, float* __restrict__ scb,
        u8* __restrict__ out, long long rows, int cols) {
    long long row = (long long) blockIdx.x * WC_BNB8_WARPS + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= rows) { // the whole warp: row is uniform over it
        return;
    }
    const float* xr = x + row * cols;
    float m = 0.0f;
    bool nan = false;
    for (int i = lane; i < cols; i += 32) {
        float a = fabsf(wc_bnb8_f16(xr[i]));
        nan |= a != a;
        m = fmaxf(m, a);
    }
    if (nan) {
        m = __uint_as_float(0x7FC00000u);
    }
    for (int d = 16; d > 0; d >>= 1) {
        m = wc_bnb_nmax(m, __shfl_xor_sync(0xFFFFFFFFu, m, d));
    }
    if (lane == 0) {
        scb[row] = m;
    }
    float factor = m == 0.0f ? 0.0f : (1.0f / m) * 127.0f;
    u8* o = out + row * cols;
    for (int i = lane; i < cols; i += 32) {
        float v = rintf(wc_bnb8_f16(xr[i]) * factor);
        int q = v != v ? 0 : v > 127.0f ? 127 : v < -127.0f ? -127 : (int) v;
        o[i] = (u8) q;
    }
}
