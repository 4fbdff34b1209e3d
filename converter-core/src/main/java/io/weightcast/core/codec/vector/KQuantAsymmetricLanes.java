package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.scalar.KQuantAsymmetric;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code make_qkx2_quants} / {@code make_qkx3_quants} across sub-blocks: one sub-block per lane, so that each lane
 * performs exactly the scalar {@link KQuantAsymmetric#makeQkx} sequence of IEEE operations (sequential sums in
 * index order, C's strict compares as masks and blends, ggml's {@code nearest_int} bit trick, no FMA). The
 * sub-blocks are transposed into scratch arrays ({@code [i·L + lane]}) once, so every step is a contiguous load.
 *
 * <p>A work object per call (not thread-safe). Results: {@link #scale}, {@link #theMin}, {@link #sw} (Σw, the
 * imatrix paths' sub-block weight) per lane, and the codes {@code L} of each lane back in element order in
 * {@link #codes}.
 */
final class KQuantAsymmetricLanes {


    /** Weights {@code √(Σx²/n) + |x|} (Q4_K/Q5_K reference). */
    static final int W_RMS_PLUS_ABS = 0;
    /** Weights {@code |x|} (Q2_K reference). */
    static final int W_ABS = 1;
    /** Weights {@code qw·√(σ² + x²)} (imatrix paths). */
    static final int W_IMATRIX = 2;
    /** Weights {@code qw} as given (the caller computed them; {@link #sw} is not filled). */
    static final int W_GIVEN = 3;

    final int n;
    private final float[] xt;
    private final float[] wt;
    private final float[] lt;
    private final float[] laux;
    final float[] scale = new float[L];
    final float[] theMin = new float[L];
    final float[] sw = new float[L];
    /** Codes of lane k at {@code codes[k·n + i]}. */
    final int[] codes;
    /** σ² per lane for {@link #W_IMATRIX}. */
    final float[] sigma2 = new float[L];

    KQuantAsymmetricLanes(int n) {
        this.n = n;
        xt = new float[n * L];
        wt = new float[n * L];
        lt = new float[n * L];
        laux = new float[n * L];
        codes = new int[n * L];
    }

    /**
     * Fits {@code count ≤ L} consecutive sub-blocks {@code x[o + k·n ..]} (lanes beyond {@code count} are zero
     * and ignored). With {@link #W_IMATRIX}, lane k's weights are {@code qw[qo + k·n ..]} and σ² is
     * {@link #sigma2}{@code [k]}; with {@link #W_GIVEN}, lane k's weights are {@code qw[qo + k·n ..]} themselves.
     */
    void fit(float[] x, int o, int count, int weights, float[] qw, int qo, int nmax, float rmin, float rdelta,
            int nstep, boolean useMad, boolean qkx3) {
        final int n = this.n;
        for (int k = 0; k < L; k++) {
            if (k < count) {
                int src = o + k * n;
                for (int i = 0; i < n; i++) {
                    xt[i * L + k] = x[src + i];
                }
                if (weights == W_IMATRIX || weights == W_GIVEN) {
                    int q = qo + k * n;
                    for (int i = 0; i < n; i++) {
                        wt[i * L + k] = qw[q + i];
                    }
                }
            } else {
                for (int i = 0; i < n; i++) {
                    xt[i * L + k] = 0f;
                    wt[i * L + k] = 0f;
                }
            }
        }
        weights(weights);
        start(nmax, useMad);
        for (int is = 0; is <= nstep; is++) {
            step(rmin + rdelta * is + nmax, nmax, useMad);
        }
        end(qkx3, count);
    }

    // Loop-carried lane state between the phases, one float per lane. The search is split into small methods
    // (instead of one with vector locals across the whole loop) so that C2 inlines every Vector API call: in one
    // large method its inlining budget runs out and the vector operations fall back to their (allocating) Java
    // implementations.
    private final float[] stMin = new float[L];
    private final float[] stMin0 = new float[L];
    private final float[] stMax = new float[L];
    private final float[] stSumW = new float[L];
    private final float[] stSumX = new float[L];
    private final float[] stBest = new float[L];

    /** min, max, Σw, Σw·x, the first codes and their error. */
    private void start(int nmax, boolean useMad) {
        final int n = this.n;
        FloatVector x0 = FloatVector.fromArray(F, xt, 0);
        FloatVector w0 = FloatVector.fromArray(F, wt, 0);
        FloatVector min = x0;
        FloatVector max = x0;
        FloatVector sumW = w0;
        FloatVector sumX = w0.mul(x0);
        for (int i = 1; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * L);
            FloatVector wi = FloatVector.fromArray(F, wt, i * L);
            min = min.blend(xi, xi.compare(VectorOperators.LT, min));
            max = max.blend(xi, xi.compare(VectorOperators.GT, max));
            sumW = sumW.add(wi);
            sumX = sumX.add(wi.mul(xi));
        }
        min = min.blend(0f, min.compare(VectorOperators.GT, 0f));
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        for (int i = 0; i < n; i++) {
            quant(iscale.mul(FloatVector.fromArray(F, xt, i * L).sub(min)), nmax).intoArray(lt, i * L);
        }
        // two loops, not a ternary on vectors: a vector phi would be boxed
        FloatVector best = FloatVector.zero(F);
        if (useMad) {
            for (int i = 0; i < n; i++) {
                FloatVector xi = FloatVector.fromArray(F, xt, i * L);
                FloatVector diff = scale.mul(FloatVector.fromArray(F, lt, i * L)).add(min).sub(xi);
                best = best.add(FloatVector.fromArray(F, wt, i * L).mul(diff.abs()));
            }
        } else {
            for (int i = 0; i < n; i++) {
                FloatVector xi = FloatVector.fromArray(F, xt, i * L);
                FloatVector diff = scale.mul(FloatVector.fromArray(F, lt, i * L)).add(min).sub(xi);
                best = best.add(FloatVector.fromArray(F, wt, i * L).mul(diff.mul(diff)));
            }
        }
        min.intoArray(stMin, 0);
        min.intoArray(stMin0, 0);
        max.intoArray(stMax, 0);
        sumW.intoArray(stSumW, 0);
        sumX.intoArray(stSumX, 0);
        best.intoArray(stBest, 0);
        scale.intoArray(this.scale, 0);
    }

    /** One step of the search with {@code iscale = c/(max − min)}, {@code c = rmin + rdelta·is + nmax}. */
    private void step(float c, int nmax, boolean useMad) {
        final int n = this.n;
        FloatVector min = FloatVector.fromArray(F, stMin, 0);
        FloatVector iscale = FloatVector.broadcast(F, c).div(FloatVector.fromArray(F, stMax, 0).sub(min));
        FloatVector sumL = FloatVector.zero(F);
        FloatVector sumL2 = FloatVector.zero(F);
        FloatVector sumXL = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * L);
            FloatVector wi = FloatVector.fromArray(F, wt, i * L);
            FloatVector l = quant(iscale.mul(xi.sub(min)), nmax);
            l.intoArray(laux, i * L);
            FloatVector wl = wi.mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(xi));
        }
        FloatVector sumW = FloatVector.fromArray(F, stSumW, 0);
        FloatVector sumX = FloatVector.fromArray(F, stSumX, 0);
        FloatVector d = sumW.mul(sumL2).sub(sumL.mul(sumL));
        VectorMask<Float> positive = d.compare(VectorOperators.GT, 0f);
        if (!positive.anyTrue()) {
            return;
        }
        FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(d);
        FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(d);
        VectorMask<Float> minPositive = thisMin.compare(VectorOperators.GT, 0f);
        thisMin = thisMin.blend(0f, minPositive);
        thisScale = thisScale.blend(sumXL.div(sumL2), minPositive);
        thisScale.intoArray(tScale, 0);
        thisMin.intoArray(tMin, 0);
        d.intoArray(tD, 0);
        error(tScale, tMin, useMad);
        accept();
    }

    private final float[] tD = new float[L];

    /** Lanes with D > 0 and a smaller error take this step's codes, scale and min. */
    private void accept() {
        FloatVector cur = FloatVector.fromArray(F, this.cur, 0);
        VectorMask<Float> better = FloatVector.fromArray(F, tD, 0).compare(VectorOperators.GT, 0f)
                .and(cur.compare(VectorOperators.LT, FloatVector.fromArray(F, stBest, 0)));
        if (!better.anyTrue()) {
            return;
        }
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, lt, i * L).blend(FloatVector.fromArray(F, laux, i * L), better)
                    .intoArray(lt, i * L);
        }
        FloatVector.fromArray(F, stBest, 0).blend(cur, better).intoArray(stBest, 0);
        FloatVector.fromArray(F, this.scale, 0).blend(FloatVector.fromArray(F, tScale, 0), better)
                .intoArray(this.scale, 0);
        FloatVector.fromArray(F, stMin, 0).blend(FloatVector.fromArray(F, tMin, 0), better).intoArray(stMin, 0);
    }

    /** Σ w·err(thisScale·laux + thisMin − x) in index order, into {@link #cur}. */
    private void error(float[] thisScaleA, float[] thisMinA, boolean useMad) {
        FloatVector thisScale = FloatVector.fromArray(F, thisScaleA, 0);
        FloatVector thisMin = FloatVector.fromArray(F, thisMinA, 0);
        FloatVector cur = FloatVector.zero(F);
        if (useMad) {
            for (int i = 0; i < n; i++) {
                FloatVector diff = thisScale.mul(FloatVector.fromArray(F, laux, i * L)).add(thisMin)
                        .sub(FloatVector.fromArray(F, xt, i * L));
                cur = cur.add(FloatVector.fromArray(F, wt, i * L).mul(diff.abs()));
            }
        } else {
            for (int i = 0; i < n; i++) {
                FloatVector diff = thisScale.mul(FloatVector.fromArray(F, laux, i * L)).add(thisMin)
                        .sub(FloatVector.fromArray(F, xt, i * L));
                cur = cur.add(FloatVector.fromArray(F, wt, i * L).mul(diff.mul(diff)));
            }
        }
        cur.intoArray(this.cur, 0);
    }

    private final float[] cur = new float[L];
    private final float[] tScale = new float[L];
    private final float[] tMin = new float[L];

    /** Degenerate lanes (max == min, or max ≤ min for qkx3): codes 0, scale 0, theMin −min; codes out. */
    private void end(boolean qkx3, int count) {
        final int n = this.n;
        FloatVector min0 = FloatVector.fromArray(F, stMin0, 0);
        FloatVector max = FloatVector.fromArray(F, stMax, 0);
        VectorMask<Float> degenerate = qkx3 ? max.compare(VectorOperators.LE, min0)
                : max.compare(VectorOperators.EQ, min0);
        FloatVector.fromArray(F, this.scale, 0).blend(0f, degenerate).intoArray(this.scale, 0);
        FloatVector.fromArray(F, stMin, 0).neg().blend(min0.neg(), degenerate).intoArray(this.theMin, 0);
        if (degenerate.anyTrue()) {
            for (int i = 0; i < n; i++) {
                FloatVector.fromArray(F, lt, i * L).blend(0f, degenerate).intoArray(lt, i * L);
            }
        }
        for (int k = 0; k < count; k++) {
            for (int i = 0; i < n; i++) {
                codes[k * n + i] = (int) lt[i * L + k];
            }
        }
    }

    /** Fills the transposed weights (and {@link #sw}) from the transposed x (and the imatrix already in wt). */
    private void weights(int mode) {
        final int n = this.n;
        switch (mode) {
            case W_ABS -> {
                for (int i = 0; i < n; i++) {
                    FloatVector.fromArray(F, xt, i * L).abs().intoArray(wt, i * L);
                }
            }
            case W_RMS_PLUS_ABS -> {
                FloatVector sumX2 = FloatVector.zero(F);
                for (int i = 0; i < n; i++) {
                    FloatVector xi = FloatVector.fromArray(F, xt, i * L);
                    sumX2 = sumX2.add(xi.mul(xi));
                }
                FloatVector avX = sumX2.div((float) n).sqrt();
                for (int i = 0; i < n; i++) {
                    avX.add(FloatVector.fromArray(F, xt, i * L).abs()).intoArray(wt, i * L);
                }
            }
            case W_IMATRIX -> {
                FloatVector s2 = FloatVector.fromArray(F, sigma2, 0);
                FloatVector sum = FloatVector.zero(F);
                for (int i = 0; i < n; i++) {
                    FloatVector xi = FloatVector.fromArray(F, xt, i * L);
                    FloatVector w = FloatVector.fromArray(F, wt, i * L).mul(s2.add(xi.mul(xi)).sqrt());
                    w.intoArray(wt, i * L);
                    sum = sum.add(w);
                }
                sum.intoArray(sw, 0);
            }
            case W_GIVEN -> { }
            default -> throw new IllegalArgumentException("weights mode " + mode);
        }
    }

    /** {@code clamp(nearest_int(v), 0, nmax)} as a float, ggml's bit trick lane by lane. */
    private static FloatVector quant(FloatVector v, int nmax) {
        IntVector l = KQuantLanes.nearestInt(v).max(0).min(nmax);
        return (FloatVector) l.convert(VectorOperators.I2F, 0);
    }


    static {
        if (I.length() != L) {
            throw new AssertionError("int and float species differ in lanes");
        }
    }
}
