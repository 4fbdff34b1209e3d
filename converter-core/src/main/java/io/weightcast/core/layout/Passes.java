package io.weightcast.core.layout;

import io.weightcast.core.plan.ElementSource;

/** Whole-tensor first passes for layouts that need a statistic before they can lay out their outputs. */
final class Passes {
    private static final int CHUNK = 1 << 20;

    private Passes() {
    }

    interface ChunkVisitor {
        void visit(float[] values, int count, long first);
    }

    /** Decodes the tensor in chunks of a multiple of {@code granule} elements and hands each to the visitor. */
    static void forEachChunk(ElementSource source, long elements, int granule, ChunkVisitor visitor) {
        int chunk = (int) Math.max(granule, (CHUNK / granule) * (long) granule);
        float[] buf = new float[(int) Math.min(chunk, Math.max(1, elements))];
        for (long start = 0; start < elements; start += chunk) {
            int count = (int) Math.min(chunk, elements - start);
            source.decode(start, count, buf, 0);
            visitor.visit(buf, count, start);
        }
    }

    /**
     * As {@link #forEachChunk}, with the chunks decoded and visited in parallel (common fork-join pool), each thread
     * with a buffer of its own: for visitors that only write their chunk's own slots (per-block statistics), whose result
     * does not depend on the order. A first pass over a large weight then costs a fraction of a sequential one.
     */
    static void forEachChunkInParallel(ElementSource source, long elements, int granule, ChunkVisitor visitor) {
        int chunk = (int) Math.max(granule, (CHUNK / granule) * (long) granule);
        long chunks = (elements + chunk - 1) / chunk;
        if (chunks <= 1) {
            forEachChunk(source, elements, granule, visitor);
            return;
        }
        // One buffer per worker thread, reused: a fresh 4 MiB array per chunk is a humongous G1 allocation, and a
        // multi-GB weight made thousands of them.
        ThreadLocal<float[]> buffers = ThreadLocal.withInitial(() -> new float[chunk]);
        java.util.stream.LongStream.range(0, chunks).parallel().forEach(c -> {
            long start = c * chunk;
            int count = (int) Math.min(chunk, elements - start);
            float[] buf = buffers.get();
            source.decode(start, count, buf, 0);
            visitor.visit(buf, count, start);
        });
    }
}
