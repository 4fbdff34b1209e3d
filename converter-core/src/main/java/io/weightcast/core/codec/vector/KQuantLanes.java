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
final class KQuantLanes {

    private static final float MAGIC = 12582912.0f;

    /** Weights {@code √(Σx²/n) + |x|} (Q4_K/Q5_K reference). */
    static final int W_RMS_PLUS_ABS = 0;
    /** Weights {@code |x|} (Q2_K reference). */
    static final int W_ABS = 1;
    /** Weights {@code qw·√(σ² + x²)} (imatrix paths). */
    static final int W_IMATRIX = 2;

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

    KQuantLanes(int n) {
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
     * {@link #sigma2}{@code [k]}.
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
                if (weights == W_IMATRIX) {
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
        VectorMask<Float> degenerate = qkx3 ? max.compare(VectorOperators.LE, min)
                : max.compare(VectorOperators.EQ, min);
        FloatVector min0 = min;
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector best = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * L);
            FloatVector wi = FloatVector.fromArray(F, wt, i * L);
            FloatVector l = quant(iscale.mul(xi.sub(min)), nmax);
            l.intoArray(lt, i * L);
            FloatVector diff = scale.mul(l).add(min).sub(xi);
            diff = useMad ? diff.abs() : diff.mul(diff);
            best = best.add(wi.mul(diff));
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = FloatVector.broadcast(F, rmin + rdelta * is + nmax).div(max.sub(min));
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
            FloatVector d = sumW.mul(sumL2).sub(sumL.mul(sumL));
            VectorMask<Float> positive = d.compare(VectorOperators.GT, 0f);
            if (!positive.anyTrue()) {
                continue;
            }
            FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(d);
            FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(d);
            VectorMask<Float> minPositive = thisMin.compare(VectorOperators.GT, 0f);
            thisMin = thisMin.blend(0f, minPositive);
            thisScale = thisScale.blend(sumXL.div(sumL2), minPositive);
            FloatVector cur = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                FloatVector xi = FloatVector.fromArray(F, xt, i * L);
                FloatVector wi = FloatVector.fromArray(F, wt, i * L);
                FloatVector l = FloatVector.fromArray(F, laux, i * L);
                FloatVector diff = thisScale.mul(l).add(thisMin).sub(xi);
                diff = useMad ? diff.abs() : diff.mul(diff);
                cur = cur.add(wi.mul(diff));
            }
            VectorMask<Float> better = positive.and(cur.compare(VectorOperators.LT, best));
            if (better.anyTrue()) {
                for (int i = 0; i < n; i++) {
                    FloatVector.fromArray(F, lt, i * L).blend(FloatVector.fromArray(F, laux, i * L), better)
                            .intoArray(lt, i * L);
                }
                best = best.blend(cur, better);
                scale = scale.blend(thisScale, better);
                min = min.blend(thisMin, better);
            }
        }
        scale.blend(0f, degenerate).intoArray(this.scale, 0);
        min.neg().blend(min0.neg(), degenerate).intoArray(this.theMin, 0);
        boolean anyDegenerate = degenerate.anyTrue();
        for (int i = 0; i < n; i++) {
            FloatVector l = FloatVector.fromArray(F, lt, i * L);
            if (anyDegenerate) {
                l = l.blend(0f, degenerate);
            }
            l.intoArray(lt, i * L);
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
            default -> throw new IllegalArgumentException("weights mode " + mode);
        }
    }

    /** {@code clamp(nearest_int(v), 0, nmax)} as a float, ggml's bit trick lane by lane. */
    private static FloatVector quant(FloatVector v, int nmax) {
        IntVector l = v.add(MAGIC).reinterpretAsInts().and(0x007FFFFF).sub(0x00400000).max(0).min(nmax);
        return (FloatVector) l.convert(VectorOperators.I2F, 0);
    }

    /** {@code nearest_int(v)} lane by lane (ggml's bit trick, garbage included outside ±4194303). */
    static IntVector nearestInt(FloatVector v) {
        return v.add(MAGIC).reinterpretAsInts().and(0x007FFFFF).sub(0x00400000);
    }

    static {
        if (I.length() != L) {
            throw new AssertionError("int and float species differ in lanes");
        }
    }
}
