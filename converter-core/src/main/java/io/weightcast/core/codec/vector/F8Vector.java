package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F8_E4M3 / F8_E5M2 with the Vector API: {@link Fp8}'s clamp-then-RNE formulas lane-wise (the subnormal
 * {@code rint} is the {@code + 1.5·2^23 - 1.5·2^23} trick, exact for these small values); decode is
 * {@link Fp8}'s table, since a 256-entry gather is no faster than the scalar loop.
 */
final class F8Vector extends BlockCodec {

    private final boolean e4m3;
    private final int maxBits;
    private final int minNormalBits;
    private final float subScale;
    private final int roundHalf;
    private final int mantShift;
    private final int rebias;

    F8Vector(DType type) {
        super(type, "vector");
        e4m3 = type == DType.F8_E4M3;
        maxBits = Float.floatToRawIntBits(e4m3 ? Fp8.E4M3_MAX : Fp8.E5M2_MAX);
        minNormalBits = e4m3 ? 0x3C800000 : 0x38800000;
        subScale = e4m3 ? 512f : 65536f;
        mantShift = e4m3 ? 20 : 21;
        roundHalf = (1 << (mantShift - 1)) - 1;
        rebias = e4m3 ? (127 - 7) << 3 : (127 - 15) << 2;
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector b = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector sign = b.lanewise(VectorOperators.LSHR, 24).and(0x80);
            IntVector a0 = b.and(0x7FFFFFFF);
            IntVector a = a0.min(maxBits);
            IntVector normal = a.add(roundHalf).add(a.lanewise(VectorOperators.LSHR, mantShift).and(1))
                    .lanewise(VectorOperators.LSHR, mantShift).sub(rebias);
            IntVector sub = ((FloatVector) a.reinterpretAsFloats().mul(subScale).add(12582912f).sub(12582912f))
                    .convert(VectorOperators.F2I, 0).reinterpretAsInts();
            IntVector code = normal.blend(sub, a.compare(VectorOperators.LT, minNormalBits))
                    .blend(0x7F, a0.compare(VectorOperators.GT, 0x7F800000))
                    .or(sign);
            ((ByteVector) code.convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(dst, dstOffset + i, LE);
        }
        for (; i < n; i++) {
            float f = src[srcOffset + i];
            dst.set(Layouts.BYTE, dstOffset + i, e4m3 ? Fp8.e4m3FromFloat(f) : Fp8.e5m2FromFloat(f));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int n, float[] dst, int dstOffset) {
        for (int i = 0; i < n; i++) {
            byte q = src.get(Layouts.BYTE, srcOffset + i);
            dst[dstOffset + i] = e4m3 ? Fp8.e4m3ToFloat(q) : Fp8.e5m2ToFloat(q);
        }
    }
}
