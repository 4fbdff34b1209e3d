// ggml's k-quants Q6_K and Q3_K (256 values a super-block), with and without an importance matrix: line by line
// copies of io.weightcast.core.codec.scalar.{KQuantSymmetric, Q6_KScalar, Q3_KScalar}. One thread per
// super-block (staged in shared memory), sequential sums in index order as the Java code.
#include "common.cuh"

#define GROUP_MAX_EPS 1e-15f

// KQuantSymmetric.makeQxQuants; L receives l + nmax.
__device__ float wc_make_qx_quants(int n, int nmax, const float* x, signed char* L, const float* qw, bool* cpu) {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i) {
            L[i] = 0;
        }
        return 0.0f;
    }
    float iscale = (float) -nmax / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        float xi = x[i];
        int l = ::max(-nmax, ::min(nmax - 1, wc_nearest_int_bits(iscale * xi, cpu)));
        L[i] = (signed char) (l + nmax);
        float w = qw != nullptr ? qw[i] : xi * xi;
        sumlx += w * xi * (float) l;
        suml2 += w * (float) l * (float) l;
    }
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) {
            continue;
        }
        iscale = -((float) nmax + 0.1f * (float) is) / max;
        sumlx = 0;
        suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[i];
            int l = ::max(-nmax, ::min(nmax - 1, wc_nearest_int_bits(iscale * xi, cpu)));
            float w = qw != nullptr ? qw[i] : xi * xi;
            sumlx += w * xi * (float) l;
            suml2 += w * (float) l * (float) l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = wc_nearest_int_bits(iscale * x[i], cpu);
                L[i] = (signed char) (nmax + ::max(-nmax, ::min(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// KQuantSymmetric.makeQ3Quants; L receives l + nmax.
__device__ float wc_make_q3_quants(int n, int nmax, const float* x, signed char* L, bool* cpu) {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i) {
            L[i] = 0;
        }
        return 0.0f;
    }
    float iscale = (float) -nmax / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        float xi = x[i];
        int l = ::max(-nmax, ::min(nmax - 1, wc_nearest_int_bits(iscale * xi, cpu)));
        L[i] = (signed char) l;
        float w = xi * xi;
        sumlx += w * xi * (float) l;
        suml2 += w * (float) l * (float) l;
    }
    for (int itry = 0; itry < 5; ++itry) {
        int nChanged = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[i];
            float w = xi * xi;
            int li = L[i];
            float slx = sumlx - w * xi * (float) li;
            if (slx > 0) {
                float sl2 = suml2 - w * (float) li * (float) li;
                int newL = ::max(-nmax, ::min(nmax - 1, wc_nearest_int_bits(xi * sl2 / slx, cpu)));
                if (newL != li) {
                    slx += w * xi * (float) newL;
                    sl2 += w * (float) newL * (float) newL;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (signed char) newL;
                        sumlx = slx;
                        suml2 = sl2;
                        ++nChanged;
                    }
                }
            }
        }
        if (nChanged == 0) {
            break;
        }
    }
    for (int i = 0; i < n; ++i) {
        L[i] = (signed char) (L[i] + nmax);
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Q6_KScalar.encodeBlock + finish + pack: { u8 ql[128]; u8 qh[64]; int8 scales[16]; half d; }
__device__ void wc_q6_k_block(const float* x, u8* out, const float* qw, bool* cpu) {
    signed char L[256];
    float scales[16];
    for (int ib = 0; ib < 16; ++ib) {
        scales[ib] = wc_make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, qw == nullptr ? nullptr : qw + 16 * ib, cpu);
    }
    float maxScale = 0;
    float maxAbsScale = 0;
    for (int ib = 0; ib < 16; ++ib) {
        float a = fabsf(scales[ib]);
        if (a > maxAbsScale) {
            maxAbsScale = a;
            maxScale = scales[ib];
        }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
        for (int i = 0; i < 210; ++i) {
            out[i] = 0;
        }
        return;
    }
    float iscale = -128.0f / maxScale;
    u16 dh = wc_f32_to_f16(1.0f / iscale);
    wc_put_u16(out + 208, dh);
    float dAll = wc_f16_to_f32(dh);
    for (int ib = 0; ib < 16; ++ib) {
        out[192 + ib] = (u8) (signed char) ::min(127, wc_nearest_int_bits(iscale * scales[ib], cpu));
    }
    for (int j = 0; j < 16; ++j) {
        float d = dAll * (float) (signed char) out[192 + j];
        if (d == 0) {
            continue;
        }
        for (int ii = 0; ii < 16; ++ii) {
            int l = wc_nearest_int_bits(x[16 * j + ii] / d, cpu);
            L[16 * j + ii] = (signed char) (::max(-32, ::min(31, l)) + 32);
        }
    }
    for (int h = 0; h < 2; ++h) {
        int j = 128 * h;
        int ql = 64 * h;
        int qh = 128 + 32 * h;
        for (int l = 0; l < 32; ++l) {
            int a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
            out[ql + l] = (u8) ((a & 0xF) | ((c & 0xF) << 4));
            out[ql + l + 32] = (u8) ((b & 0xF) | ((e & 0xF) << 4));
            out[qh + l] = (u8) ((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
        }
    }
}

__device__ __forceinline__ float wc_q6_k_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b + 208));
    int h = j >> 7;
    int r = j & 127;
    int quarter = r >> 5;
    int l = r & 31;
    int is = l >> 4;
    int lo = b[64 * h + l], hi = b[64 * h + l + 32], hb = b[128 + 32 * h + l];
    int q;
    switch (quarter) {
        case 0: q = ((lo & 0xF) | ((hb & 3) << 4)) - 32; break;
        case 1: q = ((hi & 0xF) | (((hb >> 2) & 3) << 4)) - 32; break;
        case 2: q = ((lo >> 4) | (((hb >> 4) & 3) << 4)) - 32; break;
        default: q = ((hi >> 4) | (((hb >> 6) & 3) << 4)) - 32; break;
    }
    float sc = (float) (signed char) b[192 + 8 * h + is + 2 * quarter];
    return wc_mul(wc_mul(d, sc), (float) q);
}

