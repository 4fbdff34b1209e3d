package io.weightcast.core.engine;

/** Receives progress as the engine writes: bytes of source consumed so far out of the plan's total. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (tensor, done, total) -> { };

    /** Called from the writing thread after each chunk is handed to the sink. */
    void progress(String tensor, long sourceBytesDone, long sourceBytesTotal);
}
