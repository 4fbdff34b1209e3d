package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/** F16 (IEEE binary16, ggml's conversion: RNE, NaN → sign|0x7E00). Scalar reference: one element at a time through {@link Fp16}. */
public final class F16Scalar extends BlockCodec {

    public F16Scalar() {
        super(DType.F16, "scalar");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst.set(Layouts.LE_SHORT, dstOffset + (long) i * 2, Fp16.fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOffset + i] = Fp16.toFloat(src.get(Layouts.LE_SHORT, srcOffset + (long) i * 2));
        }
    }
}
