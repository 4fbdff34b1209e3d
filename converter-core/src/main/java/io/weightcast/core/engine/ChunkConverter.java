package io.weightcast.core.engine;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Converts one chunk of one tensor: decodes the source bytes to f32 and encodes them in the target type, or,
 * when both types are equal, hands back a zero-copy slice of the mapped source.
 */
final class ChunkConverter {
    /** Reused f32 scratch per worker thread: the engine's only per-thread heap besides the encoded output. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private ChunkConverter() {
    }

    static MemorySegment convert(TensorJob job, ChunkRange range) {
        DType from = job.source().dtype();
        DType to = job.target().dtype();
        long srcOffset = from.byteSize(range.firstElement());
        if (job.isCopy()) {
            return job.source().data().asSlice(srcOffset, from.byteSize(range.count()));
        }
        Codec encoder = Codecs.forType(to);
        float[] values = scratch(range.count());
        if (!job.transform().isIdentity()) {
            TransformedReader.read(job, range.firstElement(), range.count(), values, 0);
        } else if (job.decoder() != null) {
            job.decoder().decode(range.firstElement(), range.count(), values, 0);
        } else {
            Codecs.forType(from).decode(job.source().data(), srcOffset, range.count(), values, 0);
        }
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(to.byteSize(range.count()))]);
        float[] importance = job.importance();
        if (importance == null) {
            encoder.encode(values, 0, range.count(), out, 0);
            return out;
        }
        // Whole rows, grouped by matrix (expert): each matrix has its own ne[0] importance weights.
        int rowLength = Math.toIntExact(job.source().rowLength());
        long rowsPerMatrix = job.rowsPerMatrix();
        long firstRow = range.firstElement() / rowLength;
        int rows = range.count() / rowLength;
        int done = 0;
        while (done < rows) {
            long row = firstRow + done;
            int matrix = Math.toIntExact(row / rowsPerMatrix);
            int n = (int) Math.min(rows - done, (matrix + 1) * rowsPerMatrix - row);
            float[] w = importance.length == rowLength ? importance
                    : java.util.Arrays.copyOfRange(importance, matrix * rowLength, (matrix + 1) * rowLength);
            encoder.encodeRows(values, done * rowLength, n, rowLength, w, out, to.byteSize((long) done * rowLength));
            done += n;
        }
        return out;
    }

    static float[] scratch(int count) {
        float[] buf = SCRATCH.get();
        if (buf.length < count) {
            buf = new float[count];
            SCRATCH.set(buf);
        }
        return buf;
    }
}
