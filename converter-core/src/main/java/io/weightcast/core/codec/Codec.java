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

    /**
     * Encodes {@code rows} rows of {@code rowLength} floats (whole blocks each), optionally weighted by an
     * importance matrix ({@code importance[rowLength]}, ggml's imatrix: one weight per column). The hook for
     * importance-weighted quantizers: ggml's Q4_0/Q4_1/Q5_0/Q5_1 and k-quants change their search with an
     * imatrix, and some use row statistics (Q4_0's {@code sigma2} is over the whole row), hence the row shape.
     *
     * <p>With {@code importance == null} this is {@link #encode} of {@code rows * rowLength} elements. With
     * an importance matrix it is the same for types whose ggml quantizer ignores it ({@link #usesImportance()}
     * false); the others throw {@link UnsupportedOperationException} until their weighted search is written.
     */
    default void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        if (importance != null && usesImportance()) {
            throw new UnsupportedOperationException(
                    type() + ": importance-weighted (imatrix) encoding is not implemented yet");
        }
        encode(src, srcOffset, Math.multiplyExact(rows, rowLength), dst, dstOffset);
    }

    /** Whether ggml's quantizer for this type changes its output when given an importance matrix. */
    default boolean usesImportance() {
        return false;
    }
}
