package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * A pool of {@linkplain Lane lanes} (a CUDA stream with the buffers its user needs) of one device, shared by
 * concurrent callers: lanes are created on demand up to a maximum (each holds pinned and device memory, so they are
 * few and kept for the JVM's life) and a caller beyond that waits for a free one. {@link #run} streams a large input
 * through one or two lanes; {@link #call} and {@link #use} lend one lane to work that synchronizes by itself. The
 * users ({@link CudaDevice}'s transcode, {@link CudaBnbLanes}, {@link CudaBandPool}) only say what a lane holds and
 * what a sub-chunk does; the lane bookkeeping and the failure handling live here. Thread-safe; the device's context
 * must be current on the calling thread (lanes allocate in it).
 */
final class CudaStreamPool<L extends CudaStreamPool.Pooled> {

    private final LinkedBlockingQueue<L> free = new LinkedBlockingQueue<>();
    private final int max;
    private final Supplier<L> factory;
    private int created; // guarded by free

    /** At most {@code max} lanes (at least one), made by {@code factory}. */
    CudaStreamPool(int max, Supplier<L> factory) {
        this.max = Math.max(1, max);
        this.factory = factory;
    }

    /** What the pool needs of a lane (the CUDA-free part, so that the pool's logic is testable on any machine). */
    interface Pooled {
        /** Waits for the lane's queued work, then delivers its results. */
        void finish();

        /** After a failure: drops the undelivered results and waits for the queued work, ignoring its failures. */
        void abandon();
    }

    /**
     * A stream (non-blocking: it does not wait for the legacy default stream) and the results of the work last
     * queued on it, which {@link #finish} delivers once the stream is idle. Subclasses add the buffers.
     */
    abstract static class Lane implements Pooled {
        final CUstream stream = new CUstream();
        /** Copies the queued work's results from the pinned buffers to the caller's memory; null when none. */
        Runnable pending;

        Lane() {
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        }

        @Override
        public final void finish() {
            cuStreamSynchronize(stream);
            if (pending != null) {
                Runnable r = pending;
                pending = null;
                r.run();
            }
        }

        /**
         * After a failure: drops the undelivered results and waits for the stream, so that no copy still in flight
         * lands in a buffer the next user of the lane has filled.
         */
        @Override
        public final void abandon() {
            pending = null;
            try {
                cuStreamSynchronize(stream);
            } catch (RuntimeException ignored) {
                // the original failure is what the caller reports
            }
        }
    }

    /** A free lane (a new one while fewer than the maximum exist); null when none is free and {@code !wait}. */
    L acquire(boolean wait) {
        L l = free.poll();
        if (l != null) {
            return l;
        }
        synchronized (free) {
            if (created < max) {
                created++;
                try {
                    return factory.get();
                } catch (RuntimeException | Error e) {
                    created--; // e.g. out of device memory: a later caller may try again
                    throw e;
                }
            }
        }
        if (!wait) {
            return null;
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a CUDA stream", e);
        }
    }

    /** Gives a lane back; after a failure ({@code !ok}) it is {@linkplain Pooled#abandon abandoned} first. */
    void release(L lane, boolean ok) {
        if (!ok) {
            lane.abandon();
        }
        free.add(lane);
    }

    /** Runs {@code work} on a lane of its own and gives the lane back; the work waits for its stream itself. */
    <T> T call(Function<? super L, ? extends T> work) {
        L lane = acquire(true);
        boolean ok = false;
        try {
            T result = work.apply(lane);
            ok = true;
            return result;
        } finally {
            release(lane, ok);
        }
    }

    /** {@link #call} for work without a result. */
    void use(Consumer<? super L> work) {
        call(lane -> {
            work.accept(lane);
            return null;
        });
    }

    /**
     * Runs {@code work} over {@code n} elements in sub-chunks of {@code step} (the last may be shorter) on one lane,
     * or on two alternating lanes where there are several sub-chunks and a second lane is free (never waiting for
     * one: two callers each holding one lane must not deadlock), so that one sub-chunk's host copies overlap the
     * other's transfers and kernels. Before a lane takes its next sub-chunk its previous results are delivered; all
     * are delivered when this returns. {@code step} must fit the lanes' buffers.
     */
    void run(long n, int step, Work<? super L> work) {
        if (step <= 0) {
            throw new IllegalArgumentException("sub-chunk of " + step + " elements");
        }
        L first = acquire(true);
        L second;
        try {
            second = n > step ? acquire(false) : null;
        } catch (RuntimeException | Error e) { // creating it failed: the first lane must not be lost to the pool
            release(first, true);
            throw e;
        }
        List<L> lanes = second == null ? List.of(first) : List.of(first, second);
        boolean ok = false;
        try {
            int k = 0;
            for (long done = 0; done < n; done += step, k++) {
                L lane = lanes.get(k % lanes.size());
                lane.finish();
                work.submit(lane, done, (int) Math.min(step, n - done));
            }
            for (int i = 0; i < lanes.size(); i++) {
                lanes.get((k + i) % lanes.size()).finish(); // in submission order: the older sub-chunk first
            }
            ok = true;
        } finally {
            for (L l : lanes) {
                release(l, ok);
            }
        }
    }

    /**
     * Queues the work of elements {@code [done, done + count)} on a lane whose earlier results are delivered, and
     * sets (for a {@link Lane}) {@link Lane#pending} to deliver this sub-chunk's.
     */
    interface Work<L> {
        void submit(L lane, long done, int count);
    }
}
