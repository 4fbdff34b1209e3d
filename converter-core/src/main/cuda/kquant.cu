// ggml's k-quants Q6_K, Q3_K, Q4_K, Q5_K and Q2_K (256 values a super-block), with and without an importance
// matrix: line by line copies of io.weightcast.core.codec.scalar.{KQuantSymmetric, KQuantAsymmetric, Q6_KScalar,
// Q3_KScalar, Q4_KScalar, Q5_KScalar, Q2_KScalar}. One thread per super-block (staged in shared memory),
// sequential sums in index order as the Java code.
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
    u16 dh = wc_f32_to_f16_s(1.0f / iscale, cpu);
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
            dh = wc_f32_to_f16_s(1.0f / iscale, cpu);
        } else {
            dh = wc_f32_to_f16_s(0.0f, cpu);
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
        wc_q3_requant_and_pack(x, L, wc_f32_to_f16_s(dBlock, cpu), out, cpu);
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

// ---------------------------------------------------------------------------------------------- Q4_K, Q5_K

// KQuantAsymmetric.makeQkx (ggml's make_qkx2_quants, or make_qkx3_quants with qkx3); *theMin receives -min.
__device__ float wc_make_qkx(int n, int nmax, const float* x, const float* w, int* L, int* laux, float rmin,
        float rdelta, int nstep, bool useMad, bool qkx3, float* theMin, bool* cpu) {
    float min = x[0];
    float max = x[0];
    float sumW = w != nullptr ? w[0] : x[0] * x[0];
    float sumX = sumW * x[0];
    for (int i = 1; i < n; i++) {
        float xi = x[i];
        if (xi < min) {
            min = xi;
        }
        if (xi > max) {
            max = xi;
        }
        float wi = w != nullptr ? w[i] : xi * xi;
        sumW += wi;
        sumX += wi * xi;
    }
    if (min > 0) {
        min = 0;
    }
    if (qkx3 ? max <= min : max == min) {
        for (int i = 0; i < n; i++) {
            L[i] = 0;
        }
        *theMin = -min;
        return 0.0f;
    }
    float iscale = (float) nmax / (max - min);
    float scale = 1.0f / iscale;
    float bestError = 0;
    for (int i = 0; i < n; i++) {
        float xi = x[i];
        int l = wc_nearest_int_bits(iscale * (xi - min), cpu);
        l = ::max(0, ::min(nmax, l));
        L[i] = l;
        float diff = scale * (float) l + min - xi;
        diff = useMad ? fabsf(diff) : diff * diff;
        float wi = w != nullptr ? w[i] : xi * xi;
        bestError += wi * diff;
    }
    if (nstep < 1) {
        *theMin = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float) is + (float) nmax) / (max - min);
        float sumL = 0, sumL2 = 0, sumXL = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[i];
            int l = wc_nearest_int_bits(iscale * (xi - min), cpu);
            l = ::max(0, ::min(nmax, l));
            laux[i] = l;
            float wi = w != nullptr ? w[i] : xi * xi;
            sumL += wi * (float) l;
            sumL2 += wi * (float) l * (float) l;
            sumXL += wi * (float) l * xi;
        }
        float D = sumW * sumL2 - sumL * sumL;
        if (D > 0) {
            float thisScale = (sumW * sumXL - sumX * sumL) / D;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
            if (thisMin > 0) {
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float curError = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[i];
                float diff = thisScale * (float) laux[i] + thisMin - xi;
                diff = useMad ? fabsf(diff) : diff * diff;
                float wi = w != nullptr ? w[i] : xi * xi;
                curError += wi * diff;
            }
            if (curError < bestError) {
                for (int i = 0; i < n; i++) {
                    L[i] = laux[i];
                }
                bestError = curError;
                scale = thisScale;
                min = thisMin;
            }
        }
    }
    *theMin = -min;
    return scale;
}

// KQuantAsymmetric.makeQp (ggml's make_qp_quants).
__device__ float wc_make_qp(int n, int nmax, const float* x, int* L, const float* qw, bool* cpu) {
    float max = 0;
    for (int i = 0; i < n; i++) {
        max = max > x[i] ? max : x[i];
    }
    if (max < GROUP_MAX_EPS) {
        for (int i = 0; i < n; i++) {
            L[i] = 0;
        }
        return 0.0f;
    }
    float iscale = (float) nmax / max;
    for (int i = 0; i < n; i++) {
        L[i] = wc_nearest_int_bits(iscale * x[i], cpu) & 0xFF;
    }
    float scale = 1.0f / iscale;
    float bestMse = 0;
    for (int i = 0; i < n; i++) {
        float diff = x[i] - scale * (float) L[i];
        float w = qw[i];
        bestMse += w * diff * diff;
    }
    for (int is = -4; is <= 4; is++) {
        if (is == 0) {
            continue;
        }
        float iscaleIs = (0.1f * (float) is + (float) nmax) / max;
        float scaleIs = 1.0f / iscaleIs;
        float mse = 0;
        for (int i = 0; i < n; i++) {
            int l = ::min(nmax, wc_nearest_int_bits(iscaleIs * x[i], cpu));
            float diff = x[i] - scaleIs * (float) l;
            float w = qw[i];
            mse += w * diff * diff;
        }
        if (mse < bestMse) {
            bestMse = mse;
            iscale = iscaleIs;
        }
    }
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = ::min(nmax, wc_nearest_int_bits(iscale * x[i], cpu));
        L[i] = l & 0xFF;
        float w = qw[i];
        sumlx += w * x[i] * (float) l;
        suml2 += w * (float) l * (float) l;
    }
    for (int itry = 0; itry < 5; itry++) {
        int nChanged = 0;
        for (int i = 0; i < n; i++) {
            float w = qw[i];
            float slx = sumlx - w * x[i] * (float) L[i];
            float sl2 = suml2 - w * (float) L[i] * (float) L[i];
            if (slx > 0 && sl2 > 0) {
                int newL = ::min(nmax, wc_nearest_int_bits(x[i] * sl2 / slx, cpu));
                if (newL != L[i]) {
                    slx += w * x[i] * (float) newL;
                    sl2 += w * (float) newL * (float) newL;
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = newL & 0xFF;
                        sumlx = slx;
                        suml2 = sl2;
                        nChanged++;
                    }
                }
            }
        }
        if (nChanged == 0) {
            break;
        }
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

