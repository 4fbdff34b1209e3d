package io.weightcast.core.engine;

/**
 * How the engine runs.
 *
 * @param threads          worker threads that decode and encode chunks (the writer is one more thread)
 * @param chunkElements    elements per chunk (about; rounded to whole blocks)
 * @param maxBytesInFlight upper bound on encoded bytes waiting for the writer; with the per-worker f32 buffers
 *                         this bounds the engine's heap whatever the model size
 * @param device           where the codecs run: {@code cpu}, {@code auto} or CUDA devices ({@link DeviceChoice})
 */
public record EngineOptions(int threads, int chunkElements, long maxBytesInFlight, DeviceChoice device) {

    /** Elements per chunk when a chunk goes to a GPU: large enough to amortise the launches and copies. */
    public static final int GPU_CHUNK_ELEMENTS = 1 << 24;

    /** CPU only, as before devices existed. */
    public EngineOptions(int threads, int chunkElements, long maxBytesInFlight) {
        this(threads, chunkElements, maxBytesInFlight, DeviceChoice.CPU);
    }

    public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 20;
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 64L << 20;

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
        java.util.Objects.requireNonNull(device, "device");
    }

    public static EngineOptions defaults() {
        return withThreads(Runtime.getRuntime().availableProcessors());
    }

    public static EngineOptions withThreads(int threads) {
        return new EngineOptions(threads, DEFAULT_CHUNK_ELEMENTS, DEFAULT_MAX_BYTES_IN_FLIGHT);
    }

    /** These options on another device. */
    public EngineOptions withDevice(DeviceChoice d) {
        return new EngineOptions(threads, chunkElements, maxBytesInFlight, d);
    }
}
