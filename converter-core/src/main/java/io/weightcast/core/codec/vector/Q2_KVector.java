package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.KQuantAsymmetric;
import io.weightcast.core.codec.scalar.Q2_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K with the Vector API, byte-identical to {@link Q2_KScalar}: the 16 sub-block searches of a super-block run
 * one per lane in {@link KQuantAsymmetricLanes} (16/L steps), the four-bit scale quantization in the reference's scalar
 * code, the re-quantization with the fp16 scales and the packing element-wise within the block.
 */
final class Q2_KVector extends BlockCodec {

    private static final int BLOCK_BYTES = 84;

    Q2_KVector() {
        super(DType.Q2_K, "vector");
    }

    @Override
    public boolean usesImportance() {
        return true;
    }

    /** Per-call work arrays. */
    private static final class Work {
        final KQuantAsymmetricLanes lanes = new KQuantAsymmetricLanes(16);
        final int[] codes = new int[QK_K];
        final float[] scales = new float[16];
        final float[] mins = new float[16];
        final float[] sw = new float[16];
        final int[] ls = new int[16];
        final int[] lm = new int[16];
        final int[] sc = new int[16];
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        run(src, srcOffset, blocks, null, dst, dstOffset, new Work());
    }

    @Override
    public void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        Work w = new Work();
        io.weightcast.core.codec.WeightedBlockCodec.encodeRows(this, src, srcOffset, rows, rowLength, importance, dst, dstOffset,
                (x, xo, blocks, qw, y, p) -> run(x, xo, blocks, qw, y, p, w));
    }

    private static void run(float[] x, int o, int blocks, float[] qw, MemorySegment y, long p, Work w) {
        KQuantAsymmetricLanes lanes = w.lanes;
        for (int b = 0; b < blocks; b++) {
            int ob = o + b * QK_K;
            long pb = p + (long) b * BLOCK_BYTES;
            if (!Blocks.allFinite(x, ob, QK_K)) {
                // NaN/inf: NaN payloads depend on operand order; the scalar reference follows the C order
                if (qw == null) {
                    Q2_KScalar.encodeBlock(x, ob, y, pb);
                } else {
                    Q2_KScalar.encodeBlockWeighted(x, ob, qw, b * QK_K, y, pb);
                }
                continue;
            }
            if (qw != null) {
                float sumX2 = 0;
                for (int j = 0; j < QK_K; j++) {
                    sumX2 += x[ob + j] * x[ob + j];
                }
                java.util.Arrays.fill(lanes.sigma2, sumX2 / QK_K);
            }
            for (int g = 0; g < 16; g += L) {
                int cnt = Math.min(L, 16 - g);
                if (qw == null) {
                    lanes.fit(x, ob + 16 * g, cnt, KQuantAsymmetricLanes.W_ABS, null, 0, 3, -0.5f, 0.1f, 15, true, false);
                } else {
                    lanes.fit(x, ob + 16 * g, cnt, KQuantAsymmetricLanes.W_IMATRIX, qw, b * QK_K + 16 * g, 3, -0.9f, 0.05f, 36,
                            false, true);
                }
                System.arraycopy(lanes.scale, 0, w.scales, g, cnt);
                System.arraycopy(lanes.theMin, 0, w.mins, g, cnt);
                System.arraycopy(lanes.sw, 0, w.sw, g, cnt);
                System.arraycopy(lanes.codes, 0, w.codes, 16 * g, 16 * cnt);
            }
            finish(x, ob, y, pb, w, qw != null);
        }
    }

    private static void finish(float[] x, int o, MemorySegment y, long p, Work w, boolean weighted) {
        short dh, mh;
        if (!weighted) {
            final float q4scale = 15.0f;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                if (w.scales[j] > maxScale) {
                    maxScale = w.scales[j];
                }
                if (w.mins[j] > maxMin) {
                    maxMin = w.mins[j];
                }
            }
            if (maxScale > 0) {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; j++) {
                    w.sc[j] = GgmlRounding.nearestInt(iscale * w.scales[j]) & 0xFF;
                }
                dh = Fp16.fromFloat(maxScale / q4scale);
            } else {
                java.util.Arrays.fill(w.sc, 0);
                dh = Fp16.fromFloat(0.0f);
            }
            if (maxMin > 0) {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; j++) {
                    w.sc[j] = (w.sc[j] | (GgmlRounding.nearestInt(iscale * w.mins[j]) << 4)) & 0xFF;
                }
                mh = Fp16.fromFloat(maxMin / q4scale);
            } else {
                mh = Fp16.fromFloat(0.0f);
            }
        } else {
            float dm = KQuantAsymmetric.makeQp(16, 15, w.scales, w.ls, w.sw);
            float mm = KQuantAsymmetric.makeQp(16, 15, w.mins, w.lm, w.sw);
            for (int j = 0; j < 16; j++) {
                w.sc[j] = (w.ls[j] | (w.lm[j] << 4)) & 0xFF;
            }
            dh = Fp16.fromFloat(dm);
            mh = Fp16.fromFloat(mm);
        }
        for (int j = 0; j < 16; j++) {
            y.set(BYTE, p + j, (byte) w.sc[j]);
        }
        y.set(LE_SHORT, p + 80, dh);
        y.set(LE_SHORT, p + 82, mh);
        float dAll = Fp16.toFloat(dh);
        float mAll = Fp16.toFloat(mh);
        for (int j = 0; j < 16; j++) {
            float d = dAll * (w.sc[j] & 0xF);
            if (d == 0) {
                continue; // keep the search's codes
            }
            float dm = mAll * (w.sc[j] >> 4);
            for (int c = 0; c < 16; c += L) {
                FloatVector v = FloatVector.fromArray(F, x, o + 16 * j + c).add(dm).div(d);
                KQuantLanes.nearestInt(v).max(0).min(3).intoArray(w.codes, 16 * j + c);
            }
        }
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l += L) {
                int e = 128 * h + l;
                IntVector q = IntVector.fromArray(I, w.codes, e)
                        .or(IntVector.fromArray(I, w.codes, e + 32).lanewise(VectorOperators.LSHL, 2))
                        .or(IntVector.fromArray(I, w.codes, e + 64).lanewise(VectorOperators.LSHL, 4))
                        .or(IntVector.fromArray(I, w.codes, e + 96).lanewise(VectorOperators.LSHL, 6));
                ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 16 + 32 * h + l, LE);
            }
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK_K;
            float d = Fp16.toFloat(src.get(LE_SHORT, p + 80));
            float min = Fp16.toFloat(src.get(LE_SHORT, p + 82));
            for (int e = 0; e < QK_K; e += 16) {
                int sc = src.get(BYTE, p + e / 16) & 0xFF;
                float dl = d * (sc & 0xF);
                float ml = min * (sc >> 4);
                int shift = 2 * ((e % 128) / 32);
                long qo = p + 16 + 32 * (e / 128) + (e % 32);
                for (int c = 0; c < 16; c += L) {
                    IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, src, qo + c, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, shift).and(3);
                    ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(dl).sub(ml).intoArray(dst, o + e + c);
                }
            }
        }
    }
}