__device__ __forceinline__ void wc_pack_scale_min_k4(int* q, int j, int ls, int lm) {
    if (j < 4) {
        q[j] = ls & 0xFF;
        q[j + 4] = lm & 0xFF;
    } else {
        q[j + 4] = ((ls & 0xF) | ((lm & 0xF) << 4)) & 0xFF;
        q[j - 4] = (q[j - 4] | ((ls >> 4) << 6)) & 0xFF;
        q[j] = (q[j] | ((lm >> 4) << 6)) & 0xFF;
    }
}

__device__ __forceinline__ int wc_scale_k4(int j, const int* q) {
    return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
}

__device__ __forceinline__ int wc_min_k4(int j, const int* q) {
    return j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
}

// Q4_KScalar / Q5_KScalar encodeBlock and encodeBlockWeighted, then finish (NMAX 15 or 31).
template <int NMAX>
__device__ void wc_qk_asym_block(const float* x, u8* y, const float* qw, bool* cpu) {
    int L[256];
    int laux[32];
    float w[32];
    float scales[8];
    float mins[8];
    int q[12];
    u16 dh;
    u16 mh;
    if (qw == nullptr) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[32 * j + l] * x[32 * j + l];
            }
            float avX = sqrtf(sumX2 / 32.0f);
            for (int l = 0; l < 32; l++) {
                w[l] = avX + fabsf(x[32 * j + l]);
            }
            scales[j] = NMAX == 15
                    ? wc_make_qkx(32, 15, x + 32 * j, w, L + 32 * j, laux, -1.0f, 0.1f, 20, false, false, mins + j, cpu)
                    : wc_make_qkx(32, 31, x + 32 * j, w, L + 32 * j, laux, -0.5f, 0.1f, 15, false, false, mins + j, cpu);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (int j = 0; j < 8; j++) {
            int ls = ::min(63, wc_nearest_int_bits(invScale * scales[j], cpu) & 0xFF);
            int lm = ::min(63, wc_nearest_int_bits(invMin * mins[j], cpu) & 0xFF);
            wc_pack_scale_min_k4(q, j, ls, lm);
        }
        dh = wc_f32_to_f16_s(maxScale / 63.0f, cpu);
        mh = wc_f32_to_f16_s(maxMin / 63.0f, cpu);
    } else {
        float sw[8];
        int ls[8];
        int lm[8];
        float sumX2 = 0;
        for (int l = 0; l < 256; l++) {
            sumX2 += x[l] * x[l];
        }
        float sigma2 = 2 * sumX2 / 256;
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) {
                float v = x[32 * j + l];
                w[l] = qw[32 * j + l] * sqrtf(sigma2 + v * v);
            }
            float sumw = 0;
            for (int l = 0; l < 32; l++) {
                sumw += w[l];
            }
            sw[j] = sumw;
            scales[j] = wc_make_qkx(32, NMAX, x + 32 * j, w, L + 32 * j, laux, -0.9f, 0.05f, 36, false, true,
                    mins + j, cpu);
        }
        float dBlock = wc_make_qp(8, 63, scales, ls, sw, cpu);
        float mBlock = wc_make_qp(8, 63, mins, lm, sw, cpu);
        for (int j = 0; j < 8; j++) {
            if (NMAX == 15) {
                wc_pack_scale_min_k4(q, j, ls[j], lm[j]);
            } else {
                wc_pack_scale_min_k4(q, j, ::min(63, ls[j]), ::min(63, lm[j]));
            }
        }
        dh = wc_f32_to_f16_s(dBlock, cpu);
        mh = wc_f32_to_f16_s(mBlock, cpu);
    }
    wc_put_u16(y, dh);
    wc_put_u16(y + 2, mh);
    for (int k = 0; k < 12; k++) {
        y[4 + k] = (u8) q[k];
    }
    float dAll = wc_f16_to_f32(dh);
    float mAll = wc_f16_to_f32(mh);
    for (int j = 0; j < 8; j++) {
        float d = dAll * (float) wc_scale_k4(j, q);
        if (d == 0) {
            continue;
        }
        float dm = mAll * (float) wc_min_k4(j, q);
        for (int ii = 0; ii < 32; ii++) {
            int l = wc_nearest_int_bits((x[32 * j + ii] + dm) / d, cpu);
            L[32 * j + ii] = ::max(0, ::min(NMAX, l));
        }
    }
    if (NMAX == 15) {
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                y[16 + 32 * c + l] = (u8) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
            }
        }
    } else {
        for (int l = 0; l < 32; l++) {
            int qh = 0;
            for (int c = 0; c < 4; c++) {
                int l1 = L[64 * c + l];
                int l2 = L[64 * c + l + 32];
                qh |= (l1 >> 4) << (2 * c) | (l2 >> 4) << (2 * c + 1);
                y[48 + 32 * c + l] = (u8) ((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
            y[16 + l] = (u8) qh;
        }
    }
}

__device__ void wc_q4_k_block(const float* x, u8* y, const float* qw, bool* cpu) {
    wc_qk_asym_block<15>(x, y, qw, cpu);
}

__device__ void wc_q5_k_block(const float* x, u8* y, const float* qw, bool* cpu) {
    wc_qk_asym_block<31>(x, y, qw, cpu);
}

__device__ __forceinline__ void wc_k4_scales(const u8* b, int j, int* sc, int* m) {
    int q[12];
    for (int k = 0; k < 12; k++) {
        q[k] = b[4 + k];
    }
    *sc = wc_scale_k4(j, q);
    *m = wc_min_k4(j, q);
}

__device__ __forceinline__ float wc_q4_k_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    float min = wc_f16_to_f32(wc_get_u16(b + 2));
    int c = j >> 6;
    int r = j & 63;
    int sub = 2 * c + (r >> 5);
    int l = r & 31;
    int sc, m;
    wc_k4_scales(b, sub, &sc, &m);
    float d1 = wc_mul(d, (float) sc);
    float m1 = wc_mul(min, (float) m);
    int v = b[16 + 32 * c + l];
    int qv = r < 32 ? (v & 0xF) : (v >> 4);
    return wc_sub(wc_mul(d1, (float) qv), m1);
}

__device__ __forceinline__ float wc_q5_k_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b));
    float min = wc_f16_to_f32(wc_get_u16(b + 2));
    int c = j >> 6;
    int r = j & 63;
    int sub = 2 * c + (r >> 5);
    int l = r & 31;
    int sc, m;
    wc_k4_scales(b, sub, &sc, &m);
    float d1 = wc_mul(d, (float) sc);
    float m1 = wc_mul(min, (float) m);
    int v = b[48 + 32 * c + l];
    int h = b[16 + l] >> (2 * c);
    int qv = r < 32 ? (v & 0xF) + ((h & 1) != 0 ? 16 : 0) : (v >> 4) + ((h & 2) != 0 ? 16 : 0);
    return wc_sub(wc_mul(d1, (float) qv), m1);
}

