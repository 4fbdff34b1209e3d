package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The streams and buffers the bitsandbytes launchers ({@link CudaBnb4Bit}, {@link CudaBnbInt8}) of one device
 * share: up to {@link CudaDevice#DEFAULT_LANES} lanes (property {@value CudaDevice#LANES_PROPERTY}), each a stream
 * with pinned host buffers and device buffers for {@link #ELEMENTS} values, allocated on first use and kept for the
 * JVM's life (like {@link CudaDevice}'s own lanes, which are private to its transcode pipeline). Thread-safe.
 */
final class CudaBnbLanes {

    /** Values per lane (a sub-chunk of a call): 4 Mi, a multiple of every bnb block size. */
    static final int ELEMENTS = 1 << 22;
    /** Byte offset of the side area (absmax or SCB floats) in the pinned buffers, after the 4-byte values. */
    static final long SIDE = 4L * ELEMENTS;
    /** Floats of side area: one per 32-value block at most (and one per row of at least 32 values). */
    static final int SIDE_FLOATS = ELEMENTS / 32;
    private static final long HOST_BYTES = SIDE + 4L * SIDE_FLOATS;

    private static final Map<CudaDevice, CudaBnbLanes> POOLS = new ConcurrentHashMap<>();

    static CudaBnbLanes of(CudaDevice device) {
        return POOLS.computeIfAbsent(device, CudaBnbLanes::new);
    }

    private final LinkedBlockingQueue<Lane> free = new LinkedBlockingQueue<>();
    private final int max = Math.max(1, Integer.getInteger(CudaDevice.LANES_PROPERTY, CudaDevice.DEFAULT_LANES));
    private int created;

    private CudaBnbLanes(CudaDevice device) {
    }

    /**
     * A stream with host buffers {@code in} and {@code out} (values at 0, side floats at {@link #SIDE}) and device
     * buffers {@code f32} (4 bytes per value), {@code bytes} (1 byte per value) and {@code side}. Work queued on the
     * stream delivers its results to the caller's arrays in {@link #pending}, run by {@link #finish}.
     */
    static final class Lane {
        final CUstream stream = new CUstream();
        final Pointer hostIn = new Pointer();
        final Pointer hostOut = new Pointer();
        final MemorySegment in;
        final MemorySegment out;
        final CUdeviceptr f32 = new CUdeviceptr();
        final CUdeviceptr bytes = new CUdeviceptr();
        final CUdeviceptr side = new CUdeviceptr();
        Runnable pending;

        Lane() {
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            cuMemAllocHost(hostIn, HOST_BYTES);
            cuMemAllocHost(hostOut, HOST_BYTES);
            in = MemorySegment.ofBuffer(hostIn.getByteBuffer(0, HOST_BYTES));
            out = MemorySegment.ofBuffer(hostOut.getByteBuffer(0, HOST_BYTES));
            cuMemAlloc(f32, 4L * ELEMENTS);
            cuMemAlloc(bytes, ELEMENTS);
            cuMemAlloc(side, 4L * SIDE_FLOATS);
        }

        /** Waits for the lane's queued work, then delivers its results. */
        void finish() {
            cuStreamSynchronize(stream);
            if (pending != null) {
                Runnable r = pending;
                pending = null;
                r.run();
            }
        }

        /** After a failure: waits for the stream and drops the undelivered results. */
        void abandon() {
            pending = null;
            try {
                cuStreamSynchronize(stream);
            } catch (RuntimeException ignored) {
                // the original failure is what the caller reports
            }
        }
    }

    /** A free lane (a new one while fewer than the maximum exist); null when none is free and {@code !wait}. */
    Lane acquire(boolean wait) {
        Lane l = free.poll();
        if (l != null) {
            return l;
        }
        synchronized (free) {
            if (created < max) {
                created++;
                try {
                    return new Lane();
                } catch (RuntimeException | Error e) {
                    created--;
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

    /**
     * Runs {@code work} over {@code n} values in sub-chunks of {@code step} (at most {@link #ELEMENTS}; the last may
     * be shorter) on one lane, or on two alternating lanes where there are several sub-chunks and a second lane is
     * free, so that one sub-chunk's host copies overlap the other's transfers and kernel.
     */
    void run(long n, int step, LaneWork work) {
        if (step <= 0 || step > ELEMENTS) {
            throw new IllegalArgumentException("sub-chunk of " + step + " values");
        }
        Lane first = acquire(true);
        Lane second = n > step ? acquire(false) : null;
        Lane[] use = second == null ? new Lane[] {first} : new Lane[] {first, second};
        boolean ok = false;
        try {
            int k = 0;
            for (long done = 0; done < n; done += step, k++) {
                Lane lane = use[k % use.length];
                lane.finish();
                work.submit(lane, done, (int) Math.min(step, n - done));
            }
            for (int i = 0; i < use.length; i++) {
                use[(k + i) % use.length].finish();
            }
            ok = true;
        } finally {
            for (Lane l : use) {
                if (!ok) {
                    l.abandon();
                }
                free.add(l);
            }
        }
    }

    /** Queues the work of values {@code [done, done + count)} on a lane (whose earlier results are delivered). */
    interface LaneWork {
        void submit(Lane lane, long done, int count);
    }
}
