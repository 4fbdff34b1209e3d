package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.TQ2_0Scalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * TQ2_0 with the Vector API, byte-identical to {@link TQ2_0Scalar}. A byte packs elements {@code m + 32n}, so the
 * lanes run over m (consecutive bytes) and the four trits are combined with integer shifts: no float sums, so the
 * lane order cannot matter. {@code lroundf(x·id)} with {@code |x·id| ≤ 1} is {@code (v ≥ ½) − (v ≤ −½)}. Blocks with
 * NaN/inf or a scale whose reciprocal overflows go to the scalar code (where x86's {@code lroundf} of inf/NaN rules).
 */
final class TQ2_0Vector extends BlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 66;

    TQ2_0Vector() {
        super(DType.TQ2_0, "vector");
    }

    /** The ternary code 0, 1, 2 of {@code x·id} for {@code |x·id| ≤ 1 + ulp}. */
    static IntVector trit(float[] x, int o, float id) {
        FloatVector v = FloatVector.fromArray(F, x, o).mul(id);
        IntVector one = IntVector.broadcast(I, 1);
        return one.add(1, v.compare(VectorOperators.GE, 0.5f).cast(I))
                .sub(1, v.compare(VectorOperators.LE, -0.5f).cast(I));
    }

    /** Max |x| bits of a block of n, or −1 when it needs the scalar code (NaN/inf present). */
    static int amaxBits(float[] x, int o, int n) {
        IntVector mx = IntVector.zero(I);
        for (int c = 0; c < n; c += L) {
            mx = mx.max(FloatVector.fromArray(F, x, o + c).reinterpretAsInts().and(0x7FFFFFFF));
        }
        int bits = mx.reduceLanes(VectorOperators.MAX);
        return bits >= 0x7F800000 ? -1 : bits;
    }

    static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        int bits = amaxBits(x, o, QK);
        float d = Float.intBitsToFloat(bits);
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (bits < 0 || id == Float.POSITIVE_INFINITY) {
            TQ2_0Scalar.encodeBlock(x, o, y, p);
            return;
        }
        y.set(LE_SHORT, p + 64, Fp16.fromFloat(d));
        for (int h = 0; h < 2; h++) {
            int xo = o + 128 * h;
            for (int c = 0; c < 32; c += L) {
                IntVector q = trit(x, xo + c, id)
                        .or(trit(x, xo + 32 + c, id).lanewise(VectorOperators.LSHL, 2))
                        .or(trit(x, xo + 64 + c, id).lanewise(VectorOperators.LSHL, 4))
                        .or(trit(x, xo + 96 + c, id).lanewise(VectorOperators.LSHL, 6));
                ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 32 * h + c, LE);
            }
        }
    }

    static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p + 64));
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 32; c += L) {
                IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, x, p + 32 * h + c, LE)
                        .convertShape(VectorOperators.B2I, I, 0));
                for (int l = 0; l < 4; l++) {
                    IntVector q = b.lanewise(VectorOperators.ASHR, 2 * l).and(3).sub(1);
                    ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(d).intoArray(y, o + 128 * h + 32 * l + c);
                }
            }
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
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK);
        }
    }
}