// ---------------------------------------------------------------------------------------------- Q2_K

// Q2_KScalar.finish: stores scales, d, dmin, recomputes the codes with the fp16 scales and packs them.
__device__ void wc_q2_k_finish(const float* x, u8* y, int* L, const int* sc, u16 dh, u16 mh, bool* cpu) {
    for (int j = 0; j < 16; j++) {
        y[j] = (u8) sc[j];
    }
    wc_put_u16(y + 80, dh);
    wc_put_u16(y + 82, mh);
    float dAll = wc_f16_to_f32(dh);
    float mAll = wc_f16_to_f32(mh);
    for (int j = 0; j < 16; j++) {
        float d = dAll * (float) (sc[j] & 0xF);
        if (d == 0) {
            continue;
        }
        float dm = mAll * (float) (sc[j] >> 4);
        for (int ii = 0; ii < 16; ii++) {
            int l = wc_nearest_int_bits((x[16 * j + ii] + dm) / d, cpu);
            L[16 * j + ii] = ::max(0, ::min(3, l));
        }
    }
    for (int h = 0; h < 2; h++) {
        for (int l = 0; l < 32; l++) {
            int e = 128 * h + l;
            y[16 + 32 * h + l] = (u8) (L[e] | (L[e + 32] << 2) | (L[e + 64] << 4) | (L[e + 96] << 6));
        }
    }
}

// Q2_KScalar.encodeBlock (qw null) and encodeBlockWeighted: { u8 scales[16]; u8 qs[64]; half d; half dmin; }
__device__ void wc_q2_k_block(const float* x, u8* y, const float* qw, bool* cpu) {
    int L[256];
    int laux[16];
    float w[16];
    float scales[16];
    float mins[16];
    int sc[16];
    u16 dh;
    u16 mh;
    if (qw == nullptr) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                w[l] = fabsf(x[16 * j + l]);
            }
            scales[j] = wc_make_qkx(16, 3, x + 16 * j, w, L + 16 * j, laux, -0.5f, 0.1f, 15, true, false, mins + j,
                    cpu);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        if (maxScale > 0) {
            float iscale = 15.0f / maxScale;
            for (int j = 0; j < 16; j++) {
                sc[j] = wc_nearest_int_bits(iscale * scales[j], cpu) & 0xFF;
            }
            dh = wc_f32_to_f16_s(maxScale / 15.0f, cpu);
        } else {
            for (int j = 0; j < 16; j++) {
                sc[j] = 0;
            }
            dh = wc_f32_to_f16_s(0.0f, cpu);
        }
        if (maxMin > 0) {
            float iscale = 15.0f / maxMin;
            for (int j = 0; j < 16; j++) {
                sc[j] = (sc[j] | (int) ((u32) wc_nearest_int_bits(iscale * mins[j], cpu) << 4)) & 0xFF;
            }
            mh = wc_f32_to_f16_s(maxMin / 15.0f, cpu);
        } else {
            mh = wc_f32_to_f16_s(0.0f, cpu);
        }
    } else {
        float sw[16];
        int ls[16];
        int lm[16];
        float sumX2 = 0;
        for (int j = 0; j < 256; j++) {
            sumX2 += x[j] * x[j];
        }
        float sigma2 = sumX2 / 256.0f;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                float v = x[16 * j + l];
                w[l] = qw[16 * j + l] * sqrtf(sigma2 + v * v);
            }
            float s = 0;
            for (int l = 0; l < 16; l++) {
                s += w[l];
            }
            sw[j] = s;
            scales[j] = wc_make_qkx(16, 3, x + 16 * j, w, L + 16 * j, laux, -0.9f, 0.05f, 36, false, true, mins + j,
                    cpu);
        }
        float dm = wc_make_qp(16, 15, scales, ls, sw, cpu);
        float mm = wc_make_qp(16, 15, mins, lm, sw, cpu);
        for (int j = 0; j < 16; j++) {
            sc[j] = (ls[j] | (lm[j] << 4)) & 0xFF;
        }
        dh = wc_f32_to_f16_s(dm, cpu);
        mh = wc_f32_to_f16_s(mm, cpu);
    }
    wc_q2_k_finish(x, y, L, sc, dh, mh, cpu);
}

// Q2_KScalar.decodeBlock, one element: d·(sc & 0xF)·q − dmin·(sc >> 4).
__device__ __forceinline__ float wc_q2_k_value(const u8* b, int j) {
    float d = wc_f16_to_f32(wc_get_u16(b + 80));
    float min = wc_f16_to_f32(wc_get_u16(b + 82));
    int sc = b[j >> 4];
    float dl = wc_mul(d, (float) (sc & 0xF));
    float ml = wc_mul(min, (float) (sc >> 4));
    int q = (b[16 + 32 * (j >> 7) + (j & 31)] >> (2 * ((j & 127) >> 5))) & 3;
    return wc_sub(wc_mul(dl, (float) q), ml);
}

WC_SEARCH_KERNELS_G(q4_k, 256, 144)
WC_SEARCH_KERNELS_G(q5_k, 256, 176)
WC_SEARCH_KERNELS_G(q6_k, 256, 210)
WC_SEARCH_KERNELS_G(q3_k, 256, 110)
WC_SEARCH_KERNELS_G(q2_k, 256, 84)

