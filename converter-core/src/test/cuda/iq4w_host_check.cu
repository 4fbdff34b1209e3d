// Host check of iq4.cu's WARP encoders (wc_encode_iq4_{nl,xs}_w) without a GPU: emulates their lanes with loops
// (the per-lane math is __host__ __device__) and compares with a line-by-line C++ port of Iq4Math / IQ4_NLScalar /
// IQ4_XSScalar. Not part of the build.
//
//   nvcc -x cu -fmad=false -O2 -I converter-core/src/main/cuda -o /tmp/iq4w converter-core/src/test/cuda/iq4w_host_check.cu
//   /tmp/iq4w exhaustive          # best_index slots for all 2^32 floats, and the device's round-down bucket (2 min)
//   /tmp/iq4w SEED N [DUMP]       # N random super-blocks x 12 kinds (NaN, inf, ties, subnormal, any bits...), both
//                                 # with and without imatrix; DUMP writes inputs, bytes and flags for a Java check
#include "iq4.cu"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <cfenv>
#include <random>
#include <vector>

static const int V[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
static int refBest(float x) {
    if (x <= V[0]) return 0;
    if (x >= V[15]) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) { int mav = (ml + mu) / 2; if (x < V[mav]) mu = mav; else ml = mav; }
    return x - V[mu - 1] < V[mu] - x ? mu - 1 : mu;
}
static float refSearch(const float* x, const float* weight) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j) { float ax = fabsf(x[j]); if (ax > amax) { amax = ax; max = x[j]; } }
    if (amax < 1e-15f) return 0;
    float d = -max / (float) V[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < 32; ++j) { float xj = x[j]; float q = V[refBest(id * xj)]; float w = weight[j];
        sumqx += w * q * xj; sumq2 += w * q * q; }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int itry = -7; itry <= 7; ++itry) {
        id = (itry + V[0]) / max;
        sumqx = 0; sumq2 = 0;
        for (int j = 0; j < 32; ++j) { float xj = x[j]; float q = V[refBest(id * xj)]; float w = weight[j];
            sumqx += w * q * xj; sumq2 += w * q * q; }
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) { d = sumqx / sumq2; best = d * sumqx; }
    }
    return d;
}
static void refWeights(const float* x, int n, const float* qw, float sigma2, float* w) {
    for (int j = 0; j < n; ++j) w[j] = qw == nullptr ? x[j] * x[j] : qw[j] * (float) sqrt((double) (sigma2 + x[j] * x[j]));
}
static float refSigma2(const float* x, int n) { float s = 0; for (int j = 0; j < n; ++j) s += x[j] * x[j]; return s * (2.0f / n); }
static unsigned short f16(float f) {
    if (f != f) return (unsigned short) (((wc_hd_bits(f) >> 16) & 0x8000u) | 0x7E00u);
    return __half_as_ushort(__float2half_rn(f));
}
static void refNl(const float* x, const float* qw, u8* y) {
    float w[32];
    float sigma2 = qw == nullptr ? 0 : refSigma2(x, 32);
    refWeights(x, 32, qw, sigma2, w);
    float d = refSearch(x, w);
    float id = d != 0 ? 1 / d : 0;
    unsigned short dh = f16(d); y[0] = (u8) dh; y[1] = (u8) (dh >> 8);
    for (int j = 0; j < 16; ++j) y[2 + j] = (u8) (refBest(id * x[j]) | (refBest(id * x[j + 16]) << 4));
}
static int nearestIntEven(float f) { return (int) rintf(f); }
static void refXs(const float* x, const float* qw, u8* out) {
    float w[256], scales[8], idl[8];
    float sigma2 = refSigma2(x, 256);
    refWeights(x, 256, qw, sigma2, w);
    for (int ib = 0; ib < 8; ++ib) scales[ib] = refSearch(x + 32 * ib, w + 32 * ib);
    float maxScale = 0, amaxScale = 0;
    for (int ib = 0; ib < 8; ++ib) { float a = fabsf(scales[ib]); if (a > amaxScale) { amaxScale = a; maxScale = scales[ib]; } }
    float d = -maxScale / 32;
    unsigned short dh = f16(d); out[0] = (u8) dh; out[1] = (u8) (dh >> 8);
    float id = d != 0 ? 1 / d : 0.0f;
    int scalesH = 0;
    for (int ib = 0; ib < 8; ++ib) {
        int l = nearestIntEven(id * scales[ib]);
        l = l < -32 ? -32 : (l > 31 ? 31 : l);
        float dl = d * l;
        idl[ib] = dl != 0 ? 1 / dl : 0.0f;
        l += 32;
        if (ib % 2 == 0) out[4 + ib / 2] = (u8) (l & 0xF); else out[4 + ib / 2] |= (u8) ((l & 0xF) << 4);
        scalesH |= (l >> 4) << (2 * ib);
    }
    out[2] = (u8) scalesH; out[3] = (u8) (scalesH >> 8);
    for (int ib = 0; ib < 8; ++ib)
        for (int j = 0; j < 16; ++j)
            out[8 + 16 * ib + j] = (u8) (refBest(idl[ib] * x[32 * ib + j]) | (refBest(idl[ib] * x[32 * ib + 16 + j]) << 4));
}

