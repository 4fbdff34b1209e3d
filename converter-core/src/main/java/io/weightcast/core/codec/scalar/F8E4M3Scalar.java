package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/** F8_E4M3 (torch float8_e4m3fn; clamp to ±448, then RNE; NaN → 0x7F|sign). Scalar reference: one element at a time through {@link Fp8}. */
public final class F8E4M3Scalar extends BlockCodec {

    public F8E4M3Scalar() {
        super(DType.F8_E4M3, "scalar");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst.set(Layouts.BYTE, dstOffset + (long) i, Fp8.e4m3FromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOffset + i] = Fp8.e4m3ToFloat(src.get(Layouts.BYTE, srcOffset + (long) i));
        }
    }
}