// ---------------------------------------------------------------------------------------------- Q4_K, Q5_K, cooperative
// The same bytes as wc_qk_asym_block, with a super-block's 8 independent sub-block searches run by 8 threads:
// CTAs of 128 threads own 16 staged super-blocks. Phase A: thread j of a super-block searches sub-block j
// (make_qkx2/qkx3, exactly as above; the weighted path's sigma2 is the same sequential 256-value sum, computed by
// each of the 8 threads). Phase B: thread 0 of the super-block combines the 8 scales and mins (sequentially, as
// the scalar code) and writes the header. Phase C: thread j re-quantizes sub-block j; then the bytes are packed.
#define WC_COOP_SB 16
#define WC_COOP_THREADS 128

template <int NMAX, int BB>
__device__ __forceinline__ void wc_qk_asym_coop(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,
        const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    constexpr int STRIDE = 257;
    __shared__ float sx[WC_COOP_SB * STRIDE];
    __shared__ u8 sL[WC_COOP_SB * 256];
    __shared__ float sScale[WC_COOP_SB * 8];
    __shared__ float sMin[WC_COOP_SB * 8];
    __shared__ float sSw[WC_COOP_SB * 8];
    __shared__ int sQ[WC_COOP_SB * 12];
    __shared__ u16 sDh[WC_COOP_SB];
    __shared__ u16 sMh[WC_COOP_SB];
    __shared__ int sCpu[WC_COOP_SB];
    __shared__ u32 sy[(WC_COOP_SB * BB + 3) / 4];
    const long long b0 = (long long) blockIdx.x * WC_COOP_SB;
    const long long left = nblocks - b0;
    const int nb = left < WC_COOP_SB ? (int) left : WC_COOP_SB;
    const float4* x4 = reinterpret_cast<const float4*>(x + b0 * 256);
    for (int i = threadIdx.x; i < nb * 64; i += blockDim.x) {
        float4 v = x4[i];
        int e = i * 4;
        float* s = sx + (e / 256) * STRIDE + (e % 256);
        s[0] = v.x;
        s[1] = v.y;
        s[2] = v.z;
        s[3] = v.w;
    }
    if (threadIdx.x < WC_COOP_SB) {
        sCpu[threadIdx.x] = 0;
    }
    __syncthreads();
    const int sb = threadIdx.x >> 3;
    const int j = threadIdx.x & 7;
    const bool active = sb < nb;
    const float* xs = sx + sb * STRIDE;
    const float* w0 = (!active || qw == nullptr) ? nullptr
            : qw + (long long) ((colBlock0 + (b0 + sb) % rowBlocks) % rowBlocks) * 256;
    bool cpu = false;
    // Phase A
    if (active) {
        int L[32];
        int laux[32];
        float w[32];
        float theMin;
        float scale;
        if (w0 == nullptr) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += xs[32 * j + l] * xs[32 * j + l];
            }
            float avX = sqrtf(sumX2 / 32.0f);
            for (int l = 0; l < 32; l++) {
                w[l] = avX + fabsf(xs[32 * j + l]);
            }
            scale = NMAX == 15
                    ? wc_make_qkx(32, 15, xs + 32 * j, w, L, laux, -1.0f, 0.1f, 20, false, false, &theMin, &cpu)
                    : wc_make_qkx(32, 31, xs + 32 * j, w, L, laux, -0.5f, 0.1f, 15, false, false, &theMin, &cpu);
        } else {
            float sumX2 = 0;
            for (int l = 0; l < 256; l++) {
                sumX2 += xs[l] * xs[l];
            }
            float sigma2 = 2 * sumX2 / 256;
            for (int l = 0; l < 32; l++) {
                float v = xs[32 * j + l];
                w[l] = w0[32 * j + l] * sqrtf(sigma2 + v * v);
            }
            float sumw = 0;
            for (int l = 0; l < 32; l++) {
                sumw += w[l];
            }
            sSw[sb * 8 + j] = sumw;
            scale = wc_make_qkx(32, NMAX, xs + 32 * j, w, L, laux, -0.9f, 0.05f, 36, false, true, &theMin, &cpu);
        }
        sScale[sb * 8 + j] = scale;
        sMin[sb * 8 + j] = theMin;
        for (int l = 0; l < 32; l++) {
            sL[sb * 256 + 32 * j + l] = (u8) L[l];
        }
    }
    __syncthreads();
    // Phase B
    if (active && j == 0) {
        const float* scales = sScale + sb * 8;
        const float* mins = sMin + sb * 8;
        int* q = sQ + sb * 12;
        int qq[12];
        u16 dh;
        u16 mh;
        if (w0 == nullptr) {
            float maxScale = 0;
            float maxMin = 0;
            for (int k = 0; k < 8; k++) {
                if (scales[k] > maxScale) {
                    maxScale = scales[k];
                }
                if (mins[k] > maxMin) {
                    maxMin = mins[k];
                }
            }
            float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
            float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
            for (int k = 0; k < 8; k++) {
                int ls = ::min(63, wc_nearest_int_bits(invScale * scales[k], &cpu) & 0xFF);
                int lm = ::min(63, wc_nearest_int_bits(invMin * mins[k], &cpu) & 0xFF);
                wc_pack_scale_min_k4(qq, k, ls, lm);
            }
            dh = wc_f32_to_f16_s(maxScale / 63.0f, &cpu);
            mh = wc_f32_to_f16_s(maxMin / 63.0f, &cpu);
        } else {
            float sc[8];
            float mn[8];
            float sw[8];
            int ls[8];
            int lm[8];
            for (int k = 0; k < 8; k++) {
                sc[k] = scales[k];
                mn[k] = mins[k];
                sw[k] = sSw[sb * 8 + k];
            }
            float dBlock = wc_make_qp(8, 63, sc, ls, sw, &cpu);
            float mBlock = wc_make_qp(8, 63, mn, lm, sw, &cpu);
            for (int k = 0; k < 8; k++) {
                if (NMAX == 15) {
                    wc_pack_scale_min_k4(qq, k, ls[k], lm[k]);
                } else {
                    wc_pack_scale_min_k4(qq, k, ::min(63, ls[k]), ::min(63, lm[k]));
                }
            }
            dh = wc_f32_to_f16_s(dBlock, &cpu);
            mh = wc_f32_to_f16_s(mBlock, &cpu);
        }
        for (int k = 0; k < 12; k++) {
            q[k] = qq[k];
        }
        sDh[sb] = dh;
        sMh[sb] = mh;
    }
    __syncthreads();
    // Phase C
    if (active) {
        int q[12];
        for (int k = 0; k < 12; k++) {
            q[k] = sQ[sb * 12 + k];
        }
        float dAll = wc_f16_to_f32(sDh[sb]);
        float mAll = wc_f16_to_f32(sMh[sb]);
        float d = dAll * (float) wc_scale_k4(j, q);
        if (d != 0) {
            float dm = mAll * (float) wc_min_k4(j, q);
            for (int ii = 0; ii < 32; ii++) {
                int l = wc_nearest_int_bits((xs[32 * j + ii] + dm) / d, &cpu);
                sL[sb * 256 + 32 * j + ii] = (u8) ::max(0, ::min(NMAX, l));
            }
        }
        if (cpu) {
            sCpu[sb] = 1; // benign race: every writer stores 1
        }
    }
    __syncthreads();
    // Pack: thread j writes bytes [4j, 4j+4) of each 32-byte row it owns
    if (active) {
        u8* out = reinterpret_cast<u8*>(sy) + sb * BB;
        const u8* L = sL + sb * 256;
        if (j == 0) {
            wc_put_u16(out, sDh[sb]);
            wc_put_u16(out + 2, sMh[sb]);
            for (int k = 0; k < 12; k++) {
                out[4 + k] = (u8) sQ[sb * 12 + k];
            }
            flags[b0 + sb] = sCpu[sb] ? 1 : 0;
        }
        for (int l = 4 * j; l < 4 * j + 4; l++) {
            if (NMAX == 15) {
                for (int c = 0; c < 4; c++) {
                    out[16 + 32 * c + l] = (u8) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
                }
            } else {
                int qh = 0;
                for (int c = 0; c < 4; c++) {
                    int l1 = L[64 * c + l];
                    int l2 = L[64 * c + l + 32];
                    qh |= (l1 >> 4) << (2 * c) | (l2 >> 4) << (2 * c + 1);
                    out[48 + 32 * c + l] = (u8) ((l1 & 0xF) | ((l2 & 0xF) << 4));
                }
                out[16 + l] = (u8) qh;
            }
        }
    }
    __syncthreads();
    const int nbytes = nb * BB;
    u8* yb = y + b0 * BB;
    const int nw = nbytes / 4;
    u32* y4 = reinterpret_cast<u32*>(yb); // b0 * BB is a multiple of 4 (WC_COOP_SB is)
    for (int i = threadIdx.x; i < nw; i += blockDim.x) {
        y4[i] = sy[i];
    }
    for (int i = nw * 4 + threadIdx.x; i < nbytes; i += blockDim.x) {
        yb[i] = reinterpret_cast<const u8*>(sy)[i];
    }
}

