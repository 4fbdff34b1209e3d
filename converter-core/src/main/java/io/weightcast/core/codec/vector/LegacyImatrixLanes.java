package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.scalar.LegacyImatrixMath;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The imatrix encoders of Q4_0, Q5_0, Q4_1 and Q5_1 ({@link LegacyImatrixMath}) with the searches across lanes:
 * L blocks of 32 of one row, one block per lane, go through {@link KQuantLanes#makeQxQuants} ({@code make_qx_quants},
 * Q4_0 nmax 8, Q5_0 nmax 16) or {@link KQuantAsymmetricLanes} ({@code make_qkx3_quants}, Q4_1 nmax 15, Q5_1 nmax
 * 31), and are packed by the scalar code's {@link LegacyImatrixMath#pack}; byte-identical to the scalar path.
 * σ² is the scalar's sequential row sum; the weights {@code qw·√(σ² + x²)} are the same IEEE operations per
 * element, a lane per element. Groups with a NaN or an infinity in x or in the weights take the scalar code.
 */
final class LegacyImatrixLanes {

    private static final int QK = 32;

    private final DType type;
    private final int bb;
    private final float[] w;
    private final float[] xt = new float[QK * L];
    private final float[] wt = new float[QK * L];
    private final float[] lt = new float[QK * L];
    private final float[] st = KQuantLanes.state();
    private final float[] scales = new float[L];
    private final int[] codes = new int[QK];
    private final KQuantAsymmetricLanes asym;
    private final LegacyImatrixMath.Scratch scalar = new LegacyImatrixMath.Scratch();

    private LegacyImatrixLanes(DType type, int rowLength) {
        this.type = type;
        this.bb = type.blockBytes();
        this.w = new float[rowLength];
        this.asym = type == DType.Q4_1 || type == DType.Q5_1 ? new KQuantAsymmetricLanes(QK) : null;
    }

    /** As {@link LegacyImatrixMath#encodeRows}, byte for byte. */
    static void encodeRows(DType type, float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        LegacyImatrixMath.checkRows(type, src, srcOffset, rows, rowLength, importance, dst, dstOffset);
        LegacyImatrixLanes work = new LegacyImatrixLanes(type, rowLength);
        int nb = rowLength / QK;
        for (int r = 0; r < rows; r++) {
            work.row(src, srcOffset + r * rowLength, rowLength, importance, dst,
                    dstOffset + (long) r * nb * work.bb);
        }
    }

    private void row(float[] src, int x0, int rowLength, float[] importance, MemorySegment dst, long p) {
        float sigma2 = LegacyImatrixMath.sigma2(src, x0, rowLength);
        weights(src, x0, rowLength, importance, sigma2);
        int nb = rowLength / QK;
        for (int b = 0; b < nb; b += L) {
            int cnt = Math.min(L, nb - b);
            int xb = x0 + QK * b;
            long pb = p + (long) b * bb;
            if (!Blocks.allFinite(src, xb, QK * cnt) || !Blocks.allFinite(w, QK * b, QK * cnt)) {
                scalarBlocks(src, xb, b, cnt, importance, sigma2, dst, pb);
            } else if (asym != null) {
                asymmetric(src, xb, b, cnt, dst, pb);
            } else {
                symmetric(src, xb, b, cnt, dst, pb);
            }
        }
    }

    /** {@code w[j] = qw[j]·sqrt(σ² + x²)} for the row (L divides 32, so the row is whole vectors). */
    private void weights(float[] src, int x0, int rowLength, float[] importance, float sigma2) {
        FloatVector s2 = FloatVector.broadcast(F, sigma2);
        for (int j = 0; j < rowLength; j += L) {
            FloatVector x = FloatVector.fromArray(F, src, x0 + j);
            FloatVector.fromArray(F, importance, j).mul(s2.add(x.mul(x)).sqrt()).intoArray(w, j);
        }
    }

    /** Q4_0/Q5_0: {@code make_qx_quants(32, nmax, x, L, 1, w)} per lane. */
    private void symmetric(float[] src, int xb, int b, int cnt, MemorySegment dst, long p) {
        transpose(src, xb, b, cnt);
        KQuantLanes.makeQxQuants(QK, type == DType.Q4_0 ? 8 : 16, xt, wt, lt, scales, 0, st);
        for (int k = 0; k < cnt; k++) {
            for (int i = 0; i < QK; i++) {
                codes[i] = (int) lt[i * L + k];
            }
            LegacyImatrixMath.pack(type, scales[k], 0, codes, 0, dst, p + (long) k * bb);
        }
    }

    /** Q4_1/Q5_1: {@code make_qkx3_quants(32, nmax, x, w, L, &min, Laux, -0.9, 0.05, 36, false)} per lane. */
    private void asymmetric(float[] src, int xb, int b, int cnt, MemorySegment dst, long p) {
        KQuantAsymmetricLanes a = asym;
        a.fit(src, xb, cnt, KQuantAsymmetricLanes.W_GIVEN, w, QK * b, type == DType.Q4_1 ? 15 : 31, -0.9f, 0.05f,
                36, false, true);
        for (int k = 0; k < cnt; k++) {
            LegacyImatrixMath.pack(type, a.scale[k], a.theMin[k], a.codes, QK * k, dst, p + (long) k * bb);
        }
    }

    /** Blocks b..b+cnt of the row into xt/wt ({@code [i·L + lane]}), lanes from cnt on zero. */
    private void transpose(float[] src, int xb, int b, int cnt) {
        for (int k = 0; k < L; k++) {
            if (k < cnt) {
                int xo = xb + QK * k;
                int wo = QK * (b + k);
                for (int i = 0; i < QK; i++) {
                    xt[i * L + k] = src[xo + i];
                    wt[i * L + k] = w[wo + i];
                }
            } else {
                for (int i = 0; i < QK; i++) {
                    xt[i * L + k] = 0f;
                    wt[i * L + k] = 0f;
                }
            }
        }
    }

    /** The scalar code, weights recomputed as the scalar does (NaN payloads and all). */
    private void scalarBlocks(float[] src, int xb, int b, int cnt, float[] importance, float sigma2,
            MemorySegment dst, long p) {
        float[] weight = scalar.weight;
        for (int s = 0; s < cnt; s++) {
            int xo = xb + QK * s;
            int io = QK * (b + s);
            for (int j = 0; j < QK; ++j) {
                float v = src[xo + j];
                weight[j] = importance[io + j] * (float) Math.sqrt(sigma2 + v * v);
            }
            LegacyImatrixMath.encodeBlock(type, src, xo, weight, 0, dst, p + (long) s * bb, scalar);
        }
    }
}
