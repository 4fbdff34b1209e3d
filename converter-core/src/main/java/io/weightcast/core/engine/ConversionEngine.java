package io.weightcast.core.engine;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.TensorSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams a {@link ConversionPlan} into a {@link TensorSink}: every tensor is cut into chunks on block
 * boundaries, worker threads convert chunks in parallel, and this thread hands finished chunks to the sink in
 * plan order. The queue of submitted chunks is bounded in bytes, so memory in flight does not grow with the
 * model: a checkpoint larger than RAM converts, paging its mapped input in and out as it goes.
 */
public final class ConversionEngine {
    private final EngineOptions options;

    public ConversionEngine(EngineOptions options) {
        this.options = options;
    }

    /** Runs the plan. The sink is neither committed nor closed here: the caller decides. */
    public void run(ConversionPlan plan, TensorSink sink, ProgressListener progress) throws IOException {
        ExecutorService workers = Executors.newFixedThreadPool(options.threads(), workerThreads());
        try {
            new Run(plan, sink, progress, workers, GpuSet.resolve(options.device())).execute();
        } finally {
            workers.shutdownNow();
        }
    }

    private static ThreadFactory workerThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "weightcast-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** One execution: the ordered window of chunks in flight and the bytes they hold. */
    private final class Run {
        private record Pending(TensorJob job, ChunkRange range, long sourceBytes, long outputBytes,
                               Future<MemorySegment> result) {
        }

        private final ConversionPlan plan;
        private final TensorSink sink;
        private final ProgressListener progress;
        private final ExecutorService workers;
        private final GpuSet gpus;
        private final ArrayDeque<Pending> window = new ArrayDeque<>();
        private final long totalSourceBytes;
        private long bytesInFlight;
        private long sourceBytesDone;

        Run(ConversionPlan plan, TensorSink sink, ProgressListener progress, ExecutorService workers, GpuSet gpus) {
            this.plan = plan;
            this.gpus = gpus;
            this.sink = sink;
            this.progress = progress;
            this.workers = workers;
            this.totalSourceBytes = plan.sourceBytes();
        }

        void execute() throws IOException {
            int index = 0;
            for (TensorJob job : plan.jobs()) {
                // With an importance matrix, chunks hold whole rows: the weighted quantizers use row statistics.
                int granule = job.importance() != null && !job.isCopy()
                        ? Math.toIntExact(job.source().rowLength())
                        : ChunkRange.leastCommonMultiple(job.source().dtype().blockSize(),
                                job.target().dtype().blockSize());
                CudaDevice gpu = gpus.forTensor(index, job);
                index += gpu == null ? 0 : 1;
                int chunk = gpu == null ? options.chunkElements()
                        : Math.max(options.chunkElements(), EngineOptions.GPU_CHUNK_ELEMENTS);
                var ranges = ChunkRange.split(job.source().elementCount(), granule, chunk);
                for (ChunkRange range : ranges) {
                    submit(job, range, gpu);
                }
            }
            while (!window.isEmpty()) {
                writeOldest();
            }
        }

        private void submit(TensorJob job, ChunkRange range, CudaDevice gpu) throws IOException {
            long outputBytes = job.target().dtype().byteSize(range.count());
            // Keep at least one chunk per worker busy, but never let waiting output exceed the bound.
            while (!window.isEmpty() && (bytesInFlight + outputBytes > options.maxBytesInFlight()
                    || window.size() >= 4 * options.threads())) {
                writeOldest();
            }
            long sourceBytes = job.source().dtype().byteSize(range.count());
            window.addLast(new Pending(job, range, sourceBytes, outputBytes,
                    workers.submit(() -> ChunkConverter.convert(job, range, gpu))));
            bytesInFlight += outputBytes;
        }

        private void writeOldest() throws IOException {
            Pending p = window.removeFirst();
            MemorySegment bytes = await(p);
            sink.write(bytes);
            // Drop the written chunk's mapped input pages so resident memory stays bounded by the window, not by
            // the model or its largest tensor (as llama-quantize unmaps each weight after use).
            releaseSource(p);
            bytesInFlight -= p.outputBytes();
            sourceBytesDone += p.sourceBytes();
            progress.progress(p.job().target().name(), sourceBytesDone, totalSourceBytes);
        }

        /**
         * Drops the written chunk's pages of a memory-mapped source from this process's resident set (madvise
         * MADV_DONTNEED through {@link MemorySegment#unload()}): they stay in the page cache, but the process's RSS
         * stays bounded instead of growing to the size of the checkpoint. The mapping is read-only and file-backed,
         * so this is safe even where a sink kept a slice (a copied chunk): a later access faults the page back in
         * from the file.
         */
        private void releaseSource(Pending p) {
            if (!options.releaseSourcePages()) {
                return;
            }
            MemorySegment data = p.job().source().data();
            if (!data.isMapped()) {
                return;
            }
            long from = p.job().source().dtype().byteSize(p.range().firstElement());
            try {
                data.asSlice(from, p.sourceBytes()).unload();
            } catch (UnsupportedOperationException | IllegalStateException e) {
                // not a file mapping after all, or already unmapped: nothing to release
            }
        }

        private MemorySegment await(Pending p) throws IOException {
            try {
                return p.result().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while converting tensor '" + p.job().source().name() + "'", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                if (cause instanceof RuntimeException r) {
                    throw new TensorConversionException(p.job(), r);
                }
                throw new IOException("tensor '" + p.job().source().name() + "': " + cause, cause);
            }
        }
    }
}