extern "C" __global__ void __launch_bounds__(WC_COOP_THREADS)
wc_encode_q4_k_c(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    wc_qk_asym_coop<15, 144>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);
}

extern "C" __global__ void __launch_bounds__(WC_COOP_THREADS)
wc_encode_q5_k_c(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    wc_qk_asym_coop<31, 176>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);
}

// ---------------------------------------------------------------------------------------------- Q4_K, Q5_K, warp
// The same bytes as wc_qk_asym_block with fewer instructions. Why not one lane per trial scale: make_qkx2/qkx3's
// trials are not independent (an accepted trial sets `min`, which every later trial's iscale and levels use), and
// a sub-block accepts 2.7 trials on average (gaussian data), so a lane-per-trial search would have to re-run every
// trial after each acceptance (1.5x to 5x more work than the sequential search, depending on the lane layout).
// Instead a warp owns 4 super-blocks and lane 8s+j searches sub-block j of super-block s sequentially, as the
// scalar code, but with its 32 values, weights and levels in registers (no local arrays) and the levels kept as
// floats: l = min(max((v + 1.5·2^23) − 1.5·2^23, 0), nmax) equals (float) clamp(nearest_int(v)) whenever
// |v| < 2^22 (then v + 1.5·2^23 lies in [2^23, 2^24), where floats are the integers, rounded to nearest even as
// nearest_int rounds). A pass takes this fast path only when it can prove the bound for all 32 values (see
// wc_w_fast); otherwise (NaN, inf, huge ranges) it runs the reference's integer code. The per-super-block tail
// (scale quantization, make_qp) runs on lane 8s, the re-quantization of sub-block j on lane 8s+j; the lanes of a
// super-block share one warp, so __syncwarp suffices between phases. CTAs of 128 threads own 16 super-blocks.
#define WC_WARP_SB 16
#define WC_WARP_THREADS 128
#define WC_WARP_XS 33 // floats per staged sub-block: 32 lanes reading 32 sub-blocks hit 32 banks
#define WC_WARP_MIN_CTAS 4 // caps registers at 128 (16 warps an SM; ptxas sm_90: no spills), else 168 (12 warps)

// Whether every v = iscale·fl(x_i − min) of a pass is non-NaN with |v| < 2^22, for x_i in [xmin, xmax] (no NaN in
// x): rounding is monotonic, so fl(x_i − min) lies between fl(xmin − min) and fl(xmax − min), and
// |v| = fl(|iscale|·|fl(x_i − min)|) is at most the larger of the two products tested (NaN or inf fail the test).
__device__ __forceinline__ bool wc_w_fast(bool xNaN, float iscale, float xmin, float xmax, float min) {
    float a = fabsf(iscale) * fabsf(xmax - min);
    float b = fabsf(iscale) * fabsf(xmin - min);
    return !xNaN && a < 4194304.0f && b < 4194304.0f;
}

// (float) max(0, min(NMAX, nearest_int(v))): the float form on the fast path, else the reference's integer code.
template <int NMAX, bool FAST>
__device__ __forceinline__ float wc_w_level(float v, bool* cpu) {
    if (FAST) {
        float r = (v + 12582912.0f) - 12582912.0f;
        return fminf(fmaxf(r, 0.0f), (float) NMAX);
    }
    int l = wc_nearest_int_bits(v, cpu);
    return (float) ::max(0, ::min(NMAX, l));
}

