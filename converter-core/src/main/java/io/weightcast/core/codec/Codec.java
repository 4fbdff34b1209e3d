package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Converts between rows of f32 values and one storage type's bytes. A codec knows no files: it reads and writes
 * memory. Counts are in elements and must be whole blocks of {@link DType#blockSize()}; the bytes written for
 * {@code count} elements are {@code type().byteSize(count)}.
 *
 * <p>Implementations are stateless and thread-safe. Quantizing codecs reproduce ggml's reference quantizer
 * byte for byte (see each class for the rounding it copies).
 */
public interface Codec {

    DType type();

    /** Encodes {@code count} floats from {@code src[srcOffset..]} into {@code dst} starting at byte {@code dstOffset}. */
    void encode(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset);

    /** Decodes {@code count} elements from {@code src} at byte {@code srcOffset} into {@code dst[dstOffset..]}. */
    void decode(MemorySegment src, long srcOffset, int count, float[] dst, int dstOffset);
}
