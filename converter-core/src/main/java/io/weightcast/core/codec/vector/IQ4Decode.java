package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.Iq4Math;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_NL / IQ4_XS decoding: 16 code bytes at a time as a 128-bit byte vector, nibbles looked up in
 * {@code kvalues_iq4nl} with a byte shuffle, widened to int and float and multiplied by the (sub-)block scale —
 * the same single float multiply per element as ggml's {@code d * kvalues[q]}.
 */
final class IQ4Decode {

    private IQ4Decode() {}

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteVector TABLE = ByteVector.fromArray(B16, Iq4Math.VALUES, 0);

    /** 16 code bytes at {@code p}: low nibbles to {@code y[o..o+16)}, high nibbles to {@code y[o+16..o+32)}. */
    private static void nibbles(MemorySegment src, long p, float scale, float[] y, int o) {
        ByteVector q = ByteVector.fromMemorySegment(B16, src, p, LE);
        ByteVector lo = q.and((byte) 0x0F).selectFrom(TABLE);
        ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
        for (int part = 0; part < 16 / L; part++) {
            IntVector a = (IntVector) lo.convertShape(VectorOperators.B2I, I, part);
            IntVector b = (IntVector) hi.convertShape(VectorOperators.B2I, I, part);
            ((FloatVector) a.convert(VectorOperators.I2F, 0)).mul(scale).intoArray(y, o + part * L);
            ((FloatVector) b.convert(VectorOperators.I2F, 0)).mul(scale).intoArray(y, o + 16 + part * L);
        }
    }

    static void decodeNl(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * 18;
            float d = Fp16.toFloat(src.get(LE_SHORT, p));
            nibbles(src, p + 2, d, dst, dstOffset + 32 * i);
        }
    }

    static void decodeXs(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * 136;
            float d = Fp16.toFloat(src.get(LE_SHORT, p));
            int scalesH = src.get(LE_SHORT, p + 2) & 0xFFFF;
            int scalesL = src.get(LE_INT, p + 4);
            for (int ib = 0; ib < 8; ib++) {
                int ls = ((scalesL >>> (4 * ib)) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
                nibbles(src, p + 8 + 16 * ib, d * (ls - 32), dst, dstOffset + 256 * i + 32 * ib);
            }
        }
    }
}