static WcIq4wTab TAB;

// Kernel emulation (same calls as wc_encode_iq4_nl_w's lane).
static bool emuNl(const float* x, const float* qw, u8* out) {
    float xv[32], w[32];
    for (int j = 0; j < 32; ++j) xv[j] = x[j];
    const float sigma2 = qw == nullptr ? 0 : wc_iq4w_sum_sq(xv, 0.0f) * (2.0f / 32.0f);
    wc_iq4w_weights(xv, qw, sigma2, w);
    const float d = wc_iq4w_search(xv, w, &TAB);
    const float id = d != 0 ? 1.0f / d : 0;
    bool cpu = d != d;
    unsigned short dh = f16(d); out[0] = (u8) dh; out[1] = (u8) (dh >> 8);
    wc_iq4w_codes(xv, id, &TAB, out + 2);
    return cpu;
}
// wc_encode_iq4_xs_w's 8 lanes of one super-block, shuffles as array reads.
static bool emuXs(const float* x, const float* qw, u8* out) {
    float xv[8][32], w[8][32], scale[8];
    for (int j = 0; j < 8; ++j) for (int k = 0; k < 32; ++k) xv[j][k] = x[32 * j + k];
    float sigma2 = 0;
    if (qw != nullptr) {
        float s = 0;
        for (int k = 0; k < 8; ++k) s = wc_iq4w_sum_sq(xv[k], s);
        sigma2 = s * (2.0f / 256.0f);
    }
    for (int j = 0; j < 8; ++j) {
        wc_iq4w_weights(xv[j], qw == nullptr ? nullptr : qw + 32 * j, sigma2, w[j]);
        scale[j] = wc_iq4w_search(xv[j], w[j], &TAB);
    }
    bool cpuAll = false;
    for (int j = 0; j < 8; ++j) {
        bool cpu = false;
        u8 hdr[6];
        float idl;
        const float d = wc_iq4w_xs_header(scale, j, hdr, &idl, &cpu);
        if (j == 0) {
            unsigned short dh = f16(d); out[0] = (u8) dh; out[1] = (u8) (dh >> 8);
            for (int k = 0; k < 6; ++k) out[2 + k] = hdr[k];
            cpuAll = cpu;
        } else if (cpu != cpuAll) {
            printf("lane flags differ\n"); exit(1);
        }
        wc_iq4w_codes(xv[j], idl, &TAB, out + 8 + 16 * j);
    }
    return cpuAll;
}

