package io.weightcast.core.engine;

/**
 * A run of elements of one tensor, {@code [firstElement, firstElement + count)}, whose ends fall on block
 * boundaries of both the source and the target type, so it can be decoded and encoded on its own.
 */
record ChunkRange(long firstElement, int count) {

    /**
     * Splits {@code elements} into chunks of at most about {@code targetElements}, each a multiple of
     * {@code granule} (the least common multiple of both block sizes) except that the last one ends the tensor.
     */
    static java.util.List<ChunkRange> split(long elements, int granule, int targetElements) {
        long per = Math.max(granule, (targetElements / granule) * (long) granule);
        var out = new java.util.ArrayList<ChunkRange>((int) Math.min(Integer.MAX_VALUE - 8, elements / per + 1));
        for (long start = 0; start < elements; start += per) {
            out.add(new ChunkRange(start, (int) Math.min(per, elements - start)));
        }
        return out;
    }

    static int leastCommonMultiple(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return Math.multiplyExact(a / x, b);
    }
}
