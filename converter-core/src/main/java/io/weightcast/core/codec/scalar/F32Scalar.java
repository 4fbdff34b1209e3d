package io.weightcast.core.codec.scalar;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/** F32: a little-endian bulk copy, bit-preserving (NaN payloads included). Used as both implementations. */
public final class F32Scalar extends BlockCodec {

    public F32Scalar() {
        super(DType.F32, "scalar");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        MemorySegment.copy(src, srcOffset, dst, Layouts.LE_FLOAT, dstOffset, blocks);
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        MemorySegment.copy(src, Layouts.LE_FLOAT, srcOffset, dst, dstOffset, blocks);
    }
}
