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
}
