package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.scalar.Iq4Math;
import io.weightcast.core.codec.scalar.KQuantSymmetric;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The search routines of {@link KQuantSymmetric} and {@link Iq4Math} run across lanes: lane k works on its own
 * (sub-)block, whose element i the caller has transposed to {@code xt[i·L + k]} (weights likewise to {@code wt}).
 * Each lane performs exactly the scalar routine's sequence of float operations (same order, no fma; data-dependent
 * branches become masked blends), so the results are bit-identical. nearest_int is ggml's magic-number trick, exact
 * for every input.
 */
final class KQuantLanes {

    private KQuantLanes() {}

    private static final float EPS = GgmlRounding.GROUP_MAX_EPS;
    /** IQ4 level k−1/k midpoints doubled: {@code v[k-1] + v[k]}, k = 1..15. */
    private static final float[] MID2 = new float[16];
    /** {@code v[k] - v[k-1]}. */
    private static final float[] STEP = new float[16];

    static {
        for (int k = 1; k < 16; k++) {
            MID2[k] = Iq4Math.VALUES[k - 1] + Iq4Math.VALUES[k];
            STEP[k] = Iq4Math.VALUES[k] - Iq4Math.VALUES[k - 1];
        }
    }

    /**
     * Whether {@code a[o..o+n)} holds a NaN or an infinity. Such (super-)blocks go to the scalar code: a NaN's payload
     * feeds ggml's nearest_int, and which payload an operation propagates depends on operand order, which Java
     * (and a vector kernel) does not fix.
     */
    static boolean nonFinite(float[] a, int o, int n) {
        if (a == null) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if ((Float.floatToRawIntBits(a[o + i]) & 0x7F800000) == 0x7F800000) {
                return true;
            }
        }
        return false;
    }

    static IntVector nearestInt(FloatVector v) {
        return v.add(12582912.0f).reinterpretAsInts().and(0x007FFFFF).sub(0x00400000);
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, 1, w)} per lane: scales to {@code scales[so..so+L)}, codes (0..2nmax-1)
     * to {@code lt[i·L + k]}.
     */
    static void makeQxQuants(int n, int nmax, float[] xt, float[] wt, int[] lt, float[] scales, int so) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector amax = zero;
        FloatVector max = zero;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        VectorMask<Float> allZero = amax.compare(VectorOperators.LT, EPS);
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumlx = zero;
        FloatVector suml2 = zero;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector w = FloatVector.fromArray(F, wt, i * L);
            FloatVector l = toFloat(nearestInt(iscale.mul(x)).min(nmax - 1).max(-nmax));
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        FloatVector scale = sumlx.div(suml2).blend(zero, suml2.compare(VectorOperators.EQ, 0.0f));
        FloatVector best = scale.mul(sumlx);
        FloatVector bestIscale = iscale;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = FloatVector.broadcast(F, -(nmax + 0.1f * is)).div(max);
            sumlx = zero;
            suml2 = zero;
            for (int i = 0; i < n; i++) {
                FloatVector x = FloatVector.fromArray(F, xt, i * L);
                FloatVector w = FloatVector.fromArray(F, wt, i * L);
                FloatVector l = toFloat(nearestInt(iscale.mul(x)).min(nmax - 1).max(-nmax));
                sumlx = sumlx.add(w.mul(x).mul(l));
                suml2 = suml2.add(w.mul(l).mul(l));
            }
            VectorMask<Float> better = suml2.compare(VectorOperators.GT, 0.0f)
                    .and(sumlx.mul(sumlx).compare(VectorOperators.GT, best.mul(suml2)));
            FloatVector s = sumlx.div(suml2);
            scale = scale.blend(s, better);
            best = best.blend(s.mul(sumlx), better);
            bestIscale = bestIscale.blend(iscale, better);
        }
        VectorMask<Integer> zi = allZero.cast(I);
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            IntVector l = nearestInt(bestIscale.mul(x)).min(nmax - 1).max(-nmax).add(nmax);
            l.blend(0, zi).intoArray(lt, i * L);
        }
        scale.blend(zero, allZero).intoArray(scales, so);
    }

    /**
     * {@code make_q3_quants(n, nmax, x, L, true)} per lane (weights x²); outputs as {@link #makeQxQuants}, codes
     * as floats. The codes are kept as floats inside too (exact small integers), so every mask is a float mask.
     */
    static void makeQ3Quants(int n, int nmax, float[] xt, float[] lt, float[] scales, int so) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector amax = zero;
        FloatVector max = zero;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        VectorMask<Float> allZero = amax.compare(VectorOperators.LT, EPS);
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumlx = zero;
        FloatVector suml2 = zero;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector w = x.mul(x);
            FloatVector l = toFloat(nearestInt(iscale.mul(x)).min(nmax - 1).max(-nmax));
            l.intoArray(lt, i * L);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        VectorMask<Float> active = allZero.not();
        for (int itry = 0; itry < 5 && active.anyTrue(); ++itry) {
            VectorMask<Float> changed = F.maskAll(false);
            for (int i = 0; i < n; i++) {
                FloatVector x = FloatVector.fromArray(F, xt, i * L);
                FloatVector w = x.mul(x);
                FloatVector l = FloatVector.fromArray(F, lt, i * L);
                FloatVector slx = sumlx.sub(w.mul(x).mul(l));
                VectorMask<Float> pos = slx.compare(VectorOperators.GT, 0.0f).and(active);
                FloatVector sl2 = suml2.sub(w.mul(l).mul(l));
                FloatVector newL = toFloat(nearestInt(x.mul(sl2).div(slx)).min(nmax - 1).max(-nmax));
                VectorMask<Float> differs = newL.compare(VectorOperators.NE, l).and(pos);
                slx = slx.add(w.mul(x).mul(newL));
                sl2 = sl2.add(w.mul(newL).mul(newL));
                VectorMask<Float> accept = differs.and(sl2.compare(VectorOperators.GT, 0.0f))
                        .and(slx.mul(slx).mul(suml2).compare(VectorOperators.GT, sumlx.mul(sumlx).mul(sl2)));
                l.blend(newL, accept).intoArray(lt, i * L);
                sumlx = sumlx.blend(slx, accept);
                suml2 = suml2.blend(sl2, accept);
                changed = changed.or(accept);
            }
            active = active.and(changed);
        }
        FloatVector off = FloatVector.broadcast(F, (float) nmax).blend(zero, allZero);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, lt, i * L).add(off).blend(zero, allZero).intoArray(lt, i * L);
        }
        FloatVector scale = sumlx.div(suml2).blend(zero, suml2.compare(VectorOperators.GT, 0.0f).not());
        scale.blend(zero, allZero).intoArray(scales, so);
    }

    /** {@code kvalues_iq4nl[best_index_int8(x)]} per lane (see {@link Iq4Math#bestIndex}). */
    static FloatVector iq4Value(FloatVector x) {
        FloatVector x2 = x.add(x);
        FloatVector q = FloatVector.broadcast(F, Iq4Math.VALUES[0]);
        for (int k = 1; k < 16; k++) {
            q = q.add(STEP[k], x2.compare(VectorOperators.LT, MID2[k]).not());
        }
        return q;
    }

    /** {@code best_index_int8(x)} per lane. */
    static IntVector iq4Index(FloatVector x) {
        FloatVector x2 = x.add(x);
        FloatVector idx = FloatVector.zero(F);
        for (int k = 1; k < 16; k++) {
            idx = idx.add(1.0f, x2.compare(VectorOperators.LT, MID2[k]).not());
        }
        return (IntVector) idx.convert(VectorOperators.F2I, 0);
    }

    /** {@link Iq4Math#searchBlock} per lane over 32 transposed elements; returns each lane's scale d. */
    static FloatVector iq4Search(float[] xt, float[] wt) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector amax = zero;
        FloatVector max = zero;
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        VectorMask<Float> allZero = amax.compare(VectorOperators.LT, EPS);
        FloatVector d = max.neg().div((float) Iq4Math.VALUES[0]);
        FloatVector id = FloatVector.broadcast(F, 1.0f).div(d);
        FloatVector sumqx = zero;
        FloatVector sumq2 = zero;
        for (int j = 0; j < 32; j++) {
            FloatVector x = FloatVector.fromArray(F, xt, j * L);
            FloatVector w = FloatVector.fromArray(F, wt, j * L);
            FloatVector q = iq4Value(id.mul(x));
            FloatVector wq = w.mul(q);
            sumqx = sumqx.add(wq.mul(x));
            sumq2 = sumq2.add(wq.mul(q));
        }
        d = sumqx.div(sumq2).blend(zero, sumq2.compare(VectorOperators.GT, 0.0f).not());
        FloatVector best = d.mul(sumqx);
        for (int itry = -Iq4Math.NTRY; itry <= Iq4Math.NTRY; ++itry) {
            id = FloatVector.broadcast(F, (float) (itry + Iq4Math.VALUES[0])).div(max);
            sumqx = zero;
            sumq2 = zero;
            for (int j = 0; j < 32; j++) {
                FloatVector x = FloatVector.fromArray(F, xt, j * L);
                FloatVector w = FloatVector.fromArray(F, wt, j * L);
                FloatVector q = iq4Value(id.mul(x));
                FloatVector wq = w.mul(q);
                sumqx = sumqx.add(wq.mul(x));
                sumq2 = sumq2.add(wq.mul(q));
            }
            VectorMask<Float> better = sumq2.compare(VectorOperators.GT, 0.0f)
                    .and(sumqx.mul(sumqx).compare(VectorOperators.GT, best.mul(sumq2)));
            FloatVector nd = sumqx.div(sumq2);
            d = d.blend(nd, better);
            best = best.blend(nd.mul(sumqx), better);
        }
        return d.blend(zero, allZero);
    }

    /** Re-picks 32 transposed elements per lane with the lane's factor {@code id}: codes to {@code lt[j·L + k]}. */
    static void iq4Repick(float[] xt, FloatVector id, int[] lt) {
        for (int j = 0; j < 32; j++) {
            iq4Index(id.mul(FloatVector.fromArray(F, xt, j * L))).intoArray(lt, j * L);
        }
    }
}
