package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.Q4_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q4_K with the Vector API, byte-identical to {@link Q4_KScalar} (see {@link K4ScaleMinVector}). */
final class Q4_KVector extends K4ScaleMinVector {

    private static final int BLOCK_BYTES = 144;

    Q4_KVector() {
        super(DType.Q4_K, 15, -1.0f, 20, false);
    }

    @Override
    void scalar(float[] x, int o, float[] qw, int qo, MemorySegment y, long p) {
        if (qw == null) {
            Q4_KScalar.encodeBlock(x, o, y, p);
        } else {
            Q4_KScalar.encodeBlockWeighted(x, o, qw, qo, y, p);
        }
    }

    @Override
    void pack(int[] codes, MemorySegment y, long p) {
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l += L) {
                IntVector q = codes(codes, 64 * c + l).or(codes(codes, 64 * c + 32 + l).lanewise(VectorOperators.LSHL, 4));
                ((ByteVector) q.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, p + 16 + 32 * c + l, LE);
            }
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
                    IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, src, p + 16 + 32 * c + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
                    ((FloatVector) b.and(0xF).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1)
                            .intoArray(dst, o + 64 * c + l);
                    ((FloatVector) b.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(d2).sub(m2)
                            .intoArray(dst, o + 64 * c + 32 + l);
                }
            }
        }
    }
}
