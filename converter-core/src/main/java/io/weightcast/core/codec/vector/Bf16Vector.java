package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;
import static io.weightcast.core.codec.vector.VectorSpecs.S;

import io.weightcast.core.codec.Bf16;
import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** BF16 with the Vector API: {@link Bf16}'s integer formulas lane-wise; tails through {@link Bf16}. */
final class Bf16Vector extends BlockCodec {

    Bf16Vector() {
        super(DType.BF16, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector b = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector top = b.lanewise(VectorOperators.LSHR, 16);
            IntVector r = b.add(0x7FFF).add(top.and(1)).lanewise(VectorOperators.LSHR, 16)
                    .blend(top.or(0x40), b.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0))
                    .intoMemorySegment(dst, dstOffset + 2L * i, LE);
        }
        for (; i < n; i++) {
            dst.set(Layouts.LE_SHORT, dstOffset + 2L * i, Bf16.fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int n, float[] dst, int dstOffset) {
        int i = 0;
        for (; i <= n - L; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(S, src, srcOffset + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = Bf16.toFloat(src.get(Layouts.LE_SHORT, srcOffset + 2L * i));
        }
    }
}
