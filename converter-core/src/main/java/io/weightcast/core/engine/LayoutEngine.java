package io.weightcast.core.engine;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.TensorSink;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The streaming engine for quantized layouts: like {@link ConversionEngine} (parallel chunks, ordered writes,
 * bytes in flight bounded), but an item may produce several stored tensors. Plain items are chunked as in
 * {@link ConversionEngine}; encoded items are cut into the encoder's bands, each band's main bytes are written in
 * order as soon as they are ready, and the side outputs (scales, …) follow once the last band is done.
 */
public final class LayoutEngine {
    private final EngineOptions options;

    public LayoutEngine(EngineOptions options) {
        this.options = options;
    }

    /** Every output spec, in the order the sink must be created with. */
    public static List<TensorSpec> specs(List<WriteItem> items) {
        List<TensorSpec> out = new ArrayList<>();
        items.forEach(i -> out.addAll(i.outputs()));
        return out;
    }

    public void run(List<WriteItem> items, TensorSink sink, ProgressListener progress) throws IOException {
        ExecutorService workers = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, "weightcast-layout-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            new Run(items, sink, progress, workers, GpuSet.resolve(options.device())).execute();
        } finally {
            workers.shutdownNow();
        }
    }

    private final class Run {
        /** A submitted piece: main bytes (and a side result) of one chunk or band; {@code last} ends its item. */
        private record Pending(WriteItem item, WeightEncoder encoder, long sourceBytes, long bytes,
                Future<WeightEncoder.Band> result, boolean last) {
        }

        private final List<WriteItem> items;
        private final TensorSink sink;
        private final ProgressListener progress;
        private final ExecutorService workers;
        private final GpuSet gpus;
        private final ArrayDeque<Pending> window = new ArrayDeque<>();
        private final long totalSourceBytes;
        private final List<Object> sides = new ArrayList<>();
        private long bytesInFlight;
        private long sourceBytesDone;
        private int gpuItems;

        Run(List<WriteItem> items, TensorSink sink, ProgressListener progress, ExecutorService workers,
                GpuSet gpus) {
            this.items = items;
            this.gpus = gpus;
            this.sink = sink;
            this.progress = progress;
            this.workers = workers;
            this.totalSourceBytes = items.stream().mapToLong(WriteItem::sourceBytes).sum();
        }

        void execute() throws IOException {
            for (WriteItem item : items) {
                switch (item) {
                    case WriteItem.Plain p -> submitPlain(p);
                    case WriteItem.Encoded e -> submitEncoded(e);
                }
            }
            while (!window.isEmpty()) {
                writeOldest();
            }
        }

        private void submitPlain(WriteItem.Plain p) throws IOException {
            TensorJob job = p.job();
            int granule = ChunkRange.leastCommonMultiple(job.source().dtype().blockSize(),
                    job.target().dtype().blockSize());
            CudaDevice gpu = gpus.forTensor(gpuItems, job);
            gpuItems += gpu == null ? 0 : 1;
            List<ChunkRange> ranges = ChunkRange.split(job.source().elementCount(), granule, chunkElements(gpu));
            long perElementSource = job.source().elementCount() == 0 ? 0
                    : Math.max(1, job.source().byteSize() / Math.max(1, job.source().elementCount()));
            for (int i = 0; i < ranges.size(); i++) {
                ChunkRange r = ranges.get(i);
                submit(new Pending(p, null, r.count() * perElementSource, job.target().dtype().byteSize(r.count()),
                        workers.submit(() -> new WeightEncoder.Band(ChunkConverter.convert(job, r, gpu), null)),
                        i == ranges.size() - 1));
            }
        }

        private void submitEncoded(WriteItem.Encoded e) throws IOException {
            // A layout with kernels for this weight encodes its bands on a GPU (same bytes); bands then grow to
            // GPU-sized chunks so that each call moves megabytes, not kilobytes.
            // A pre-quantized source with a GPU decoder (bnb, FP8 blocks, compressed-tensors) decodes there too.
            CudaDevice gpu = gpus.forLayout(gpuItems);
            WeightEncoder encoder = gpu == null ? e.encoder() : e.encoder().onDevice(gpu);
            ElementSource source = gpu == null ? e.source() : e.source().onDevice(gpu);
            if (encoder != e.encoder() || source != e.source()) {
                gpuItems++;
            } else {
                gpu = null;
            }
            long band = encoder.bandElements();
            long per = Math.max(1, chunkElements(gpu) / band) * band;
            long n = e.elements();
            long bytesPerElement = Math.max(1, e.sourceBytes() / Math.max(1, n));
            long mainBytes = encoder.outputs().get(0).byteSize();
            for (long start = 0; start < n; start += per) {
                long first = start;
                int count = Math.toIntExact(Math.min(per, n - start));
                // In flight: the band's share of the main tensor (what waits for the writer), as for plain chunks;
                // counting its f32 input instead would let a single 64 MiB GPU band fill the default budget.
                long bytes = Math.max(1, (long) Math.ceil((double) mainBytes * count / n));
                submit(new Pending(e, encoder, count * bytesPerElement, bytes, workers.submit(() -> {
                    float[] values = ChunkConverter.scratch(count); // per worker, reused: bands are up to 64 MiB
                    source.decode(first, count, values, 0);
                    return encoder.encodeBand(values, count, first);
                }), start + per >= n));
            }
            if (n == 0) {
                submit(new Pending(e, encoder, 0, 0, workers.submit(() -> new WeightEncoder.Band(
                        MemorySegment.ofArray(new byte[0]), null)), true));
            }
        }

        private int chunkElements(CudaDevice gpu) {
            return gpu == null ? options.chunkElements()
                    : Math.max(options.chunkElements(), EngineOptions.GPU_CHUNK_ELEMENTS);
        }

        private void submit(Pending p) throws IOException {
            while (!window.isEmpty() && (bytesInFlight + p.bytes() > options.maxBytesInFlight()
                    || window.size() >= 4 * options.threads())) {
                writeOldest();
            }
            window.addLast(p);
            bytesInFlight += p.bytes();
        }

        private void writeOldest() throws IOException {
            Pending p = window.removeFirst();
            WeightEncoder.Band band = await(p);
            sink.write(band.main());
            bytesInFlight -= p.bytes();
            if (p.item() instanceof WriteItem.Encoded e) {
                sides.add(band.side());
                if (p.last()) {
                    List<MemorySegment> rest = p.encoder().finish(new ArrayList<>(sides)); // sides may be null
                    sides.clear();
                    for (MemorySegment s : rest) {
                        sink.write(s);
                    }
                }
            }
            sourceBytesDone += p.sourceBytes();
            progress.progress(p.item().outputs().get(0).name(), sourceBytesDone, totalSourceBytes);
        }

        private WeightEncoder.Band await(Pending p) throws IOException {
            try {
                return p.result().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while converting '" + p.item().outputs().get(0).name() + "'", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                if (p.item() instanceof WriteItem.Plain pl && cause instanceof RuntimeException r) {
                    throw new TensorConversionException(pl.job(), r);
                }
                throw new IllegalStateException("tensor '" + p.item().outputs().get(0).name() + "': " + cause,
                        cause);
            }
        }
    }
}
