package io.weightcast.core.engine;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.cuda.CudaCodec;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.plan.ElementSource;
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
        return convert(job, range, null);
    }

    /**
     * As {@link #convert(TensorJob, ChunkRange)}, on {@code gpu} when it is not null: the source bytes go to the
     * device, which decodes and encodes them there (same bytes as the CPU codecs). A job the GPU cannot read whole
     * (a custom decoder, a value transform such as the rotary permutation, a source type without a decode kernel)
     * is read into f32 on the CPU and only encoded on the GPU, when the target has an encode kernel. A custom decoder
     * with a GPU twin ({@link ElementSource#onDevice}: the pre-quantized Hugging Face layouts) decodes on the GPU
     * into f32 here, then goes the same way.
     */
    static MemorySegment convert(TensorJob job, ChunkRange range, CudaDevice gpu) {
        DType from = job.source().dtype();
        DType to = job.target().dtype();
        long srcOffset = from.byteSize(range.firstElement());
        if (job.isCopy()) {
            return job.source().data().asSlice(srcOffset, from.byteSize(range.count()));
        }
        if (gpu != null && gpuCapable(job)) {
            if (job.importance() == null || !Codecs.forType(to).usesImportance()) {
                MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(to.byteSize(range.count()))]);
                gpu.transcode(from, job.source().data(), srcOffset, to, out, 0, range.count());
                return out;
            }
            return onGpuWeighted(job, range, gpu);
        }
        Codec encoder = gpu != null && gpuEncodable(job) ? CudaCodec.of(to, gpu).orElseThrow() : Codecs.forType(to);
        float[] values = scratch(range.count());
        if (!job.transform().isIdentity()) {
            TransformedReader.read(job, range.firstElement(), range.count(), values, 0);
        } else if (job.decoder() != null) {
            ElementSource decoder = gpu != null ? job.decoder().onDevice(gpu) : job.decoder();
            decoder.decode(range.firstElement(), range.count(), values, 0);
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

    /**
     * Whether the GPU can run this job whole: plain source bytes (no custom decoder, no value transform), kernels
     * for both types, and a weighted kernel where the target's quantizer uses the job's importance matrix.
     */
    static boolean gpuCapable(TensorJob job) {
        DType to = job.target().dtype();
        return !job.isCopy() && job.decoder() == null && job.transform().isIdentity()
                && CudaKernels.canTranscode(job.source().dtype(), to)
                && (job.importance() == null || !Codecs.forType(to).usesImportance()
                        || CudaKernels.encodesImportance(to));
    }

    /**
     * Whether the GPU can at least encode this job's values once the CPU has read them as f32: an encode kernel for
     * the target, and a weighted one where the target's quantizer uses the job's importance matrix.
     */
    static boolean gpuEncodable(TensorJob job) {
        DType to = job.target().dtype();
        return !job.isCopy() && to != DType.F32 && CudaKernels.canEncode(to)
                && (job.importance() == null || !Codecs.forType(to).usesImportance()
                        || CudaKernels.encodesImportance(to));
    }

    /**
     * Whether the job's own decoder has a GPU twin ({@link ElementSource#decodesOnDevice}) and the values need no
     * transform (which reads rows out of order, in small pieces).
     */
    static boolean gpuDecodable(TensorJob job) {
        return !job.isCopy() && job.decoder() != null && job.transform().isIdentity()
                && job.decoder().decodesOnDevice();
    }

    /** Whether the GPU has any part in this job ({@link #gpuCapable}, {@link #gpuEncodable}, {@link #gpuDecodable}). */
    static boolean usesGpu(TensorJob job) {
        return gpuCapable(job) || gpuEncodable(job) || gpuDecodable(job);
    }

    /** Whole rows with the importance matrix, grouped by matrix (expert) as on the CPU path, on the GPU. */
    private static MemorySegment onGpuWeighted(TensorJob job, ChunkRange range, CudaDevice gpu) {
        DType from = job.source().dtype();
        DType to = job.target().dtype();
        float[] importance = job.importance();
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(to.byteSize(range.count()))]);
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
            long first = range.firstElement() + (long) done * rowLength;
            gpu.transcode(from, job.source().data(), from.byteSize(first), to, out,
                    to.byteSize((long) done * rowLength), (long) n * rowLength, w, rowLength, 0);
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