// The initial pass of make_qkx: the error of the levels of iscale with scale and min.
template <int NMAX, bool FAST>
__device__ __forceinline__ float wc_w_initial_error(const float* x, const float* w, float iscale, float scale,
        float min, bool* cpu) {
    float err = 0;
#pragma unroll
    for (int i = 0; i < 32; i++) {
        float l = wc_w_level<NMAX, FAST>(iscale * (x[i] - min), cpu);
        float diff = scale * l + min - x[i];
        diff = diff * diff;
        err += w[i] * diff;
    }
    return err;
}

// The first pass of a trial: its levels (into l) and the weighted sums.
template <int NMAX, bool FAST>
__device__ __forceinline__ void wc_w_trial_sums(const float* x, const float* w, float iscale, float min, float* l,
        float* sumL, float* sumL2, float* sumXL, bool* cpu) {
    float s1 = 0, s2 = 0, s3 = 0;
#pragma unroll
    for (int i = 0; i < 32; i++) {
        float li = wc_w_level<NMAX, FAST>(iscale * (x[i] - min), cpu);
        l[i] = li;
        float p = w[i] * li;
        s1 += p;
        s2 += p * li;
        s3 += p * x[i];
    }
    *sumL = s1;
    *sumL2 = s2;
    *sumXL = s3;
}

// KQuantAsymmetric.makeQkx for n = 32 and NMAX, useMad false, nstep >= 1 (make_qkx2, or make_qkx3 with QKX3), on
// register arrays. Instead of the levels it reports how to recompute them: L = 0 when *bestIscale is 0 (the
// constant sub-block), else L_i = clamp(nearest_int(*bestIscale·(x_i − *bestMinUsed))), the pass that was kept.
template <int NMAX, bool QKX3>
__device__ __forceinline__ float wc_w_make_qkx(const float* x, const float* w, float rmin, float rdelta, int nstep,
        float* theMin, float* bestIscale, float* bestMinUsed, bool* cpu) {
    float min = x[0];
    float max = x[0];
    float sumW = w[0];
    float sumX = sumW * x[0];
    bool xNaN = x[0] != x[0];
#pragma unroll
    for (int i = 1; i < 32; i++) {
        float xi = x[i];
        if (xi < min) {
            min = xi;
        }
        if (xi > max) {
            max = xi;
        }
        xNaN |= xi != xi;
        sumW += w[i];
        sumX += w[i] * xi;
    }
    const float xmin = min;
    if (min > 0) {
        min = 0;
    }
    if (QKX3 ? max <= min : max == min) {
        *theMin = -min;
        *bestIscale = 0.0f;
        *bestMinUsed = min;
        return 0.0f;
    }
    float iscale = (float) NMAX / (max - min);
    float scale = 1.0f / iscale;
    float bestError = wc_w_fast(xNaN, iscale, xmin, max, min)
            ? wc_w_initial_error<NMAX, true>(x, w, iscale, scale, min, cpu)
            : wc_w_initial_error<NMAX, false>(x, w, iscale, scale, min, cpu);
    *bestIscale = iscale;
    *bestMinUsed = min;
#pragma unroll 1
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float) is + (float) NMAX) / (max - min);
        float l[32];
        float sumL, sumL2, sumXL;
        if (wc_w_fast(xNaN, iscale, xmin, max, min)) {
            wc_w_trial_sums<NMAX, true>(x, w, iscale, min, l, &sumL, &sumL2, &sumXL, cpu);
        } else {
            wc_w_trial_sums<NMAX, false>(x, w, iscale, min, l, &sumL, &sumL2, &sumXL, cpu);
        }
        float D = sumW * sumL2 - sumL * sumL;
        if (D > 0) {
            float thisScale = (sumW * sumXL - sumX * sumL) / D;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
            if (thisMin > 0) {
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float curError = 0;
#pragma unroll
            for (int i = 0; i < 32; i++) {
                float diff = thisScale * l[i] + thisMin - x[i];
                diff = diff * diff;
                curError += w[i] * diff;
            }
            if (curError < bestError) {
                bestError = curError;
                scale = thisScale;
                *bestIscale = iscale;
                *bestMinUsed = min;
                min = thisMin;
            }
        }
    }
    *theMin = -min;
    return scale;
}

// Phase A for lane j of a super-block (xs: its 8 staged sub-blocks, WC_WARP_XS floats apart; w0: the imatrix of
// the super-block or null): the sub-block's search, as wc_qk_asym_block's loop body.
template <int NMAX>
__device__ __forceinline__ void wc_w_search(const float* xs, const float* w0, int j, float* scale, float* theMin,
        float* sumw, float* bestIscale, float* bestMinUsed, bool* cpu) {
    float x[32];
    float w[32];
    const float* xj = xs + WC_WARP_XS * j;
#pragma unroll
    for (int l = 0; l < 32; l++) {
        x[l] = xj[l];
    }
    if (w0 == nullptr) {
        float sumX2 = 0;
#pragma unroll
        for (int l = 0; l < 32; l++) {
            sumX2 += x[l] * x[l];
        }
        float avX = sqrtf(sumX2 / 32.0f);
#pragma unroll
        for (int l = 0; l < 32; l++) {
            w[l] = avX + fabsf(x[l]);
        }
        *sumw = 0.0f;
        *scale = NMAX == 15
                ? wc_w_make_qkx<15, false>(x, w, -1.0f, 0.1f, 20, theMin, bestIscale, bestMinUsed, cpu)
                : wc_w_make_qkx<NMAX, false>(x, w, -0.5f, 0.1f, 15, theMin, bestIscale, bestMinUsed, cpu);
    } else {
        float sumX2 = 0;
#pragma unroll 8
        for (int l = 0; l < 256; l++) {
            float v = xs[WC_WARP_XS * (l >> 5) + (l & 31)];
            sumX2 += v * v;
        }
        float sigma2 = 2 * sumX2 / 256;
#pragma unroll
        for (int l = 0; l < 32; l++) {
            w[l] = w0[32 * j + l] * sqrtf(sigma2 + x[l] * x[l]);
        }
        float s = 0;
#pragma unroll
        for (int l = 0; l < 32; l++) {
            s += w[l];
        }
        *sumw = s;
        *scale = wc_w_make_qkx<NMAX, true>(x, w, -0.9f, 0.05f, 36, theMin, bestIscale, bestMinUsed, cpu);
    }
}

