package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;
import static io.weightcast.core.codec.vector.VectorSpecs.S;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F16 with the Vector API. JDK 25 has no lane-wise F2HF/HF2F, so both directions are built from integer and
 * float lane ops, exactly (this is ggml's own {@code ggml_compute_fp32_to_fp16} bit trick):
 * <ul>
 *   <li>encode, normal range: add the exponent rebias and {@code 0xFFF + lsb} (round to nearest even on the 13
 *       dropped bits), shift; below 2^-14: {@code bits(|x| + 0.5f) - bits(0.5f)} (the float add rounds to the
 *       subnormal step); ≥ 65520: ±inf; NaN: {@code sign|0x7E00}.</li>
 *   <li>decode: normal and inf/NaN by shifting bits (NaNs quieted, payload kept), subnormals as
 *       {@code m·2^-24}.</li>
 * </ul>
 * Tails shorter than a vector go through {@link Fp16}.
 */
final class F16Vector extends BlockCodec {

    F16Vector() {
        super(DType.F16, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector b = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector a = b.and(0x7FFFFFFF);
            IntVector sign = b.lanewise(VectorOperators.LSHR, 16).and(0x8000);
            IntVector normal = a.add(((15 - 127) << 23) + 0xFFF)
                    .add(a.lanewise(VectorOperators.LSHR, 13).and(1))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector sub = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F000000);
            IntVector h = normal.blend(sub, a.compare(VectorOperators.LT, 0x38800000))
                    .blend(0x7C00, a.compare(VectorOperators.GE, 0x477FF000))
                    .blend(0x7E00, a.compare(VectorOperators.GT, 0x7F800000))
                    .or(sign);
            ((ShortVector) h.convertShape(VectorOperators.I2S, S, 0))
                    .intoMemorySegment(dst, dstOffset + 2L * i, LE);
        }
        for (; i < n; i++) {
            dst.set(Layouts.LE_SHORT, dstOffset + 2L * i, Fp16.fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int n, float[] dst, int dstOffset) {
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector h = ((IntVector) ShortVector.fromMemorySegment(S, src, srcOffset + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector e = h.and(0x7C00);
            IntVector m = h.and(0x03FF);
            IntVector normal = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).add((127 - 15) << 23);
            IntVector special = m.lanewise(VectorOperators.LSHL, 13).or(0x7F800000)
                    .blend(m.lanewise(VectorOperators.LSHL, 13).or(0x7FC00000), m.compare(VectorOperators.NE, 0));
            IntVector sub = ((FloatVector) m.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector r = normal.blend(special, e.compare(VectorOperators.EQ, 0x7C00))
                    .blend(sub, e.compare(VectorOperators.EQ, 0))
                    .or(sign);
            r.reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = Fp16.toFloat(src.get(Layouts.LE_SHORT, srcOffset + 2L * i));
        }
    }
}
