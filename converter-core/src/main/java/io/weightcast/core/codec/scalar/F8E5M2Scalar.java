package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/** F8_E5M2 (torch float8_e5m2; clamp to ±57344, then RNE; NaN → 0x7F|sign). Scalar reference: one element at a time through {@link Fp8}. */
public final class F8E5M2Scalar extends BlockCodec {

    public F8E5M2Scalar() {
        super(DType.F8_E5M2, "scalar");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst.set(Layouts.BYTE, dstOffset + (long) i, Fp8.e5m2FromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOffset + i] = Fp8.e5m2ToFloat(src.get(Layouts.BYTE, srcOffset + (long) i));
        }
    }
}
