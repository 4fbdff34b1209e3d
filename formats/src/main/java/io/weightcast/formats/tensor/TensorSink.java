package io.weightcast.formats.tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A writer that takes tensor bytes streamed in the order of the specs it was created with. Nothing appears at
 * the output path until {@link #commit()}: the data goes to a temporary file in the same folder, which is renamed
 * over the target only when every byte has been written. {@link #close()} without a commit deletes the temporary
 * file and leaves any existing output untouched.
 */
public interface TensorSink extends AutoCloseable {

    /**
     * Appends bytes to the current tensor. The first call starts the first tensor; a tensor ends when exactly
     * its {@link TensorSpec#byteSize()} bytes have been written, and the next bytes belong to the next tensor.
     *
     * @throws IllegalStateException if more bytes arrive than the specs announced
     */
    void write(MemorySegment bytes) throws IOException;

    /**
     * Checks that every tensor is complete, flushes and renames into place.
     *
     * @throws IllegalStateException if bytes are missing
     */
    void commit() throws IOException;

    /** Deletes temporary files unless committed. Never throws for a missing temp file. */
    @Override
    void close() throws IOException;
}