// Q3_KScalar: { u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d; }
__device__ __forceinline__ void wc_q3_pack_scale(u8* out, int j, int l) {
    if (j < 8) {
        out[96 + j] = (u8) (l & 0xF);
    } else {
        out[96 + j - 8] |= (u8) ((l & 0xF) << 4);
    }
    l >>= 4;
    out[96 + 8 + j % 4] |= (u8) (l << (2 * (j / 4)));
}

__device__ __forceinline__ int wc_q3_scale(const u8* b, int j) {
    int low = j < 8 ? b[96 + j] & 0xF : b[96 + j - 8] >> 4;
    return low | ((b[96 + 8 + j % 4] >> (2 * (j / 4))) & 3) << 4;
}

__device__ void wc_q3_requant_and_pack(const float* x, signed char* L, u16 dh, u8* out, bool* cpu) {
    wc_put_u16(out + 108, dh);
    float dAll = wc_f16_to_f32(dh);
    for (int j = 0; j < 16; ++j) {
        int sc = (int) (signed char) (wc_q3_scale(out, j) - 32);
        float d = dAll * (float) sc;
        if (d == 0) {
            continue;
        }
        for (int ii = 0; ii < 16; ++ii) {
            int l = wc_nearest_int_bits(x[16 * j + ii] / d, cpu);
            L[16 * j + ii] = (signed char) (::max(-4, ::min(3, l)) + 4);
        }
    }
    for (int j = 0; j < 256; ++j) {
        int l = L[j];
        if (l > 3) {
            out[j % 32] |= (u8) (1 << (j / 32));
            l -= 4;
        }
        L[j] = (signed char) l;
    }
    for (int h = 0; h < 2; ++h) {
        int j = 128 * h;
        for (int l = 0; l < 32; ++l) {
            out[32 + 32 * h + l] = (u8) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        }
    }
}

__device__ void wc_q3_k_block(const float* x, u8* out, const float* qw, bool* cpu) {
    signed char L[256];
    float scales[16];
    for (int i = 0; i < 110; ++i) {
        out[i] = 0;
    }
    if (qw == nullptr) {
        for (int j = 0; j < 16; ++j) {
            scales[j] = wc_make_q3_quants(16, 4, x + 16 * j, L + 16 * j, cpu);
        }
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; ++j) {
            float scale = fabsf(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        u16 dh;
        if (maxScale != 0) {
            float iscale = -32.0f / maxScale;
            for (int j = 0; j < 16; ++j) {
                int l = (int) (signed char) wc_nearest_int_bits(iscale * scales[j], cpu);
                wc_q3_pack_scale(out, j, ::max(-32, ::min(31, l)) + 32);
            }
            dh = wc_f32_to_f16(1.0f / iscale);
        } else {
            dh = wc_f32_to_f16(0.0f);
        }
        wc_q3_requant_and_pack(x, L, dh, out, cpu);
    } else {
        float weight[256];
        float sw[16];
        signed char ls[16];
        float sumx2 = 0;
        for (int j = 0; j < 256; ++j) {
            sumx2 += x[j] * x[j];
        }
        float sigma2 = 2 * sumx2 / 256;
        for (int j = 0; j < 16; ++j) {
            float sumw = 0;
            for (int l = 0; l < 16; ++l) {
                float xv = x[16 * j + l];
                float w = qw[16 * j + l] * sqrtf(sigma2 + xv * xv);
                weight[16 * j + l] = w;
                sumw += w;
            }
            sw[j] = sumw;
        }
        for (int j = 0; j < 16; ++j) {
            scales[j] = wc_make_qx_quants(16, 4, x + 16 * j, L + 16 * j, weight + 16 * j, cpu);
        }
        float dBlock = wc_make_qx_quants(16, 32, scales, ls, sw, cpu);
        for (int j = 0; j < 16; ++j) {
            wc_q3_pack_scale(out, j, ls[j]);
        }
        wc_q3_requant_and_pack(x, L, wc_f32_to_f16(dBlock), out, cpu);
    }
}

__device__ __forceinline__ float wc_q3_k_value(const u8* b, int j) {
    float dAll = wc_f16_to_f32(wc_get_u16(b + 108));
    int h = j >> 7;
    int r = j & 127;
    int jj = r >> 5;
    int l2 = r & 31;
    int is = 8 * h + 2 * jj + (l2 >> 4);
    int shift = 2 * jj;
    int m = 1 << (4 * h + jj);
    float dl = wc_mul(dAll, (float) (wc_q3_scale(b, is) - 32));
    int q = ((b[32 + 32 * h + l2] >> shift) & 3) - ((b[l2] & m) != 0 ? 0 : 4);
    return wc_mul(dl, (float) q);
}

WC_SEARCH_KERNELS(q6_k, 256, 210, WC_SEARCH_THREADS_256)
WC_SEARCH_KERNELS(q3_k, 256, 110, WC_SEARCH_THREADS_256)
