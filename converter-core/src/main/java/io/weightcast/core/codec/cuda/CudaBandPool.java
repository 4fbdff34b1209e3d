package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The lanes of the band launchers of the Hugging Face layouts ({@link CudaFp8Block}, {@link CudaCompressedTensors},
 * {@link CudaHfDecode}), per device: a {@link CudaStreamPool} of up to {@link #SLOTS} {@link Slot slots}, each a
 * stream with device buffers and their pinned host twins for one band's input, main output and side floats
 * (scales). The engine's workers encode bands concurrently, each in a slot of its own ({@link CudaStreamPool#use}:
 * a band waits for its slot's stream piece by piece), so one worker's host copies overlap another's transfers and
 * kernels. Buffers grow to the largest band seen and are kept for the life of the JVM (like {@link CudaDevice}'s
 * lanes).
 */
final class CudaBandPool {

    /** Slots per device at most: a worker beyond that waits for a free one. */
    static final int SLOTS = 4;
    private static final long GRAIN = 1 << 20; // buffers grow in whole MiB, so that bands of similar size reuse them
    private static final Map<CudaDevice, CudaStreamPool<Slot>> POOLS = new ConcurrentHashMap<>();

    private CudaBandPool() {
    }

    /** The device's slots; the device's context must be current when one is taken. */
    static CudaStreamPool<Slot> of(CudaDevice device) {
        return POOLS.computeIfAbsent(device, d -> new CudaStreamPool<>(SLOTS, Slot::new));
    }

    /** A stream and its buffers (allocated by their first {@link Buffer#ensure}). */
    static final class Slot extends CudaStreamPool.Lane {
        final Buffer in = new Buffer();
        final Buffer out = new Buffer();
        final Buffer side = new Buffer();

        private Slot() {
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
