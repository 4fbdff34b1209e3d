// Decoders of the Hugging Face pre-quantized layouts (the CPU ElementSource of BnbReader, Fp8BlockReader and
// CompressedTensorsReader, operation for operation): one thread per output element, y[k] = value of element
// first + k. Java (CudaHfDecode, HfDecode) uploads the main bytes and the two float vectors a and b of one piece
// starting at the index the piece's first element needs (derived from `first` below, in the same way as
// HfDecode.piece), so that a piece of a huge weight moves only its own scales.
//
// Every kernel has the signature (in, a, b, y, nan, first, n, p0..p5); the p's are documented per kernel.
// NaN: the GPU writes the canonical NaN where x86 keeps an operand's payload (or writes 0xFFC00000 for 0 * inf),
// so a kernel that produces any NaN sets *nan = 1 and the host decodes every NaN element again on the CPU; the
// other values are exact IEEE products (no FMA: -fmad=false) of the same operands, so their bits are the CPU's.
//
// The per-element math is __host__ __device__ (host bit casts) so that it can be checked against the Java
// reference on a machine without a GPU (nvcc -x cu -fmad=false, host code only).
#include "common.cuh"
#include "portable.cuh"

#define WC_HFD_THREADS 256 // threads per CTA, one element each

// Bnb.dequantize4: quantMap[code] * absmax[e / blocksize]; the high nibble is the even element.
// in: packed bytes from byte first / 2; a: absmax from block first / blocksize; b: the 16 quant_map values.
// p0 = blocksize.
__host__ __device__ __forceinline__ float wc_hfd_bnb4_at(const u8* in, const float* a, const float* b,
        long long first, long long e, long long bs) {
    u32 byte = in[(e >> 1) - (first >> 1)];
    u32 q = (e & 1) == 0 ? byte >> 4 : byte & 0xFu;
    return b[q] * a[e / bs - first / bs];
}

// BnbReader's LLM.int8: w * SCB[row] * Bnb.INV_127, left to right.
// in: int8 weights from element first; a: SCB from row first / cols. p0 = cols, p1 = the bits of INV_127.
__host__ __device__ __forceinline__ float wc_hfd_int8_at(const u8* in, const float* a, long long first, long long e,
        long long cols, float inv127) {
    float w = (float) (signed char) in[e - first];
    return w * a[e / cols - first / cols] * inv127;
}

// Fp8BlockQuantizer.dequantize: e4m3(q) * scale[tile], the tile index as Java computes it (3-D experts included).
// in: e4m3 bytes from element first; a: the scales (as f32) from the first tile of first's row of tiles.
// p0 = rows (of one matrix), p1 = cols, p2 = blockM, p3 = blockN.
__host__ __device__ __forceinline__ long long wc_hfd_tile_row(long long row, long long rows, long long blockM,
        long long tileRows) {
    long long matrix = row / rows;
    return matrix * tileRows + (row - matrix * rows) / blockM;
}

__host__ __device__ __forceinline__ float wc_hfd_fp8_block_at(const u8* in, const float* a, long long first,
        long long e, long long rows, long long cols, long long bm, long long bn) {
    long long tilesPerRow = (cols + bn - 1) / bn;
    long long tileRows = (rows + bm - 1) / bm;
    long long row = e / cols;
    long long col = e - row * cols;
    long long s = wc_hfd_tile_row(row, rows, bm, tileRows) * tilesPerRow + col / bn;
    long long s0 = wc_hfd_tile_row(first / cols, rows, bm, tileRows) * tilesPerRow;
    return wc_hd_e4m3_to_f32(in[e - first]) * a[s - s0];
}

// CompressedTensorsReader, pack-quantized: CompressedTensorsMath.unpack(word, c % per, bits) * s[r * groups + c / gs].
// in: little-endian int32 words from the word of element first; a: scales from first's row (r0 * groups).
// p0 = cols, p1 = words per row, p2 = bits, p3 = groups, p4 = gs (a single scale: groups 0, gs LLONG_MAX).
__host__ __device__ __forceinline__ float wc_hfd_ct_packed_at(const u8* in, const float* a, long long first,
        long long e, long long cols, long long words, int bits, long long groups, long long gs) {
    long long per = 32 / bits;
    long long r0 = first / cols;
    long long w0 = r0 * words + (first - r0 * cols) / per;
    long long r = e / cols;
    long long c = e - r * cols;
    const u8* p = in + 4 * (r * words + c / per - w0);
    u32 word = (u32) p[0] | ((u32) p[1] << 8) | ((u32) p[2] << 16) | ((u32) p[3] << 24);
    u32 mask = (1u << bits) - 1u;
    int q = (int) ((word >> (bits * (int) (c % per))) & mask) - (1 << (bits - 1));
    return (float) q * a[r * groups + c / gs - r0 * groups];
}

// CompressedTensorsReader, int8 or FP8 weight: (q - z) * s[si], si = r * groups + c / gs, z = 0 without a zero
// point, z[0] for a single one, else z[si].
// in: bytes from element first; a: scales from first's row; b: zero points from the same index (zMode 2).
// p0 = cols, p1 = groups, p2 = gs (single scale: 0, LLONG_MAX), p3 = 1 for FP8, p4 = zMode (0 none, 1 one, 2 per si).
__host__ __device__ __forceinline__ float wc_hfd_ct_plain_at(const u8* in, const float* a, const float* b,
        long long first, long long e, long long cols, long long groups, long long gs, int fp8, int zMode) {
    long long r = e / cols;
    long long si = r * groups + (e - r * cols) / gs - (first / cols) * groups;
    u32 byte = in[e - first];
    float q = fp8 ? wc_hd_e4m3_to_f32(byte) : (float) (signed char) byte;
    float z = zMode == 0 ? 0.0f : zMode == 1 ? b[0] : b[si];
    return (q - z) * a[si];
}

#define WC_HFD_KERNEL(name, expr)                                                                                  \
    extern "C" __global__ void name(const u8* __restrict__ in, const float* __restrict__ a,                         \
            const float* __restrict__ b, float* __restrict__ y, int* __restrict__ nan, long long first, long long n, \
            long long p0, long long p1, long long p2, long long p3, long long p4, long long p5) {                   \
        long long k = (long long) blockIdx.x * blockDim.x + threadIdx.x;                                           \
        if (k >= n) {                                                                                              \
            return;                                                                                                \
        }                                                                                                          \
        long long e = first + k;                                                                                   \
        float v = (expr);                                                                                          \
        y[k] = v;                                                                                                  \
        if (v != v) {                                                                                              \
            *nan = 1;                                                                                              \
        }                                                                                                          \
    }

WC_HFD_KERNEL(wc_hfd_bnb4, wc_hfd_bnb4_at(in, a, b, first, e, p0))
WC_HFD_KERNEL(wc_hfd_int8, wc_hfd_int8_at(in, a, first, e, p0, wc_hd_float((u32) p1)))
WC_HFD_KERNEL(wc_hfd_fp8_block, wc_hfd_fp8_block_at(in, a, first, e, p0, p1, p2, p3))
WC_HFD_KERNEL(wc_hfd_ct_packed, wc_hfd_ct_packed_at(in, a, first, e, p0, p1, (int) p2, p3, p4))
WC_HFD_KERNEL(wc_hfd_ct_plain, wc_hfd_ct_plain_at(in, a, b, first, e, p0, p1, p2, (int) p3, (int) p4))
