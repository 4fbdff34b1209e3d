package io.weightcast.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * Encodes rows of a weight exactly as {@link CompressedTensorsQuantizer#encodeRows}: the CPU quantizer itself, or its
 * CUDA copy ({@code CudaCompressedTensors}), so that a layout can swap them.
 */
@FunctionalInterface
public interface CompressedTensorsRowEncoder {
    void encodeRows(float[] values, int vo, int rows, MemorySegment dst, long dstOffset, float[] scales, int so);
}
