package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.scalar.MXFP4Scalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * MXFP4 with the Vector API, byte-identical to {@link MXFP4Scalar}. The exponent comes from
 * {@link MXFP4Scalar#exponentFast} (a per-binade threshold instead of a logarithm). {@code best_index_mxfp4} is
 * evaluated per lane on {@code |x|} over the eight magnitudes (first strict minimum, code 0 first), then codes of
 * negative x move to 8 + i: for x &lt; 0 the positive codes can never be strictly better than code 0, code 8
 * (+0) only ties it, and {@code |−k·d − x| = |k·d − |x||} exactly (IEEE subtraction is sign-symmetric); for
 * x ≥ 0 the negative codes never beat code 0. Blocks with NaN/inf go to the scalar code.
 */
final class MXFP4Vector extends BlockCodec {

    private static final int QK = 32;
    private static final int BLOCK_BYTES = 17;
    /** Magnitude per code & 7, for {@code selectFrom} (L ≥ 8 lanes; entries beyond 7 unused). */
    private static final int[] MAG = new int[16];

    static {
        for (int i = 0; i < 16; i++) {
            MAG[i] = MXFP4Scalar.KVALUES[i & 7];
        }
    }

    MXFP4Vector() {
        super(DType.MXFP4, "vector");
    }

    static IntVector codes(float[] x, int o, float d) {
        FloatVector v = FloatVector.fromArray(F, x, o);
        FloatVector ax = v.abs();
        FloatVector best = ax;
        IntVector idx = IntVector.zero(I);
        for (int i = 1; i < 8; i++) {
            FloatVector err = FloatVector.broadcast(F, MXFP4Scalar.KVALUES[i] * d).sub(ax).abs();
            VectorMask<Float> m = err.compare(VectorOperators.LT, best);
            best = best.blend(err, m);
            idx = idx.blend(i, m.cast(I));
        }
        VectorMask<Integer> neg = v.reinterpretAsInts().compare(VectorOperators.LT, 0)
                .and(idx.compare(VectorOperators.NE, 0));
        return idx.add(8, neg);
    }

    static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        int bits = TQ2_0Vector.amaxBits(x, o, QK);
        if (bits < 0) {
            MXFP4Scalar.encodeBlock(x, o, y, p);
            return;
        }
        int e = MXFP4Scalar.exponentFast(Float.intBitsToFloat(bits));
        float d = MXFP4Scalar.e8m0Half(e);
        y.set(BYTE, p, (byte) e);
        for (int c = 0; c < QK / 2; c += L) {
            IntVector q = codes(x, o + c, d).or(codes(x, o + QK / 2 + c, d).lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 1 + c, LE);
        }
    }

    static void decodeBlock(MemorySegment x, long p, float[] y, int o, IntVector mag) {
        float d = MXFP4Scalar.e8m0Half(x.get(BYTE, p) & 0xFF);
        for (int c = 0; c < QK / 2; c += L) {
            IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, x, p + 1 + c, LE)
                    .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
            store(b.and(0x0F), mag, d, y, o + c);
            store(b.lanewise(VectorOperators.LSHR, 4), mag, d, y, o + QK / 2 + c);
        }
    }

    private static void store(IntVector nib, IntVector mag, float d, float[] y, int at) {
        IntVector m = nib.and(7).selectFrom(mag);
        IntVector v = m.lanewise(VectorOperators.NEG, nib.and(8).compare(VectorOperators.NE, 0));
        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d).intoArray(y, at);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        IntVector mag = IntVector.fromArray(I, MAG, 0);
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK, mag);
        }
    }
}
