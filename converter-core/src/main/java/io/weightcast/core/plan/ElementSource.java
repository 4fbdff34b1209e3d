package io.weightcast.core.plan;

import io.weightcast.core.codec.cuda.CudaDevice;

/**
 * Where a tensor's f32 values come from when they are not one storage type's plain bytes: a quantized weight
 * whose value at element {@code i} needs other tensors (scales, absmax, zero points) to be computed. Any range
 * of elements can be decoded on its own, so the engine can cut it into chunks and decode them in parallel.
 */
@FunctionalInterface
public interface ElementSource {

    /** Decodes elements {@code [firstElement, firstElement + count)} (row-major) into {@code dst[dstOffset..]}. */
    void decode(long firstElement, int count, float[] dst, int dstOffset);

    /** Whether {@link #onDevice} has a GPU decoder (asked before any device is touched). */
    default boolean decodesOnDevice() {
        return false;
    }

    /**
     * This source decoding on {@code gpu} (the same floats, bit for bit), or {@code this} when it has no kernel.
     * Cheap: the engine asks once per chunk.
     */
    default ElementSource onDevice(CudaDevice gpu) {
        return this;
    }
}
