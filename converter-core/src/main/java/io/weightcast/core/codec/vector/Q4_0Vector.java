package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.Q4_0Scalar;
import io.weightcast.core.codec.scalar.LegacyImatrixMath;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 with the Vector API, byte-identical to {@link Q4_0Scalar}. {@code (int8)(x·id + 8.5f)} is the vector
 * F2I conversion (truncation; in range for every block that is not sent to the scalar code).
 */
final class Q4_0Vector extends BlockCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 18;

    Q4_0Vector() {
        super(DType.Q4_0, "vector");
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
        float max = Blocks.signedAbsMax(x, o, QK);
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (max != max || Float.isInfinite(id)) {
            Q4_0Scalar.encodeBlock(x, o, y, p);
            return;
        }
        y.set(LE_SHORT, p, Fp16.fromFloat(d));
        for (int c = 0; c < QK / 2; c += L) {
            IntVector lo = (IntVector) FloatVector.fromArray(F, x, o + c).mul(id).add(8.5f)
                    .convert(VectorOperators.F2I, 0);
            IntVector hi = (IntVector) FloatVector.fromArray(F, x, o + QK / 2 + c).mul(id).add(8.5f)
                    .convert(VectorOperators.F2I, 0);
            IntVector q = lo.min(15).or(hi.min(15).lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 2 + c, LE);
        }
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK;
            float d = Fp16.toFloat(src.get(LE_SHORT, p));
            for (int c = 0; c < QK / 2; c += L) {
                IntVector q = ((IntVector) ByteVector.fromMemorySegment(B, src, p + 2 + c, LE)
                        .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
                IntVector x0 = q.and(0x0F).sub(8);
                IntVector x1 = q.lanewise(VectorOperators.LSHR, 4).sub(8);
                ((FloatVector) x0.convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o + c);
                ((FloatVector) x1.convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o + QK / 2 + c);
            }
        }
    }
}
