package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.KQuantAsymmetric;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The Vector API encoder shared by Q4_K and Q5_K (8 sub-blocks of 32, six-bit scales and mins packed as
 * {@code get_scale_min_k4} reads them): the sub-block searches run across sub-blocks in {@link KQuantAsymmetricLanes}
 * ({@code L/8} super-blocks per step), the six-bit scale quantization per super-block in scalar code (the same
 * code as the reference), and the element re-quantization with the fp16 scales within each block, where it is
 * element-wise. Subclasses give the code range and the packing.
 */
abstract class K4ScaleMinVector extends BlockCodec {

    private final int nmax;
    private final float refRmin;
    private final int refNstep;
    private final boolean clampWeighted;

    /**
     * @param clampWeighted whether the imatrix path clamps make_qp_quants' codes with {@code MIN(63, ·)} before
     *     packing (Q5_K does, Q4_K does not)
     */
    K4ScaleMinVector(DType type, int nmax, float refRmin, int refNstep, boolean clampWeighted) {
        super(type, "vector");
        this.nmax = nmax;
        this.refRmin = refRmin;
        this.refNstep = refNstep;
        this.clampWeighted = clampWeighted;
    }

    @Override
    public final boolean usesImportance() {
        return true;
    }

    /** Per-call work arrays. */
    static final class Work {
        final KQuantAsymmetricLanes lanes = new KQuantAsymmetricLanes(32);
        final int[] codes = new int[QK_K];
        final int[] q = new int[12];
        final float[] scales = new float[8];
        final float[] mins = new float[8];
        final float[] sw = new float[8];
        final int[] ls = new int[8];
        final int[] lm = new int[8];
    }

