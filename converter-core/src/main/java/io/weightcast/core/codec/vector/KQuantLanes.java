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

    private static final float MAGIC = 12582912.0f;

    /**
     * {@code clamp(nearest_int(v), -nmax, nmax-1)} as a float: ggml's bit trick on the sum's mantissa, turned back
     * into a float by bits alone ({@code 2^23 + m − (2^23 + 2^22) = m − 2^22}, exact), then clamped with float
     * min/max (exact on small integers). No int→float conversion and no int mask: with those, C2 on some machines
     * (Zen 4) failed to intrinsify ("missing constant" for the conversion's species) and boxed every vector.
     */
    private static FloatVector quant(FloatVector v, float lo, float hi) {
        return v.add(MAGIC).reinterpretAsInts().and(0x007FFFFF).or(0x4B000000).reinterpretAsFloats().sub(MAGIC)
                .min(hi).max(lo);
    }

    // Lane state between the phases, one float per lane at st[slot·L + k] (a scratch of STATE·L floats). The
    // searches are split into small methods with no vector values across calls, as in KQuantAsymmetricLanes, so
    // that C2 inlines every Vector API call in each of them whatever context they are compiled in.
    private static final int AMAX = 0;
    private static final int MAX = 1;
    private static final int SCALE = 2;
    private static final int BEST = 3;
    private static final int BEST_ISCALE = 4;
    private static final int SUMLX = 5;
    private static final int SUML2 = 6;
    private static final int ACTIVE = 7;
    /** Floats per lane of the state scratch. */
    static final int STATE = 8;

    /** A state scratch for {@link #makeQxQuants} and {@link #makeQ3Quants}. */
    static float[] state() {
        return new float[STATE * L];
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, 1, w)} per lane: scales to {@code scales[so..so+L)}, codes (0..2nmax-1,
     * as floats) to {@code lt[i·L + k]}; {@code st} from {@link #state()}.
     */
    static void makeQxQuants(int n, int nmax, float[] xt, float[] wt, float[] lt, float[] scales, int so,
            float[] st) {
        signedAbsMax(n, xt, st);
        qxFirst(n, nmax, xt, wt, st);
        for (int is = -9; is <= 9; ++is) {
            if (is != 0) {
                qxTry(n, nmax, -(nmax + 0.1f * is), xt, wt, st);
            }
        }
        qxCodes(n, nmax, xt, lt, scales, so, st);
    }

    /** amax = max |x| and max = the x that has it (first one on ties), per lane. */
    private static void signedAbsMax(int n, float[] xt, float[] st) {
        FloatVector amax = FloatVector.zero(F);
        FloatVector max = amax;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        amax.intoArray(st, AMAX * L);
        max.intoArray(st, MAX * L);
    }

    /** Σ w·x·l and Σ w·l·l for the codes of {@code iscale}, into the state. */
    private static void qxSums(int n, int nmax, FloatVector iscale, float[] xt, float[] wt, float[] st) {
        float lo = -nmax;
        float hi = nmax - 1;
        FloatVector sumlx = FloatVector.zero(F);
        FloatVector suml2 = sumlx;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector w = FloatVector.fromArray(F, wt, i * L);
            FloatVector l = quant(iscale.mul(x), lo, hi);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, SUMLX * L);
        suml2.intoArray(st, SUML2 * L);
    }

    private static void qxFirst(int n, int nmax, float[] xt, float[] wt, float[] st) {
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(FloatVector.fromArray(F, st, MAX * L));
        qxSums(n, nmax, iscale, xt, wt, st);
        FloatVector sumlx = FloatVector.fromArray(F, st, SUMLX * L);
        FloatVector suml2 = FloatVector.fromArray(F, st, SUML2 * L);
        FloatVector scale = sumlx.div(suml2).blend(0.0f, suml2.compare(VectorOperators.EQ, 0.0f));
        scale.intoArray(st, SCALE * L);
        scale.mul(sumlx).intoArray(st, BEST * L);
        iscale.intoArray(st, BEST_ISCALE * L);
    }

    /** One scale of the search, {@code iscale = c / max}. */
    private static void qxTry(int n, int nmax, float c, float[] xt, float[] wt, float[] st) {
        FloatVector iscale = FloatVector.broadcast(F, c).div(FloatVector.fromArray(F, st, MAX * L));
        qxSums(n, nmax, iscale, xt, wt, st);
        qxAccept(iscale, st);
    }

    private static void qxAccept(FloatVector iscale, float[] st) {
        FloatVector sumlx = FloatVector.fromArray(F, st, SUMLX * L);
        FloatVector suml2 = FloatVector.fromArray(F, st, SUML2 * L);
        FloatVector best = FloatVector.fromArray(F, st, BEST * L);
        VectorMask<Float> better = suml2.compare(VectorOperators.GT, 0.0f)
                .and(sumlx.mul(sumlx).compare(VectorOperators.GT, best.mul(suml2)));
        FloatVector s = sumlx.div(suml2);
        FloatVector.fromArray(F, st, SCALE * L).blend(s, better).intoArray(st, SCALE * L);
        best.blend(s.mul(sumlx), better).intoArray(st, BEST * L);
        FloatVector.fromArray(F, st, BEST_ISCALE * L).blend(iscale, better).intoArray(st, BEST_ISCALE * L);
    }

    private static void qxCodes(int n, int nmax, float[] xt, float[] lt, float[] scales, int so, float[] st) {
        float lo = -nmax;
        float hi = nmax - 1;
        VectorMask<Float> allZero = FloatVector.fromArray(F, st, AMAX * L).compare(VectorOperators.LT, EPS);
        FloatVector bestIscale = FloatVector.fromArray(F, st, BEST_ISCALE * L);
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            quant(bestIscale.mul(x), lo, hi).add((float) nmax).blend(0.0f, allZero).intoArray(lt, i * L);
        }
        FloatVector.fromArray(F, st, SCALE * L).blend(0.0f, allZero).intoArray(scales, so);
    }

    /**
     * {@code make_q3_quants(n, nmax, x, L, true)} per lane (weights x²); outputs as {@link #makeQxQuants}. The
     * codes are kept as floats inside too (exact small integers), so every mask is a float mask.
     */
    static void makeQ3Quants(int n, int nmax, float[] xt, float[] lt, float[] scales, int so, float[] st) {
        signedAbsMax(n, xt, st);
        boolean active = q3First(n, nmax, xt, lt, st);
        for (int itry = 0; itry < 5 && active; ++itry) {
            active = q3Pass(n, nmax, xt, lt, st);
        }
        q3Finish(n, nmax, lt, scales, so, st);
    }

    /**
     * {@link #makeQ3Quants} for two independent lane groups at once: group A in {@code xt[i·L + k]}, group B in
     * {@code xt[(n + i)·L + k]} (codes likewise in {@code lt}), their scales to {@code scalesA[soA..]} and
     * {@code scalesB[soB..]}; {@code st} from {@link #state2()}. The coordinate-descent pass is one serial chain
     * per group (each accepted code changes the sums the next element divides by), so running two chains in one
     * loop lets the core overlap them. A group whose lanes have all stopped keeps running passes while the other
     * group continues, but with no active lane it changes nothing: every lane's result is that of the
     * one-group routine.
     */
    static void makeQ3Quants2(int n, int nmax, float[] xt, float[] lt, float[] scalesA, int soA, float[] scalesB,
            int soB, float[] st) {
        int sb = STATE * L;
        int xb = n * L;
        signedAbsMax(n, xt, 0, st, 0);
        signedAbsMax(n, xt, xb, st, sb);
        boolean activeA = q3First(n, nmax, xt, 0, lt, st, 0);
        boolean activeB = q3First(n, nmax, xt, xb, lt, st, sb);
        for (int itry = 0; itry < 5 && (activeA || activeB); ++itry) {
            int r = q3Pass2(n, nmax, xt, lt, st);
            activeA = (r & 1) != 0;
            activeB = (r & 2) != 0;
        }
        q3Finish(n, nmax, lt, 0, scalesA, soA, st, 0);
        q3Finish(n, nmax, lt, xb, scalesB, soB, st, sb);
    }

    /** A state scratch for {@link #makeQ3Quants2}; also holds {@code x²} and {@code x²·x} of both groups. */
    static float[] state2() {
        return new float[2 * STATE * L + 4 * 16 * L];
    }

    /**
     * One pass of both groups (see {@link #q3Pass}); bit 0 / bit 1 of the result: whether a lane of group A / B
     * changed a code.
     */
    private static int q3Pass2(int n, int nmax, float[] xt, float[] lt, float[] st) {
        float lo = -nmax;
        float hi = nmax - 1;
        int sb = STATE * L;
        int xb = n * L;
        int wo = 2 * STATE * L;
        int wxo = wo + 2 * n * L;
        FloatVector sumlxA = FloatVector.fromArray(F, st, SUMLX * L);
        FloatVector suml2A = FloatVector.fromArray(F, st, SUML2 * L);
        FloatVector sumlxB = FloatVector.fromArray(F, st, sb + SUMLX * L);
        FloatVector suml2B = FloatVector.fromArray(F, st, sb + SUML2 * L);
        VectorMask<Float> activeA = FloatVector.fromArray(F, st, ACTIVE * L).compare(VectorOperators.NE, 0.0f);
        VectorMask<Float> activeB = FloatVector.fromArray(F, st, sb + ACTIVE * L).compare(VectorOperators.NE, 0.0f);
        FloatVector changedA = FloatVector.zero(F);
        FloatVector changedB = changedA;
        for (int i = 0; i < n; i++) {
            int ia = i * L;
            int ib = xb + ia;
            FloatVector xA = FloatVector.fromArray(F, xt, ia);
            FloatVector xB = FloatVector.fromArray(F, xt, ib);
            FloatVector wA = FloatVector.fromArray(F, st, wo + ia);
            FloatVector wB = FloatVector.fromArray(F, st, wo + ib);
            FloatVector wxA = FloatVector.fromArray(F, st, wxo + ia);
            FloatVector wxB = FloatVector.fromArray(F, st, wxo + ib);
            FloatVector lA = FloatVector.fromArray(F, lt, ia);
            FloatVector lB = FloatVector.fromArray(F, lt, ib);
            FloatVector slxA = sumlxA.sub(wxA.mul(lA));
            FloatVector slxB = sumlxB.sub(wxB.mul(lB));
            VectorMask<Float> posA = slxA.compare(VectorOperators.GT, 0.0f).and(activeA);
            VectorMask<Float> posB = slxB.compare(VectorOperators.GT, 0.0f).and(activeB);
            FloatVector sl2A = suml2A.sub(wA.mul(lA).mul(lA));
            FloatVector sl2B = suml2B.sub(wB.mul(lB).mul(lB));
            // quant(), written out (see q3First)
            FloatVector newA = xA.mul(sl2A).div(slxA).add(MAGIC).reinterpretAsInts().and(0x007FFFFF)
                    .or(0x4B000000).reinterpretAsFloats().sub(MAGIC).min(hi).max(lo);
            FloatVector newB = xB.mul(sl2B).div(slxB).add(MAGIC).reinterpretAsInts().and(0x007FFFFF)
                    .or(0x4B000000).reinterpretAsFloats().sub(MAGIC).min(hi).max(lo);
            VectorMask<Float> differsA = newA.compare(VectorOperators.NE, lA).and(posA);
            VectorMask<Float> differsB = newB.compare(VectorOperators.NE, lB).and(posB);
            slxA = slxA.add(wxA.mul(newA));
            slxB = slxB.add(wxB.mul(newB));
            sl2A = sl2A.add(wA.mul(newA).mul(newA));
            sl2B = sl2B.add(wB.mul(newB).mul(newB));
            VectorMask<Float> acceptA = differsA.and(sl2A.compare(VectorOperators.GT, 0.0f))
                    .and(slxA.mul(slxA).mul(suml2A).compare(VectorOperators.GT, sumlxA.mul(sumlxA).mul(sl2A)));
            VectorMask<Float> acceptB = differsB.and(sl2B.compare(VectorOperators.GT, 0.0f))
                    .and(slxB.mul(slxB).mul(suml2B).compare(VectorOperators.GT, sumlxB.mul(sumlxB).mul(sl2B)));
            lA.blend(newA, acceptA).intoArray(lt, ia);
            lB.blend(newB, acceptB).intoArray(lt, ib);
            sumlxA = sumlxA.blend(slxA, acceptA);
            sumlxB = sumlxB.blend(slxB, acceptB);
            suml2A = suml2A.blend(sl2A, acceptA);
            suml2B = suml2B.blend(sl2B, acceptB);
            changedA = changedA.blend(1.0f, acceptA);
            changedB = changedB.blend(1.0f, acceptB);
        }
        sumlxA.intoArray(st, SUMLX * L);
        suml2A.intoArray(st, SUML2 * L);
        sumlxB.intoArray(st, sb + SUMLX * L);
        suml2B.intoArray(st, sb + SUML2 * L);
        VectorMask<Float> stillA = activeA.and(changedA.compare(VectorOperators.NE, 0.0f));
        VectorMask<Float> stillB = activeB.and(changedB.compare(VectorOperators.NE, 0.0f));
        FloatVector.zero(F).blend(1.0f, stillA).intoArray(st, ACTIVE * L);
        FloatVector.zero(F).blend(1.0f, stillB).intoArray(st, sb + ACTIVE * L);
        return (stillA.anyTrue() ? 1 : 0) | (stillB.anyTrue() ? 2 : 0);
    }

    /**
     * {@link #q3First} for the group at {@code xt[xo..]} with state at {@code st[so..]}; also stores {@code w = x²}
     * and {@code w·x} at {@code st[2·STATE·L + xo..]} and {@code st[2·STATE·L + 2n·L + xo..]} (state2 layout).
     */
    private static boolean q3First(int n, int nmax, float[] xt, int xo, float[] lt, float[] st, int so) {
        float lo = -nmax;
        float hi = nmax - 1;
        int wo = 2 * STATE * L + xo;
        int wxo = wo + 2 * n * L;
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(FloatVector.fromArray(F, st, so + MAX * L));
        FloatVector sumlx = FloatVector.zero(F);
        FloatVector suml2 = sumlx;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, xo + i * L);
            FloatVector w = x.mul(x);
            FloatVector wx = w.mul(x);
            w.intoArray(st, wo + i * L);
            wx.intoArray(st, wxo + i * L);
            // quant(), written out: a call here was not always inlined (boxed vectors)
            FloatVector l = iscale.mul(x).add(MAGIC).reinterpretAsInts().and(0x007FFFFF).or(0x4B000000)
                    .reinterpretAsFloats().sub(MAGIC).min(hi).max(lo);
            l.intoArray(lt, xo + i * L);
            sumlx = sumlx.add(wx.mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, so + SUMLX * L);
        suml2.intoArray(st, so + SUML2 * L);
        VectorMask<Float> active = FloatVector.fromArray(F, st, so + AMAX * L).compare(VectorOperators.LT, EPS).not();
        FloatVector.zero(F).blend(1.0f, active).intoArray(st, so + ACTIVE * L);
        return active.anyTrue();
    }

    /** {@link #signedAbsMax} of the group at {@code xt[xo..]} into {@code st[so..]}. */
    private static void signedAbsMax(int n, float[] xt, int xo, float[] st, int so) {
        FloatVector amax = FloatVector.zero(F);
        FloatVector max = amax;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, xo + i * L);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        amax.intoArray(st, so + AMAX * L);
        max.intoArray(st, so + MAX * L);
    }

    /** {@link #q3Finish} of the group at {@code lt[xo..]} with state at {@code st[so..]}. */
    private static void q3Finish(int n, int nmax, float[] lt, int xo, float[] scales, int sc, float[] st, int so) {
        VectorMask<Float> allZero = FloatVector.fromArray(F, st, so + AMAX * L).compare(VectorOperators.LT, EPS);
        FloatVector off = FloatVector.broadcast(F, (float) nmax).blend(0.0f, allZero);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, lt, xo + i * L).add(off).blend(0.0f, allZero).intoArray(lt, xo + i * L);
        }
        FloatVector sumlx = FloatVector.fromArray(F, st, so + SUMLX * L);
        FloatVector suml2 = FloatVector.fromArray(F, st, so + SUML2 * L);
        FloatVector scale = sumlx.div(suml2).blend(0.0f, suml2.compare(VectorOperators.GT, 0.0f).not());
        scale.blend(0.0f, allZero).intoArray(scales, sc);
    }

    /** Initial codes (−nmax..nmax−1) and sums; returns whether any lane is not all zero. */
    private static boolean q3First(int n, int nmax, float[] xt, float[] lt, float[] st) {
        float lo = -nmax;
        float hi = nmax - 1;
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(FloatVector.fromArray(F, st, MAX * L));
        FloatVector sumlx = FloatVector.zero(F);
        FloatVector suml2 = sumlx;
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector w = x.mul(x);
            FloatVector l = quant(iscale.mul(x), lo, hi);
            l.intoArray(lt, i * L);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, SUMLX * L);
        suml2.intoArray(st, SUML2 * L);
        VectorMask<Float> active = FloatVector.fromArray(F, st, AMAX * L).compare(VectorOperators.LT, EPS).not();
        FloatVector.zero(F).blend(1.0f, active).intoArray(st, ACTIVE * L);
        return active.anyTrue();
    }

    /** One coordinate-descent pass over the active lanes; returns whether any lane changed a code. */
    private static boolean q3Pass(int n, int nmax, float[] xt, float[] lt, float[] st) {
        float lo = -nmax;
        float hi = nmax - 1;
        FloatVector sumlx = FloatVector.fromArray(F, st, SUMLX * L);
        FloatVector suml2 = FloatVector.fromArray(F, st, SUML2 * L);
        VectorMask<Float> active = FloatVector.fromArray(F, st, ACTIVE * L).compare(VectorOperators.NE, 0.0f);
        FloatVector changed = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * L);
            FloatVector w = x.mul(x);
            FloatVector l = FloatVector.fromArray(F, lt, i * L);
            FloatVector slx = sumlx.sub(w.mul(x).mul(l));
            VectorMask<Float> pos = slx.compare(VectorOperators.GT, 0.0f).and(active);
            FloatVector sl2 = suml2.sub(w.mul(l).mul(l));
            FloatVector newL = quant(x.mul(sl2).div(slx), lo, hi);
            VectorMask<Float> differs = newL.compare(VectorOperators.NE, l).and(pos);
            slx = slx.add(w.mul(x).mul(newL));
            sl2 = sl2.add(w.mul(newL).mul(newL));
            VectorMask<Float> accept = differs.and(sl2.compare(VectorOperators.GT, 0.0f))
                    .and(slx.mul(slx).mul(suml2).compare(VectorOperators.GT, sumlx.mul(sumlx).mul(sl2)));
            l.blend(newL, accept).intoArray(lt, i * L);
            sumlx = sumlx.blend(slx, accept);
            suml2 = suml2.blend(sl2, accept);
            changed = changed.blend(1.0f, accept);
        }
        sumlx.intoArray(st, SUMLX * L);
        suml2.intoArray(st, SUML2 * L);
        VectorMask<Float> still = active.and(changed.compare(VectorOperators.NE, 0.0f));
        FloatVector.zero(F).blend(1.0f, still).intoArray(st, ACTIVE * L);
        return still.anyTrue();
    }

    private static void q3Finish(int n, int nmax, float[] lt, float[] scales, int so, float[] st) {
        VectorMask<Float> allZero = FloatVector.fromArray(F, st, AMAX * L).compare(VectorOperators.LT, EPS);
        FloatVector off = FloatVector.broadcast(F, (float) nmax).blend(0.0f, allZero);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, lt, i * L).add(off).blend(0.0f, allZero).intoArray(lt, i * L);
        }
        FloatVector sumlx = FloatVector.fromArray(F, st, SUMLX * L);
        FloatVector suml2 = FloatVector.fromArray(F, st, SUML2 * L);
        FloatVector scale = sumlx.div(suml2).blend(0.0f, suml2.compare(VectorOperators.GT, 0.0f).not());
        scale.blend(0.0f, allZero).intoArray(scales, so);
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
