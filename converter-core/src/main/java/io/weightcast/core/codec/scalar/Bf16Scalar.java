package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Bf16;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/** BF16 (ggml's RNE conversion with quiet-NaN rule; decode is a shift). Scalar reference: one element at a time through {@link Bf16}. */
public final class Bf16Scalar extends BlockCodec {

    public Bf16Scalar() {
        super(DType.BF16, "scalar");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst.set(Layouts.LE_SHORT, dstOffset + (long) i * 2, Bf16.fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            dst[dstOffset + i] = Bf16.toFloat(src.get(Layouts.LE_SHORT, srcOffset + (long) i * 2));
        }
    }
}
