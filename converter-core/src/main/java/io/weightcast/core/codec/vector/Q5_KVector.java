package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.Q5_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q5_K with the Vector API, byte-identical to {@link Q5_KScalar} (see {@link K4ScaleMinVector}). */
final class Q5_KVector extends K4ScaleMinVector {

    private static final int BLOCK_BYTES = 176;

    Q5_KVector() {
        super(DType.Q5_K, 31, -0.5f, 15, true);
    }

    @Override
    void scalar(float[] x, int o, float[] qw, int qo, MemorySegment y, long p) {
        if (qw == null) {
            Q5_KScalar.encodeBlock(x, o, y, p);
        } else {
            Q5_KScalar.encodeBlockWeighted(x, o, qw, qo, y, p);
        }
    }

    @Override
    void pack(int[] codes, MemorySegment y, long p) {
        for (int l = 0; l < 32; l += L) {
            IntVector qh = IntVector.zero(I);
            for (int c = 0; c < 4; c++) {
                IntVector l1 = codes(codes, 64 * c + l);
                IntVector l2 = codes(codes, 64 * c + 32 + l);
                qh = qh.or(l1.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 2 * c))
                        .or(l2.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 2 * c + 1));
                IntVector ql = l1.and(0xF).or(l2.and(0xF).lanewise(VectorOperators.LSHL, 4));
                ((ByteVector) ql.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 48 + 32 * c + l, LE);
            }
            ((ByteVector) qh.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 16 + l, LE);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK_K;
            float d = Fp16.toFloat(src.get(LE_SHORT, p));
            float min = Fp16.toFloat(src.get(LE_SHORT, p + 2));
            unpackScales(src, p, sc, mn);
            for (int c = 0; c < 4; c++) {
                float d1 = d * sc[2 * c];
                float m1 = min * mn[2 * c];
                float d2 = d * sc[2 * c + 1];
                float m2 = min * mn[2 * c + 1];
                for (int l = 0; l < 32; l += L) {
                    IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, src, p + 48 + 32 * c + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
                    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, src, p + 16 + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.LSHR, 2 * c);
                    IntVector q1 = b.and(0xF).add(h.and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector q2 = b.lanewise(VectorOperators.LSHR, 4).add(h.and(2).lanewise(VectorOperators.LSHL, 3));
                    ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, o + 64 * c + l);
                    ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d2).sub(m2)
                            .intoArray(dst, o + 64 * c + 32 + l);
                }
            }
        }
    }
}
