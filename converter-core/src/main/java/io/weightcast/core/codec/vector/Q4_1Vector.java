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
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1 with the Vector API, byte-identical to {@link Q4_1Scalar}. min/max are integer reductions over
 * order-preserving bit patterns; blocks whose min or max is ±0, NaN or ±inf (where ggml's strict compares and
 * ±FLT_MAX start values matter) and blocks whose scale reciprocal overflows run the scalar code.
 */
final class Q4_1Vector extends BlockCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 20;

    /** Whether {@link #encodePairs} runs: 16 lanes, one vector per half-block. */
    private static final boolean PAIRS = L == 16;

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
     * Blocks {@code 0 .. pairs * 2} two at a time (16 lanes): one vector per half-block, both blocks' min/max
     * reductions interleaved. A pair where either block has a min or max of ±0, a NaN or an inf, or a scale
     * {@code d} outside the normal range runs {@link #encodeBlock} for both blocks. Otherwise {@code d} is normal
     * and finite, so {@code id = 1/d} is too and {@code (x - min) * id + 0.5f} stays below 16 for every element:
     * the {@code min(15, ...)} clamp is a no-op and is left out, and {@code Fp16.fromFloat} is
     * {@link Float#floatToFloat16}.
     */
    private static void encodePairs(float[] x, int o, int pairs, MemorySegment y, long p) {
        for (int i = 0; i < pairs; i++, o += 2 * QK, p += 2 * BLOCK_BYTES) {
            FloatVector a0 = FloatVector.fromArray(F, x, o);
            FloatVector a1 = FloatVector.fromArray(F, x, o + 16);
            FloatVector b0 = FloatVector.fromArray(F, x, o + 32);
            FloatVector b1 = FloatVector.fromArray(F, x, o + 48);
            IntVector sa0 = Blocks.sortable(a0.reinterpretAsInts());
            IntVector sa1 = Blocks.sortable(a1.reinterpretAsInts());
            IntVector sb0 = Blocks.sortable(b0.reinterpretAsInts());
            IntVector sb1 = Blocks.sortable(b1.reinterpretAsInts());
            float mA = Float.intBitsToFloat(Blocks.sortable(sa0.min(sa1).reduceLanes(VectorOperators.MIN)));
            float mB = Float.intBitsToFloat(Blocks.sortable(sb0.min(sb1).reduceLanes(VectorOperators.MIN)));
            float xA = Float.intBitsToFloat(Blocks.sortable(sa0.max(sa1).reduceLanes(VectorOperators.MAX)));
            float xB = Float.intBitsToFloat(Blocks.sortable(sb0.max(sb1).reduceLanes(VectorOperators.MAX)));
            float dA = (xA - mA) / 15;
            float dB = (xB - mB) / 15;
            // false for NaN d, which a NaN or inf min or max gives when the other end is finite
            if (mA == 0 || xA == 0 || !(dA >= Float.MIN_NORMAL && dA <= Float.MAX_VALUE)
                    || mB == 0 || xB == 0 || !(dB >= Float.MIN_NORMAL && dB <= Float.MAX_VALUE)) {
                encodeBlock(x, o, y, p);
                encodeBlock(x, o + QK, y, p + BLOCK_BYTES);
                continue;
            }
            float idA = 1.0f / dA;
            float idB = 1.0f / dB;
            y.set(LE_INT, p, (Float.floatToFloat16(dA) & 0xFFFF) | (Float.floatToFloat16(mA) << 16));
            y.set(LE_INT, p + BLOCK_BYTES, (Float.floatToFloat16(dB) & 0xFFFF) | (Float.floatToFloat16(mB) << 16));
            IntVector qa0 = (IntVector) a0.sub(mA).mul(idA).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector qa1 = (IntVector) a1.sub(mA).mul(idA).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector qb0 = (IntVector) b0.sub(mB).mul(idB).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector qb1 = (IntVector) b1.sub(mB).mul(idB).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector qa = qa0.or(qa1.lanewise(VectorOperators.LSHL, 4));
            IntVector qb = qb0.or(qb1.lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) qa.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 4, LE);
            ((ByteVector) qb.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + BLOCK_BYTES + 4, LE);
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        int i = 0;
        if (PAIRS) {
            i = blocks & ~1;
            encodePairs(src, srcOffset, blocks / 2, dst, dstOffset);
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