int main(int argc, char** argv) {
    for (int t = 0; t < 32; ++t) wc_iq4w_tab_entry(&TAB, t);
    for (int t = 0; t < 32; ++t) printf("%d:%g/%g/%d ", t, TAB.h[t], TAB.q[t], TAB.i[t]);
    printf("\n");
    if (argc > 1 && !strcmp(argv[1], "exhaustive")) {
        long bad = 0;
        for (unsigned long long u = 0; u < (1ull << 32); ++u) {
            float y = wc_hd_float((u32) u);
            if (y != y && (((u32) u) & 0x00400000u) == 0) continue; // signaling NaN: never a product
            int s = wc_iq4w_slot(&TAB, y);
            if (s < 0 || s > 31 || TAB.i[s] != refBest(y) || TAB.q[s] != (float) V[refBest(y)]) {
                if (bad++ < 10) printf("slot mismatch y=%a (%08x): %d vs %d\n", y, (u32) u, TAB.i[s], refBest(y));
            }
        }
        // the device bucket: round-toward-minus-infinity add of 1.5*2^26, for every clamped yc
        fesetround(FE_DOWNWARD);
        long badb = 0;
        for (unsigned long long u = 0; u < (1ull << 32); ++u) {
            float yc = wc_hd_float((u32) u);
            if (!(yc >= -128.0f && yc <= 127.5f)) continue;
            volatile float a = yc, m = 100663296.0f;
            volatile float sum = a + m;
            int dev = (int) wc_hd_bits(sum) - (0x4CC00000 - 16);
            fesetround(FE_TONEAREST);
            int host = wc_iq4w_bucket(yc);
            fesetround(FE_DOWNWARD);
            if (dev != host && badb++ < 10) printf("bucket mismatch %a: %d vs %d\n", yc, dev, host);
        }
        fesetround(FE_TONEAREST);
        printf("exhaustive: %ld slot mismatches, %ld bucket mismatches\n", bad, badb);
        return bad || badb;
    }
    // random blocks: many scales, ties, zeros, NaN/inf, importance matrices of several kinds
    std::mt19937_64 rng(argc > 1 ? atoll(argv[1]) : 1);
    const int N = argc > 2 ? atoi(argv[2]) : 2000;
    long nlBad = 0, xsBad = 0, nlFlag = 0, xsFlag = 0;
    std::vector<float> x(256), qw(256);
    FILE* dump = argc > 3 ? fopen(argv[3], "wb") : nullptr;
    std::normal_distribution<float> g(0, 1);
    for (int it = 0; it < N; ++it) {
        int kind = it % 12;
        float sc = powf(10.0f, (float) (int) (rng() % 77) - 38);
        for (int i = 0; i < 256; ++i) {
            float v = g(rng) * sc;
            switch (kind) {
                case 1: v = (float) ((int) (rng() % 255) - 127) * sc; break;         // integer ties
                case 2: v = (rng() % 4 == 0) ? 0.0f : v; break;                       // zeros
                case 3: v = (rng() % 40 == 0) ? (rng() % 2 ? NAN : -NAN) : v; break;  // NaN
                case 4: v = (rng() % 50 == 0) ? (rng() % 2 ? INFINITY : -INFINITY) : v; break;
                case 5: v = wc_hd_float((u32) rng()); break;                          // any bits
                case 6: v = (i % 32 == 5) ? v * 1000 : v; break;                       // outliers
                case 7: v = g(rng) * 1e-40f; break;                                     // subnormal
                case 8: v = (rng() % 3 == 0) ? -0.0f : v * 3e38f; break;                // huge
                case 9: v = (float) ((int) (rng() % 9) - 4) * 0.5f * sc; break;         // few values, ties
                case 10: v = (i < 128) ? 0.0f : v; break;                                // half-zero super-block
                default: break;
            }
            x[i] = v;
            float q = fabsf(g(rng));
            switch (it / 12 % 5) {
                case 1: q = 1.0f; break;
                case 2: q = (rng() % 3 == 0) ? 0.0f : q; break;
                case 3: q = q * 1e30f; break;
                case 4: q = (rng() % 8 == 0) ? -q : q; break;
            }
            qw[i] = q;
        }
        if (dump) { fwrite(x.data(), 4, 256, dump); fwrite(qw.data(), 4, 256, dump); }
        for (int imat = 0; imat < 2; ++imat) {
            const float* w = imat ? qw.data() : nullptr;
            for (int b = 0; b < 8; ++b) {
                u8 r[18], e[18];
                refNl(x.data() + 32 * b, w ? w + 32 * b : nullptr, r);
                bool cpu = emuNl(x.data() + 32 * b, w ? w + 32 * b : nullptr, e);
                nlFlag += cpu;
                if (dump) { fwrite(e, 1, 18, dump); u8 f = cpu; fwrite(&f, 1, 1, dump); }
                if (!cpu && memcmp(r, e, 18)) { if (nlBad++ < 5) printf("NL mismatch it=%d kind=%d b=%d imat=%d\n", it, kind, b, imat); }
            }
            u8 r[136], e[136];
            refXs(x.data(), w, r);
            bool cpu = emuXs(x.data(), w, e);
            xsFlag += cpu;
            if (dump) { fwrite(e, 1, 136, dump); u8 f = cpu; fwrite(&f, 1, 1, dump); }
            if (!cpu && memcmp(r, e, 136)) { if (xsBad++ < 5) printf("XS mismatch it=%d kind=%d imat=%d\n", it, kind, imat); }
        }
    }
    if (dump) { fclose(dump); }
    printf("random: NL %ld mismatches (%ld flagged), XS %ld mismatches (%ld flagged) of %d\n", nlBad, nlFlag, xsBad, xsFlag, N * 2);
    return nlBad || xsBad;
}