// Phase B on one lane of a super-block: quantizes the 8 scales and mins (wc_qk_asym_block's middle part).
template <int NMAX>
__device__ void wc_w_header(const float* scales, const float* mins, const float* sws, bool weighted, int* q,
        u16* dhOut, u16* mhOut, bool* cpu) {
    u16 dh;
    u16 mh;
    if (!weighted) {
        float maxScale = 0;
        float maxMin = 0;
        for (int k = 0; k < 8; k++) {
            if (scales[k] > maxScale) {
                maxScale = scales[k];
            }
            if (mins[k] > maxMin) {
                maxMin = mins[k];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (int k = 0; k < 8; k++) {
            int ls = ::min(63, wc_nearest_int_bits(invScale * scales[k], cpu) & 0xFF);
            int lm = ::min(63, wc_nearest_int_bits(invMin * mins[k], cpu) & 0xFF);
            wc_pack_scale_min_k4(q, k, ls, lm);
        }
        dh = wc_f32_to_f16_s(maxScale / 63.0f, cpu);
        mh = wc_f32_to_f16_s(maxMin / 63.0f, cpu);
    } else {
        float sc[8];
        float mn[8];
        float sw[8];
        int ls[8];
        int lm[8];
        for (int k = 0; k < 8; k++) {
            sc[k] = scales[k];
            mn[k] = mins[k];
            sw[k] = sws[k];
        }
        float dBlock = wc_make_qp(8, 63, sc, ls, sw, cpu);
        float mBlock = wc_make_qp(8, 63, mn, lm, sw, cpu);
        for (int k = 0; k < 8; k++) {
            if (NMAX == 15) {
                wc_pack_scale_min_k4(q, k, ls[k], lm[k]);
            } else {
                wc_pack_scale_min_k4(q, k, ::min(63, ls[k]), ::min(63, lm[k]));
            }
        }
        dh = wc_f32_to_f16_s(dBlock, cpu);
        mh = wc_f32_to_f16_s(mBlock, cpu);
    }
    *dhOut = dh;
    *mhOut = mh;
}

// Phase C for lane j: the final levels of sub-block j (into L, 32 bytes): re-quantized with the fp16 scale and
// min, or, where that scale is 0, the levels the search kept (recomputed as the reference computed them).
template <int NMAX>
__device__ __forceinline__ void wc_w_requant(const float* xs, int j, const int* q, u16 dh, u16 mh, float bestIscale,
        float bestMinUsed, u8* L, bool* cpu) {
    const float* xj = xs + WC_WARP_XS * j;
    float dAll = wc_f16_to_f32(dh);
    float mAll = wc_f16_to_f32(mh);
    float d = dAll * (float) wc_scale_k4(j, q);
    if (d != 0) {
        float dm = mAll * (float) wc_min_k4(j, q);
        for (int ii = 0; ii < 32; ii++) {
            int l = wc_nearest_int_bits((xj[ii] + dm) / d, cpu);
            L[ii] = (u8) ::max(0, ::min(NMAX, l));
        }
    } else if (bestIscale == 0.0f) {
        for (int ii = 0; ii < 32; ii++) {
            L[ii] = 0;
        }
    } else {
        for (int ii = 0; ii < 32; ii++) {
            int l = wc_nearest_int_bits(bestIscale * (xj[ii] - bestMinUsed), cpu);
            L[ii] = (u8) ::max(0, ::min(NMAX, l));
        }
    }
}

// Packing for lane j: bytes [4j, 4j+4) of each 32-byte row of the super-block's output, and the header on lane 0.
template <int NMAX>
__device__ __forceinline__ void wc_w_pack(const u8* L, const int* q, u16 dh, u16 mh, int j, u8* out) {
    if (j == 0) {
        wc_put_u16(out, dh);
        wc_put_u16(out + 2, mh);
        for (int k = 0; k < 12; k++) {
            out[4 + k] = (u8) q[k];
        }
    }
    for (int l = 4 * j; l < 4 * j + 4; l++) {
        if (NMAX == 15) {
            for (int c = 0; c < 4; c++) {
                out[16 + 32 * c + l] = (u8) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
            }
        } else {
            int qh = 0;
            for (int c = 0; c < 4; c++) {
                int l1 = L[64 * c + l];
                int l2 = L[64 * c + l + 32];
                qh |= (l1 >> 4) << (2 * c) | (l2 >> 4) << (2 * c + 1);
                out[48 + 32 * c + l] = (u8) ((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
            out[16 + l] = (u8) qh;
        }
    }
}

template <int NMAX, int BB>
__device__ __forceinline__ void wc_qk_asym_warp(const float* __restrict__ x, u8* __restrict__ y, long long nblocks,
        const float* __restrict__ qw, int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    constexpr int SBS = 8 * WC_WARP_XS; // floats per staged super-block
    __shared__ float sx[WC_WARP_SB * SBS];
    __shared__ u8 sL[WC_WARP_SB * 256];
    __shared__ float sScale[WC_WARP_SB * 8];
    __shared__ float sMin[WC_WARP_SB * 8];
    __shared__ float sSw[WC_WARP_SB * 8];
    __shared__ int sQ[WC_WARP_SB * 12];
    __shared__ u16 sDh[WC_WARP_SB];
    __shared__ u16 sMh[WC_WARP_SB];
    __shared__ u32 sy[(WC_WARP_SB * BB + 3) / 4];
    const long long b0 = (long long) blockIdx.x * WC_WARP_SB;
    const long long left = nblocks - b0;
    const int nb = left < WC_WARP_SB ? (int) left : WC_WARP_SB;
    const float4* x4 = reinterpret_cast<const float4*>(x + b0 * 256);
    for (int i = threadIdx.x; i < nb * 64; i += blockDim.x) {
        float4 v = x4[i];
        float* s = sx + (i >> 3) * WC_WARP_XS + 4 * (i & 7); // 4 values never straddle a 32-value sub-block
        s[0] = v.x;
        s[1] = v.y;
        s[2] = v.z;
        s[3] = v.w;
    }
    __syncthreads();
    const int sb = threadIdx.x >> 3;
    const int j = threadIdx.x & 7;
    const bool active = sb < nb;
    const float* xs = sx + sb * SBS;
    const float* w0 = (!active || qw == nullptr) ? nullptr
            : qw + (long long) ((colBlock0 + (b0 + sb) % rowBlocks) % rowBlocks) * 256;
    bool cpu = false;
    float bestIscale = 0.0f;
    float bestMinUsed = 0.0f;
    if (active) {
        float scale, theMin, sumw;
        wc_w_search<NMAX>(xs, w0, j, &scale, &theMin, &sumw, &bestIscale, &bestMinUsed, &cpu);
        sScale[sb * 8 + j] = scale;
        sMin[sb * 8 + j] = theMin;
        sSw[sb * 8 + j] = sumw;
    }
    __syncwarp();
    if (active && j == 0) {
        int q[12];
        u16 dh, mh;
        wc_w_header<NMAX>(sScale + sb * 8, sMin + sb * 8, sSw + sb * 8, w0 != nullptr, q, &dh, &mh, &cpu);
        for (int k = 0; k < 12; k++) {
            sQ[sb * 12 + k] = q[k];
        }
        sDh[sb] = dh;
        sMh[sb] = mh;
    }
    __syncwarp();
    int q[12];
    u16 dh = 0, mh = 0;
    if (active) {
        for (int k = 0; k < 12; k++) {
            q[k] = sQ[sb * 12 + k];
        }
        dh = sDh[sb];
        mh = sMh[sb];
        wc_w_requant<NMAX>(xs, j, q, dh, mh, bestIscale, bestMinUsed, sL + sb * 256 + 32 * j, &cpu);
    }
    // the lanes of a super-block are lanes 8s..8s+7 of this warp: OR their NaN flags
    const u32 anyCpu = __ballot_sync(0xFFFFFFFFu, cpu);
    __syncwarp();
    if (active) {
        wc_w_pack<NMAX>(sL + sb * 256, q, dh, mh, j, reinterpret_cast<u8*>(sy) + sb * BB);
        if (j == 0) {
            flags[b0 + sb] = ((anyCpu >> (threadIdx.x & 31)) & 0xFFu) != 0 ? 1 : 0;
        }
    }
    __syncthreads();
    const int nbytes = nb * BB;
    u8* yb = y + b0 * BB;
    const int nw = nbytes / 4;
    u32* y4 = reinterpret_cast<u32*>(yb); // b0 * BB is a multiple of 4 (WC_WARP_SB is)
    for (int i = threadIdx.x; i < nw; i += blockDim.x) {
        y4[i] = sy[i];
    }
    for (int i = nw * 4 + threadIdx.x; i < nbytes; i += blockDim.x) {
        yb[i] = reinterpret_cast<const u8*>(sy)[i];
    }
}

extern "C" __global__ void __launch_bounds__(WC_WARP_THREADS, WC_WARP_MIN_CTAS)
wc_encode_q4_k_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    wc_qk_asym_warp<15, 144>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);
}

extern "C" __global__ void __launch_bounds__(WC_WARP_THREADS, WC_WARP_MIN_CTAS)
wc_encode_q5_k_w(const float* __restrict__ x, u8* __restrict__ y, long long nblocks, const float* __restrict__ qw,
        int rowBlocks, int colBlock0, u8* __restrict__ flags) {
    wc_qk_asym_warp<31, 176>(x, y, nblocks, qw, rowBlocks, colBlock0, flags);
}

// ---------------------------------------------------------------------------------------------- Q8_K
// Q8_KScalar (ggml's quantize_row_q8_K_ref), the k-quants' activation type: no search, so a plain staged encoder
// (32 blocks a CTA of 128 threads, as the TQ types). nearest_int reads the bits of iscale·x + 1.5·2^23, which for a
// NaN x (or 0·inf) are x86's NaN bits: wc_mul/wc_add reproduce them, so every block is encoded here.
#define WC_Q8_K_BLOCKS 32
#define WC_Q8_K_THREADS 128

// Q8_KScalar.encodeBlock: { float d; int8 qs[256]; int16 bsums[16]; }
__device__ void wc_q8_k_block(const float* x, u8* y) {
    float max = 0;
    float amax = 0;
    for (int j = 0; j < 256; j++) {
        float ax = fabsf(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    if (amax == 0) {
        for (int i = 0; i < 292; i++) {
            y[i] = 0;
        }
        return;
    }
    float iscale = -127.0f / max;
    for (int g = 0; g < 16; g++) {
        int sum = 0;
        for (int ii = 0; ii < 16; ii++) {
            int j = 16 * g + ii;
            float v = wc_add(wc_mul(iscale, x[j]), 12582912.0f); // GgmlRounding.nearestInt, x86 NaN bits included
            int l = (int) (__float_as_uint(v) & 0x007FFFFFu) - 0x00400000;
            int q = (int) (signed char) ::min(127, l);
            y[4 + j] = (u8) q;
            sum += q;
        }
        wc_put_u16(y + 260 + 2 * g, (u32) sum);
    }
    wc_put_u32(y, __float_as_uint(1.0f / iscale));
}

// Q8_KScalar.decodeBlock, one element: d·qs (d any float bits, NaN payloads included).
__device__ __forceinline__ float wc_q8_k_value(const u8* b, int j) {
    float d = __uint_as_float(wc_get_u32(b));
    return wc_mul(d, (float) (int) (signed char) b[4 + j]);
}

extern "C" __global__ void __launch_bounds__(WC_Q8_K_THREADS)
wc_encode_q8_k(const float* __restrict__ x, u8* __restrict__ y, long long nblocks) {
    wc_encode_staged<256, 292, WC_Q8_K_BLOCKS, wc_q8_k_block>(x, y, nblocks);
}

extern "C" __global__ void wc_decode_q8_k(const u8* __restrict__ x, float* __restrict__ y, long long nblocks) {
    wc_decode_elementwise<256, 292, wc_q8_k_value>(x, y, nblocks);
}
