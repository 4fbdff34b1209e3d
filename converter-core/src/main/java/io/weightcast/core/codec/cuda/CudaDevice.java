package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import io.weightcast.core.codec.Codec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * One CUDA device: its primary context, the PTX modules loaded into it (once, on first use), and a pool of
 * {@linkplain Lane lanes} (a stream with pinned host buffers and device buffers each): {@link #transcode} takes two
 * lanes for a large input and alternates between them so that the host copy of one sub-chunk, the host→device
 * copy, the kernels and the device→host copy of the other overlap, and concurrent callers get lanes of their own.
 *
 * <p>Thread-safe. Obtain devices from {@link CudaRuntime}; they live as long as the JVM.
 */
public final class CudaDevice {

    /** Elements per sub-chunk (a lane's capacity): 4 Mi, a multiple of every block size (≤ 256). */
    public static final int LANE_ELEMENTS = 1 << 22;
    private static final long LANE_BYTES = 4L * LANE_ELEMENTS; // the widest element is an f32
    /** Streams (with their buffers: 32 MiB pinned, 48 MiB on the device) per device at most. */
    public static final int DEFAULT_LANES = 4;
    public static final String LANES_PROPERTY = "weightcast.cuda.lanes";

    private final int ordinal;
    private final String name;
    private final long totalMemory;
    private final int multiprocessors;
    private final int computeMajor;
    private final int computeMinor;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final CudaStreamPool<Lane> lanes = new CudaStreamPool<>(lanesPerDevice(), Lane::new);
    /** Elements that went through {@link #transcode} here: shows how the engine spread the work over devices. */
    private final AtomicLong elementsTranscoded = new AtomicLong();

    /** Streams per device at most for each pool of lanes: property {@value #LANES_PROPERTY}, at least 1. */
    static int lanesPerDevice() {
        return Math.max(1, Integer.getInteger(LANES_PROPERTY, DEFAULT_LANES));
    }

    CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        cuDeviceGet(device, ordinal);
        byte[] n = new byte[256];
        cuDeviceGetName(n, n.length, device);
        int len = 0;
        while (len < n.length && n[len] != 0) {
            len++;
        }
        this.name = new String(n, 0, len, StandardCharsets.UTF_8);
        long[] mem = new long[1];
        cuDeviceTotalMem(mem, device);
        this.totalMemory = mem[0];
        this.multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.computeMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.computeMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        cuDevicePrimaryCtxRetain(context, device);
    }

    /** A device attribute ({@link CUdevice_attribute}); 0 where the driver does not report it. */
    public int attribute(int attribute) {
        int[] v = new int[1];
        try {
            cuDeviceGetAttribute(v, attribute, device);
        } catch (RuntimeException e) {
            return 0;
        }
        return v[0];
    }

    /** Elements converted by {@link #transcode} on this device since the JVM started. */
    public long elementsTranscoded() {
        return elementsTranscoded.get();
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public long totalMemory() {
        return totalMemory;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    /**
     * The theoretical memory bandwidth in bytes/s from the memory clock and bus width (2 transfers per clock), or
     * 0 where the driver no longer reports them.
     */
    public double theoreticalBandwidth() {
        long khz = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
        long bits = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
        return 2.0 * khz * 1000.0 * bits / 8.0;
    }

    /** The primary context, made current on the calling thread. */
    public CUcontext makeCurrent() {
        cuCtxSetCurrent(context);
        return context;
    }

    /** The kernel's function in this device's context, its module loaded on first use (context must be current). */
    public CUfunction function(CudaKernels.Kernel k) {
        lock.lock();
        try {
            return functions.computeIfAbsent(k.function(), f -> {
                CUmodule m = module(k.module());
                CUfunction fn = new CUfunction();
                cuModuleGetFunction(fn, m, f);
                return fn;
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Loads a PTX module ({@link CudaKernels#MODULES}) into this device's context unless it is loaded already. The
     * driver JIT-compiles the PTX for this GPU on the first load on a machine (then caches the result in
     * {@code ~/.nv/ComputeCache}), which takes seconds for the large modules; benchmarks preload to time it apart.
     */
    public void preload(String module) {
        makeCurrent();
        lock.lock();
        try {
            module(module);
        } finally {
            lock.unlock();
        }
    }

    private CUmodule module(String module) {
        return modules.computeIfAbsent(module, mod -> {
            CUmodule cm = new CUmodule();
            cuModuleLoadData(cm, CudaKernels.ptx(mod));
            return cm;
        });
    }

    /** Launches {@code k} over {@code nblocks} type blocks: {@code k(in, out, nblocks)} on {@code stream}. */
    public void launch(CudaKernels.Kernel k, long nblocks, CUdeviceptr in, CUdeviceptr out, CUstream stream) {
        if (k.searching()) {
            throw new IllegalArgumentException(k.function() + " needs launchSearching");
        }
        if (nblocks == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(out), Pointer.to(new long[] {nblocks}));
        cuLaunchKernel(function(k), k.grid(nblocks), 1, 1, k.threads(), 1, 1, 0, stream, params, null);
    }

    /**
     * Launches a searching encode kernel: {@code k(in, out, nblocks, qw, rowBlocks, colBlock0, flags)}; {@code qw}
     * null for no importance matrix.
     */
    public void launchSearching(CudaKernels.Kernel k, long nblocks, CUdeviceptr in, CUdeviceptr out, CUdeviceptr qw,
            int rowBlocks, int colBlock0, CUdeviceptr flags, CUstream stream) {
        if (nblocks == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(out), Pointer.to(new long[] {nblocks}),
                Pointer.to(qw == null ? new CUdeviceptr() : qw), Pointer.to(new int[] {rowBlocks}),
                Pointer.to(new int[] {colBlock0}), Pointer.to(flags));
        cuLaunchKernel(function(k), k.grid(nblocks), 1, 1, k.threads(), 1, 1, 0, stream, params, null);
    }

    /** A stream with its pinned host buffers and device buffers, sized for {@link #LANE_ELEMENTS} elements. */
    private static final class Lane extends CudaStreamPool.Lane {
        final Pointer hostIn = new Pointer();
        final Pointer hostOut = new Pointer();
        final MemorySegment hostInSeg;
        final MemorySegment hostOutSeg;
        final CUdeviceptr devIn = new CUdeviceptr();
        final CUdeviceptr devF32 = new CUdeviceptr();
        final CUdeviceptr devOut = new CUdeviceptr();
        final CUdeviceptr devFlags = new CUdeviceptr();
        final Pointer hostFlags = new Pointer();
        final MemorySegment hostFlagsSeg;
        CUdeviceptr devQw;
        long devQwBytes;

        Lane() {
            cuMemAllocHost(hostIn, LANE_BYTES);
            cuMemAllocHost(hostOut, LANE_BYTES);
            hostInSeg = MemorySegment.ofBuffer(hostIn.getByteBuffer(0, LANE_BYTES));
            hostOutSeg = MemorySegment.ofBuffer(hostOut.getByteBuffer(0, LANE_BYTES));
            cuMemAlloc(devIn, LANE_BYTES);
            cuMemAlloc(devF32, LANE_BYTES);
            cuMemAlloc(devOut, LANE_BYTES);
            cuMemAlloc(devFlags, LANE_ELEMENTS / 32);
            cuMemAllocHost(hostFlags, LANE_ELEMENTS / 32);
            hostFlagsSeg = MemorySegment.ofBuffer(hostFlags.getByteBuffer(0, LANE_ELEMENTS / 32));
        }

        /** A device copy of the importance matrix (reallocated when it grows). */
        CUdeviceptr importance(float[] qw) {
            long bytes = 4L * qw.length;
            if (devQw == null || devQwBytes < bytes) {
                if (devQw != null) {
                    jcuda.driver.JCudaDriver.cuMemFree(devQw);
                }
                devQw = new CUdeviceptr();
                cuMemAlloc(devQw, bytes);
                devQwBytes = bytes;
            }
            jcuda.driver.JCudaDriver.cuMemcpyHtoD(devQw, Pointer.to(qw), bytes);
            return devQw;
        }
    }

    /**
     * Converts {@code count} elements of type {@code from} at {@code src[srcOffset..]} to type {@code to} at
     * {@code dst[dstOffset..]}, entirely on this device: host→device copy of the source bytes, the decode kernel
     * of {@code from} (none for F32), the encode kernel of {@code to} (none for F32), device→host copy. Large inputs
     * go through in sub-chunks of {@link #LANE_ELEMENTS}, alternating between two streams where two are free, so
     * that one sub-chunk's host copies overlap the other's transfers and kernels. Several threads may call at once:
     * each works on its own streams (up to {@value #DEFAULT_LANES} per device, property {@value #LANES_PROPERTY}),
     * so the engine's workers overlap on the GPU and do their host copies in parallel. {@code count} must be whole
     * blocks of both types. The segments may be heap or native (mapped files included).
     *
     * @throws UnsupportedOperationException when a type has no kernel ({@link CudaKernels#canTranscode})
     */
    public void transcode(DType from, MemorySegment src, long srcOffset, DType to, MemorySegment dst, long dstOffset,
            long count) {
        transcode(from, src, srcOffset, to, dst, dstOffset, count, null, 0, 0);
    }

    /**
     * As {@link #transcode(DType, MemorySegment, long, DType, MemorySegment, long, long)}, with ggml's importance
     * matrix for types whose quantizer uses one ({@link CudaKernels#encodesImportance}): {@code importance} holds
     * one weight per column of rows of {@code rowLength} elements, and element 0 of this call is in column
     * {@code firstColumn}. Blocks whose bytes would depend on a NaN payload (which x86 keeps and the GPU does not)
     * are flagged by the kernel and encoded here with the scalar codec, so the bytes always equal the CPU's.
     */
    public void transcode(DType from, MemorySegment src, long srcOffset, DType to, MemorySegment dst, long dstOffset,
            long count, float[] importance, int rowLength, int firstColumn) {
        if (importance != null && !CudaKernels.encodesImportance(to)) {
            throw new UnsupportedOperationException(to + ": no importance-weighted CUDA kernel");
        }
        if (importance != null && (rowLength <= 0 || rowLength % to.blockSize() != 0 || importance.length < rowLength
                || firstColumn % to.blockSize() != 0 || firstColumn < 0 || firstColumn >= rowLength)) {
            throw new IllegalArgumentException("importance of " + importance.length + " for rows of " + rowLength
                    + " from column " + firstColumn + " does not fit " + to + " blocks");
        }
        if (!CudaKernels.canTranscode(from, to)) {
            throw new UnsupportedOperationException("no CUDA kernels for " + from + " -> " + to);
        }
        Objects.checkFromIndexSize(srcOffset, from.byteSize(count), src.byteSize());
        Objects.checkFromIndexSize(dstOffset, to.byteSize(count), dst.byteSize());
        if (count % from.blockSize() != 0 || count % to.blockSize() != 0) {
            throw new IllegalArgumentException(count + " elements are not whole blocks of " + from + " and " + to);
        }
        CudaKernels.Kernel decode = from == DType.F32 ? null : CudaKernels.spec(from).decode();
        CudaKernels.Kernel encode = to == DType.F32 ? null : CudaKernels.encoder(to);
        elementsTranscoded.addAndGet(count);
        makeCurrent();
        lanes.run(count, LANE_ELEMENTS, (lane, done, n) -> {
            long inBytes = from.byteSize(n);
            long outBytes = to.byteSize(n);
            MemorySegment.copy(src, srcOffset + from.byteSize(done), lane.hostInSeg, 0, inBytes);
            cuMemcpyHtoDAsync(lane.devIn, lane.hostIn, inBytes, lane.stream);
            CUdeviceptr f32 = lane.devIn;
            if (decode != null) {
                launch(decode, n / from.blockSize(), lane.devIn, lane.devF32, lane.stream);
                f32 = lane.devF32;
            }
            CUdeviceptr out = f32;
            long nb = n / to.blockSize();
            boolean searching = encode != null && encode.searching();
            if (searching) {
                CUdeviceptr qw = importance == null ? null : lane.importance(importance);
                int rowBlocks = importance == null ? 1 : rowLength / to.blockSize();
                int colBlock0 = importance == null ? 0 : (int) (((firstColumn + done) % rowLength) / to.blockSize());
                launchSearching(encode, nb, f32, lane.devOut, qw, rowBlocks, colBlock0, lane.devFlags, lane.stream);
                jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(lane.hostFlags, lane.devFlags, nb, lane.stream);
                out = lane.devOut;
            } else if (encode != null) {
                launch(encode, nb, f32, lane.devOut, lane.stream);
                out = lane.devOut;
            }
            cuMemcpyDtoHAsync(lane.hostOut, out, outBytes, lane.stream);
            long dstAt = dstOffset + to.byteSize(done);
            lane.pending = () -> {
                MemorySegment.copy(lane.hostOutSeg, 0, dst, dstAt, outBytes);
                if (searching) { // the blocks the kernel flagged, re-encoded on the CPU over the GPU's bytes
                    cpuFixup(lane.hostFlagsSeg, nb, from, src, srcOffset, to, dst, dstOffset, done, importance,
                            rowLength, firstColumn);
                }
            };
        });
    }

    /** Re-encodes, with the scalar codecs, the blocks of a sub-chunk starting at element {@code first} that the kernel flagged. */
    private static void cpuFixup(MemorySegment flags, long nblocks, DType from, MemorySegment src, long srcOffset,
            DType to, MemorySegment dst, long dstOffset, long first, float[] importance, int rowLength,
            int firstColumn) {
        int qk = to.blockSize();
        int fb = from.blockSize();
        int span = qk % fb == 0 ? qk : Math.multiplyExact(qk / gcd(qk, fb), fb); // whole blocks of both
        float[] values = null;
        for (long b = 0; b < nblocks; b++) {
            if (flags.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b) == 0) {
                continue;
            }
            long e = first + b * qk;
            long start = e - e % span;
            if (values == null) {
                values = new float[span];
            }
            io.weightcast.core.codec.Codecs.scalar(from).decode(src, srcOffset + from.byteSize(start), span, values,
                    0);
            int at = (int) (e - start);
            Codec scalar = io.weightcast.core.codec.Codecs.scalar(to);
            long out = dstOffset + to.byteSize(e);
            if (importance == null) {
                scalar.encode(values, at, qk, dst, out);
            } else {
                int col = (int) ((firstColumn + e) % rowLength);
                float[] w = java.util.Arrays.copyOfRange(importance, col, col + qk);
                scalar.encodeRows(values, at, 1, qk, w, dst, out);
            }
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " (" + name + ", " + (totalMemory >> 20) + " MiB, sm_" + computeMajor
                + computeMinor + ", " + multiprocessors + " SMs)";
    }
}
