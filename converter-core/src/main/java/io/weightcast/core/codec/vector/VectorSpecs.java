package io.weightcast.core.codec.vector;

import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species every kernel uses: the preferred float shape (16 lanes on AVX-512, 8 on AVX2), with int, short and
 * byte species of the same lane count. Kernels need 8 or 16 lanes (a 32-element block is then 2 or 4 chunks,
 * and a block's 16 nibble bytes 1 or 2 chunks); {@link #SUPPORTED} is false otherwise and the scalar codecs
 * are used.
 */
final class VectorSpecs {

    private VectorSpecs() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final boolean SUPPORTED = L == 8 || L == 16;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
    static final VectorSpecies<Short> S =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(SUPPORTED ? L * 16 : 128));
    static final VectorSpecies<Byte> B =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(SUPPORTED ? L * 8 : 64));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int[] IOTA = new int[64];

    static {
        for (int i = 0; i < IOTA.length; i++) {
            IOTA[i] = i;
        }
    }
}
