package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.Q4_1Scalar;
import io.weightcast.core.codec.scalar.LegacyImatrixMath;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Q4_1 with the Vector API, byte-identical to {@link Q4_1Scalar}. min/max are integer reductions over
 * order-preserving bit patterns; blocks whose min or max is ±0, NaN or ±inf (where ggml's strict compares and
 * ±FLT_MAX start values matter) and blocks whose scale reciprocal overflows run the scalar code.
 */
final class Q4_1Vector extends BlockCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 20;

    // Two-block kernel (16 lanes only): lanes i ^ 8, i ^ 4, i ^ 2, i ^ 1, and the blend masks of its reduction.
    private static final boolean PAIRS = L == 16;
    private static final VectorShuffle<Integer> SW8 = xorShuffle(8);
    private static final VectorShuffle<Integer> SW4 = xorShuffle(4);
    private static final VectorShuffle<Integer> SW2 = xorShuffle(2);
    private static final VectorShuffle<Integer> SW1 = xorShuffle(1);
    private static final VectorMask<Integer> HI8 = VectorMask.fromLong(I, 0xFF00L);
    private static final VectorMask<Integer> ODD4 = VectorMask.fromLong(I, 0xF0F0L);

    private static VectorShuffle<Integer> xorShuffle(int k) {
        int[] ix = new int[L];
        for (int i = 0; i < L; i++) {
            ix[i] = (i ^ k) & (L - 1);
        }
        return VectorShuffle.fromArray(I, ix, 0);
    }

    Q4_1Vector() {
        super(DType.Q4_1, "vector");
    }

    @Override
    public boolean usesImportance() {
        return true;
    }

    /**
     * With an importance matrix: ggml's {@code quantize_row_<type>_impl}, see {@link LegacyImatrixMath}; the
     * searches run across lanes ({@link LegacyImatrixLanes}).
     */
    @Override
    public void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        if (importance == null) {
            encode(src, srcOffset, Math.multiplyExact(rows, rowLength), dst, dstOffset);
        } else {
            LegacyImatrixLanes.encodeRows(type(), src, srcOffset, rows, rowLength, importance, dst, dstOffset);
        }
    }

    static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        long mm = Blocks.minMaxBits(x, o, QK);
        float min = Float.intBitsToFloat((int) mm);
        float max = Float.intBitsToFloat((int) (mm >>> 32));
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (Blocks.awkward(min) || Blocks.awkward(max) || !Float.isFinite(d) || Float.isInfinite(id)) {
            Q4_1Scalar.encodeBlock(x, o, y, p);
            return;
        }
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        y.set(LE_SHORT, p + 2, Fp16.fromFloat(min));
        for (int c = 0; c < QK / 2; c += L) {
            IntVector lo = (IntVector) FloatVector.fromArray(F, x, o + c).sub(min).mul(id).add(0.5f)
                    .convert(VectorOperators.F2I, 0);
            IntVector hi = (IntVector) FloatVector.fromArray(F, x, o + QK / 2 + c).sub(min).mul(id).add(0.5f)
                    .convert(VectorOperators.F2I, 0);
            IntVector q = lo.min(15).or(hi.min(15).lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 4 + c, LE);
        }
    }

    /**
     * Two blocks at {@code o} and {@code o + 32} (16 lanes): one vector per half-block, and the four reductions
     * (min and max of each block, the max as the min of the complemented order-preserving bits) folded into one
     * vector: after the steps below lanes 0, 4, 8 and 12 hold block 0's min, block 1's min, ~block 0's max and
     * ~block 1's max.
     */
    static void encodePair(float[] x, int o, MemorySegment y, long p) {
        FloatVector a0 = FloatVector.fromArray(F, x, o);
        FloatVector a1 = FloatVector.fromArray(F, x, o + 16);
        FloatVector b0 = FloatVector.fromArray(F, x, o + 32);
        FloatVector b1 = FloatVector.fromArray(F, x, o + 48);
        IntVector sa0 = Blocks.sortable(a0.reinterpretAsInts());
        IntVector sa1 = Blocks.sortable(a1.reinterpretAsInts());
        IntVector sb0 = Blocks.sortable(b0.reinterpretAsInts());
        IntVector sb1 = Blocks.sortable(b1.reinterpretAsInts());
        IntVector mnA = sa0.min(sa1);
        IntVector mxA = sa0.max(sa1).not();
        IntVector mnB = sb0.min(sb1);
        IntVector mxB = sb0.max(sb1).not();
        int minA = mnA.reduceLanes(VectorOperators.MIN);
        int minB = mnB.reduceLanes(VectorOperators.MIN);
        int maxA = ~mxA.reduceLanes(VectorOperators.MIN);
        int maxB = ~mxB.reduceLanes(VectorOperators.MIN);
        float mA = Float.intBitsToFloat(Blocks.sortable(minA));
        float mB = Float.intBitsToFloat(Blocks.sortable(minB));
        float xA = Float.intBitsToFloat(Blocks.sortable(maxA));
        float xB = Float.intBitsToFloat(Blocks.sortable(maxB));
        float dA = (xA - mA) / 15;
        float dB = (xB - mB) / 15;
        float idA = dA != 0 ? 1.0f / dA : 0.0f;
        float idB = dB != 0 ? 1.0f / dB : 0.0f;
        if (Blocks.awkward(mA) || Blocks.awkward(xA) || !(dA >= Float.MIN_NORMAL) || !Float.isFinite(dA)
                || Float.isInfinite(idA) || Blocks.awkward(mB) || Blocks.awkward(xB) || !(dB >= Float.MIN_NORMAL)
                || !Float.isFinite(dB) || Float.isInfinite(idB)) {
            encodeBlock(x, o, y, p);
            encodeBlock(x, o + QK, y, p + BLOCK_BYTES);
            return;
        }
        y.set(LE_INT, p, (Fp16.fromFloat(dA) & 0xFFFF) | (Fp16.fromFloat(mA) << 16));
        y.set(LE_INT, p + BLOCK_BYTES, (Fp16.fromFloat(dB) & 0xFFFF) | (Fp16.fromFloat(mB) << 16));
        IntVector qa0 = (IntVector) a0.sub(mA).mul(idA).add(0.5f).convert(VectorOperators.F2I, 0);
        IntVector qa1 = (IntVector) a1.sub(mA).mul(idA).add(0.5f).convert(VectorOperators.F2I, 0);
        IntVector qb0 = (IntVector) b0.sub(mB).mul(idB).add(0.5f).convert(VectorOperators.F2I, 0);
        IntVector qb1 = (IntVector) b1.sub(mB).mul(idB).add(0.5f).convert(VectorOperators.F2I, 0);
        IntVector qa = qa0.or(qa1.lanewise(VectorOperators.LSHL, 4));
        IntVector qb = qb0.or(qb1.lanewise(VectorOperators.LSHL, 4));
        ((ByteVector) qa.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 4, LE);
        ((ByteVector) qb.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + BLOCK_BYTES + 4, LE);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        int i = 0;
        if (PAIRS) {
            for (; i + 1 < blocks; i += 2) {
                encodePair(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
            }
        }
        for (; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK;
            float d = Fp16.toFloat(src.get(LE_SHORT, p));
            float m = Fp16.toFloat(src.get(LE_SHORT, p + 2));
            for (int c = 0; c < QK / 2; c += L) {
                IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, src, p + 4 + c, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
                IntVector x0 = q.and(0x0F);
                IntVector x1 = q.lanewise(VectorOperators.LSHR, 4);
                ((FloatVector) x0.convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, o + c);
                ((FloatVector) x1.convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, o + QK / 2 + c);
            }
        }
    }
}