    @Override
    protected final void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        run(src, srcOffset, blocks, null, dst, dstOffset, new Work());
    }

    @Override
    public final void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        Work w = new Work();
        io.weightcast.core.codec.WeightedBlockCodec.encodeRows(this, src, srcOffset, rows, rowLength, importance, dst, dstOffset,
                (x, xo, blocks, qw, y, p) -> run(x, xo, blocks, qw, y, p, w));
    }

    /** Encodes {@code blocks} super-blocks; with {@code qw} (the row's importance) the imatrix path. */
    private void run(float[] x, int o, int blocks, float[] qw, MemorySegment y, long p, Work w) {
        int bb = type().blockBytes();
        int batch = Math.max(1, L / 8);
        KQuantAsymmetricLanes lanes = w.lanes;
        for (int b0 = 0; b0 < blocks; b0 += batch) {
            int cnt = Math.min(batch, blocks - b0);
            int ob = o + b0 * QK_K;
            if (!Blocks.allFinite(x, ob, cnt * QK_K)) {
                // NaN/inf: which NaN payload an operation propagates depends on operand order, which ggml's and
                // the lanes' code need not share; the scalar reference follows the C order
                for (int s = 0; s < cnt; s++) {
                    scalar(x, ob + s * QK_K, qw, (b0 + s) * QK_K, y, p + (long) (b0 + s) * bb);
                }
                continue;
            }
            if (qw == null) {
                lanes.fit(x, ob, cnt * 8, KQuantAsymmetricLanes.W_RMS_PLUS_ABS, null, 0, nmax, refRmin, 0.1f, refNstep, false,
                        false);
            } else {
                for (int s = 0; s < cnt; s++) {
                    float sumX2 = 0;
                    int os = ob + s * QK_K;
                    for (int l = 0; l < QK_K; l++) {
                        sumX2 += x[os + l] * x[os + l];
                    }
                    float sigma2 = 2 * sumX2 / QK_K;
                    for (int j = 0; j < 8; j++) {
                        lanes.sigma2[8 * s + j] = sigma2;
                    }
                }
                lanes.fit(x, ob, cnt * 8, KQuantAsymmetricLanes.W_IMATRIX, qw, b0 * QK_K, nmax, -0.9f, 0.05f, 36, false, true);
            }
            for (int s = 0; s < cnt; s++) {
                finish(x, ob + s * QK_K, y, p + (long) (b0 + s) * bb, w, 8 * s, qw != null);
            }
        }
    }

    private void finish(float[] x, int o, MemorySegment y, long p, Work w, int lane0, boolean weighted) {
        KQuantAsymmetricLanes lanes = w.lanes;
        short dh, mh;
        if (!weighted) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sc = lanes.scale[lane0 + j];
                float mn = lanes.theMin[lane0 + j];
                if (sc > maxScale) {
                    maxScale = sc;
                }
                if (mn > maxMin) {
                    maxMin = mn;
                }
            }
            float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
            float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, GgmlRounding.nearestInt(invScale * lanes.scale[lane0 + j]) & 0xFF);
                int lm = Math.min(63, GgmlRounding.nearestInt(invMin * lanes.theMin[lane0 + j]) & 0xFF);
                KQuantAsymmetric.packScaleMinK4(w.q, j, ls, lm);
            }
            dh = Fp16.fromFloat(maxScale / 63.0f);
            mh = Fp16.fromFloat(maxMin / 63.0f);
        } else {
            System.arraycopy(lanes.scale, lane0, w.scales, 0, 8);
            System.arraycopy(lanes.theMin, lane0, w.mins, 0, 8);
            System.arraycopy(lanes.sw, lane0, w.sw, 0, 8);
            float dBlock = KQuantAsymmetric.makeQp(8, 63, w.scales, w.ls, w.sw);
            float mBlock = KQuantAsymmetric.makeQp(8, 63, w.mins, w.lm, w.sw);
            for (int j = 0; j < 8; j++) {
                int ls = clampWeighted ? Math.min(63, w.ls[j]) : w.ls[j];
                int lm = clampWeighted ? Math.min(63, w.lm[j]) : w.lm[j];
                KQuantAsymmetric.packScaleMinK4(w.q, j, ls, lm);
            }
            dh = Fp16.fromFloat(dBlock);
            mh = Fp16.fromFloat(mBlock);
        }
        y.set(LE_SHORT, p, dh);
        y.set(LE_SHORT, p + 2, mh);
        for (int k = 0; k < 12; k++) {
            y.set(BYTE, p + 4 + k, (byte) w.q[k]);
        }
        float dAll = Fp16.toFloat(dh);
        float mAll = Fp16.toFloat(mh);
        for (int j = 0; j < 8; j++) {
            float d = dAll * KQuantAsymmetric.scaleK4(j, w.q);
            if (d == 0) {
                System.arraycopy(lanes.codes, (lane0 + j) * 32, w.codes, 32 * j, 32);
                continue;
            }
            float dm = mAll * KQuantAsymmetric.minK4(j, w.q);
            for (int c = 0; c < 32; c += L) {
                FloatVector v = FloatVector.fromArray(F, x, o + 32 * j + c).add(dm).div(d);
                KQuantLanes.nearestInt(v).max(0).min(nmax).intoArray(w.codes, 32 * j + c);
            }
        }
        pack(w.codes, y, p);
    }

    /** The scalar reference for one super-block: {@code qw == null} for the no-imatrix path. */
    abstract void scalar(float[] x, int o, float[] qw, int qo, MemorySegment y, long p);

    /** Packs the 256 codes (0..nmax) after the 16-byte header. */
    abstract void pack(int[] codes, MemorySegment y, long p);

    /**
     * {@code get_scale_min_k4} for all 8 sub-blocks of the block at {@code p} (scale bytes at {@code p + 4}), in
     * branch-free loops: a per-sub-block {@code j < 4} branch inside the decode loop made C2's profiled loop
     * predication trap and recompile again and again.
     */
    static void unpackScales(MemorySegment src, long p, int[] sc, int[] mn) {
        for (int j = 0; j < 4; j++) {
            sc[j] = src.get(BYTE, p + 4 + j) & 63;
            mn[j] = src.get(BYTE, p + 8 + j) & 63;
        }
        for (int j = 4; j < 8; j++) {
            int hi = src.get(BYTE, p + 8 + j) & 0xFF;
            sc[j] = (hi & 0xF) | (((src.get(BYTE, p + j) & 0xFF) >> 6) << 4);
            mn[j] = (hi >> 4) | (((src.get(BYTE, p + 4 + j) & 0xFF) >> 6) << 4);
        }
    }

    static IntVector codes(int[] codes, int i) {
        return IntVector.fromArray(I, codes, i);
    }
}
