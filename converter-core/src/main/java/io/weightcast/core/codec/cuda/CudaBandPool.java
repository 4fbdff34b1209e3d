package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
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
 * The buffers of the band launchers of the Hugging Face layouts ({@link CudaFp8Block},
 * {@link CudaCompressedTensors}), per device: a few {@link Slot slots}, each a stream with device buffers and their
 * pinned host twins for one band's input, main output and side floats (scales). The engine's workers encode bands
 * concurrently, each in a slot of its own, so one worker's host copies overlap another's transfers and kernels.
 * Buffers grow to the largest band seen and are kept for the life of the JVM (like {@link CudaDevice}'s lanes).
 */
final class CudaBandPool {

    /** Slots per device at most: a worker beyond that waits for a free one. */
    static final int SLOTS = 4;
    private static final long GRAIN = 1 << 20; // buffers grow in whole MiB, so that bands of similar size reuse them
    private static final Map<CudaDevice, CudaBandPool> POOLS = new ConcurrentHashMap<>();

    private final CudaDevice device;
    private final LinkedBlockingQueue<Slot> free = new LinkedBlockingQueue<>();
    private int created;

    private CudaBandPool(CudaDevice device) {
        this.device = device;
    }

    static CudaBandPool of(CudaDevice device) {
        return POOLS.computeIfAbsent(device, CudaBandPool::new);
    }

    /** A free slot (created on demand up to {@link #SLOTS}); the device's context must be current. */
    Slot acquire() {
        Slot s = free.poll();
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (created < SLOTS) {
                created++;
                return new Slot();
            }
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a CUDA slot on " + device, e);
        }
    }

    /** Gives a slot back; after a failure its stream is drained first so that no copy lands in a reused buffer. */
    void release(Slot s, boolean ok) {
        if (!ok) {
            try {
                cuStreamSynchronize(s.stream);
            } catch (RuntimeException ignored) {
                // the original failure is what the caller reports
            }
        }
        free.add(s);
    }

    /** A stream and its buffers. */
    static final class Slot {
        final CUstream stream = new CUstream();
        final Buffer in = new Buffer();
        final Buffer out = new Buffer();
        final Buffer side = new Buffer();

        private Slot() {
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        }
    }

    /** A device buffer and its pinned host twin of the same size. */
    static final class Buffer {
        final CUdeviceptr dev = new CUdeviceptr();
        final Pointer host = new Pointer();
        MemorySegment hostSeg = MemorySegment.NULL;
        private long capacity;

        /** Grows both to at least {@code bytes} (only between uses of the slot: its stream is idle). */
        void ensure(long bytes) {
            if (bytes <= capacity) {
                return;
            }
            if (capacity > 0) {
                cuMemFree(dev);
                cuMemFreeHost(host);
                capacity = 0;
                hostSeg = MemorySegment.NULL;
            }
            long size = (bytes + GRAIN - 1) / GRAIN * GRAIN;
            cuMemAlloc(dev, size);
            try {
                cuMemAllocHost(host, size);
            } catch (RuntimeException | Error e) {
                cuMemFree(dev);
                throw e;
            }
            hostSeg = MemorySegment.ofBuffer(host.getByteBuffer(0, size));
            capacity = size;
        }
    }
}
