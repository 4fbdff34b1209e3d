package io.weightcast.core.engine;

/**
 * How the engine runs.
 *
 * @param threads          worker threads that decode and encode chunks (the writer is one more thread)
 * @param chunkElements    elements per chunk (about; rounded to whole blocks)
 * @param maxBytesInFlight upper bound on encoded bytes waiting for the writer; with the per-worker f32 buffers
 *                         this bounds the engine's heap whatever the model size
 * @param releaseSourcePages drop each converted chunk's pages of a memory-mapped source from the resident set once
 *                         written, so that RSS does not grow with the checkpoint (the pages stay in the page cache)
 */
public record EngineOptions(int threads, int chunkElements, long maxBytesInFlight, boolean releaseSourcePages) {

    public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 20;
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 64L << 20;

    public EngineOptions(int threads, int chunkElements, long maxBytesInFlight) {
        this(threads, chunkElements, maxBytesInFlight, true);
    }

    public EngineOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (chunkElements < 256) {
            throw new IllegalArgumentException("chunkElements must be at least 256, got " + chunkElements);
        }
        if (maxBytesInFlight < 1) {
            throw new IllegalArgumentException("maxBytesInFlight must be positive");
        }
    }

    public static EngineOptions defaults() {
        return withThreads(Runtime.getRuntime().availableProcessors());
    }

    public static EngineOptions withThreads(int threads) {
        return new EngineOptions(threads, DEFAULT_CHUNK_ELEMENTS, DEFAULT_MAX_BYTES_IN_FLIGHT);
    }
}
