package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The lanes the bitsandbytes launchers ({@link CudaBnb4Bit}, {@link CudaBnbInt8}) of one device share: a
 * {@link CudaStreamPool} of up to {@link CudaDevice#DEFAULT_LANES} lanes (property
 * {@value CudaDevice#LANES_PROPERTY}), each with pinned host buffers and device buffers for {@link #ELEMENTS}
 * values, allocated on first use and kept for the JVM's life (separate from {@link CudaDevice}'s own lanes, whose
 * buffers are laid out for its transcode pipeline). Thread-safe.
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
        return POOLS.computeIfAbsent(device, d -> new CudaBnbLanes());
    }

    private final CudaStreamPool<Lane> pool = new CudaStreamPool<>(CudaDevice.lanesPerDevice(), Lane::new);

    private CudaBnbLanes() {
    }

    /**
     * A stream with host buffers {@code in} and {@code out} (values at 0, side floats at {@link #SIDE}) and device
     * buffers {@code f32} (4 bytes per value), {@code bytes} (1 byte per value) and {@code side}. Work queued on the
     * stream delivers its results to the caller's arrays in {@link #pending}.
     */
    static final class Lane extends CudaStreamPool.Lane {
        final Pointer hostIn = new Pointer();
        final Pointer hostOut = new Pointer();
        final MemorySegment in;
        final MemorySegment out;
        final CUdeviceptr f32 = new CUdeviceptr();
        final CUdeviceptr bytes = new CUdeviceptr();
        final CUdeviceptr side = new CUdeviceptr();

        private Lane() {
            cuMemAllocHost(hostIn, HOST_BYTES);
            cuMemAllocHost(hostOut, HOST_BYTES);
            in = MemorySegment.ofBuffer(hostIn.getByteBuffer(0, HOST_BYTES));
            out = MemorySegment.ofBuffer(hostOut.getByteBuffer(0, HOST_BYTES));
            cuMemAlloc(f32, 4L * ELEMENTS);
            cuMemAlloc(bytes, ELEMENTS);
            cuMemAlloc(side, 4L * SIDE_FLOATS);
        }
    }

    /**
     * {@link CudaStreamPool#run} on these lanes: {@code work} over {@code n} values in sub-chunks of {@code step}
     * (at most {@link #ELEMENTS}, which the buffers hold), on two alternating lanes where one is free.
     */
    void run(long n, int step, CudaStreamPool.Work<Lane> work) {
        if (step <= 0 || step > ELEMENTS) {
            throw new IllegalArgumentException("sub-chunk of " + step + " values");
        }
        pool.run(n, step, work);
    }
}
