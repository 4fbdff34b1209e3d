package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * bitsandbytes 4-bit (NF4, FP4) on one CUDA device: the kernels of {@code bnb.cu}, bit-exact copies of
 * {@link Bnb#absmax}, {@link Bnb#quantize4} and {@link Bnb#dequantize4} (NF4/FP4 tables). A {@link Bnb4BitKernel},
 * so it can stand in for the CPU twins; {@link #encode} also computes the absmax vector on the GPU (one fused
 * kernel). A NaN absmax is the canonical NaN 0x7FC00000 on both sides, so the absmax is identical bit for bit.
 * Inputs go through in sub-chunks of {@link #CHUNK} values on the device's shared bnb lanes
 * (pinned buffers, two streams alternating), so host copies overlap transfers and kernels; concurrent callers get
 * lanes of their own. Worth it for large inputs (a layout band of millions of values), not for one block.
 */
public final class CudaBnb4Bit implements Bnb4BitKernel {

    /** Values per sub-chunk: 4 Mi, a multiple of every bnb block size. */
    public static final int CHUNK = CudaBnbLanes.ELEMENTS;
    static final int THREADS = 256; // WC_BNB_THREADS
    static final int PER = 8; // WC_BNB_PER: consecutive values per thread
    public static final CudaKernels.Kernel ENCODE = new CudaKernels.Kernel("bnb", "wc_bnb4_encode", THREADS * PER,
            THREADS);
    public static final CudaKernels.Kernel QUANTIZE = new CudaKernels.Kernel("bnb", "wc_bnb4_quantize",
            THREADS * PER, THREADS);
    public static final CudaKernels.Kernel DECODE = new CudaKernels.Kernel("bnb", "wc_bnb4_decode", THREADS * PER,
            THREADS);

    private final CudaDevice device;
    private final CudaBnbLanes lanes;

    public CudaBnb4Bit(CudaDevice device) {
        this.device = Objects.requireNonNull(device);
        this.lanes = CudaBnbLanes.of(device);
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    public String implementation() {
        return "cuda:" + device.ordinal();
    }

    /** The kernels take the block sizes bnb has: powers of two from 32 to 4096 ({@link Bnb#BLOCK_SIZES}). */
    private static void checkBlocksize(int blocksize) {
        if (Arrays.stream(Bnb.BLOCK_SIZES).noneMatch(b -> b == blocksize)) {
            throw new IllegalArgumentException("bnb 4-bit blocksize " + blocksize + " is not one of "
                    + Arrays.toString(Bnb.BLOCK_SIZES));
        }
    }

    private static int blocks(long n, int blocksize) {
        return Math.toIntExact((n + blocksize - 1) / blocksize);
    }

    /** {@link Bnb#absmax} then {@link Bnb#quantize4} of {@code src[off, off+n)}, both on the GPU. */
    public void encode(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax, int absOff,
            MemorySegment dst, long dstOffset) {
        run(nf4, src, off, n, blocksize, absmax, absOff, dst, dstOffset, true);
    }

    /** {@link Bnb#quantize4} with the given absmax vector. */
    @Override
    public void quantize4(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax, int absOff,
            MemorySegment dst, long dstOffset) {
        run(nf4, src, off, n, blocksize, absmax, absOff, dst, dstOffset, false);
    }

    private void run(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax, int absOff,
            MemorySegment dst, long dstOffset, boolean fused) {
        checkBlocksize(blocksize);
        Objects.checkFromIndexSize(off, n, src.length);
        Objects.checkFromIndexSize(absOff, blocks(n, blocksize), absmax.length);
        Objects.checkFromIndexSize(dstOffset, (n + 1L) / 2, dst.byteSize());
        if (n == 0) {
            return;
        }
        device.makeCurrent();
        MemorySegment source = MemorySegment.ofArray(src);
        lanes.run(n, CHUNK, (lane, done, m) -> {
            int nb = blocks(m, blocksize);
            int a0 = absOff + (int) (done / blocksize);
            MemorySegment.copy(source, 4L * (off + done), lane.in, 0, 4L * m);
            cuMemcpyHtoDAsync(lane.f32, lane.hostIn, 4L * m, lane.stream);
            if (fused) {
                launchEncode(nf4, lane.f32, lane.side, lane.bytes, m, blocksize, lane.stream);
                cuMemcpyDtoHAsync(lane.hostOut.withByteOffset(CudaBnbLanes.SIDE), lane.side, 4L * nb, lane.stream);
            } else {
                MemorySegment.copy(absmax, a0, lane.in, ValueLayout.JAVA_FLOAT, CudaBnbLanes.SIDE, nb);
                cuMemcpyHtoDAsync(lane.side, lane.hostIn.withByteOffset(CudaBnbLanes.SIDE), 4L * nb, lane.stream);
                launchQuantize(nf4, lane.f32, lane.side, lane.bytes, m, blocksize, lane.stream);
            }
            int bytes = (m + 1) / 2;
            cuMemcpyDtoHAsync(lane.hostOut, lane.bytes, bytes, lane.stream);
            lane.pending = () -> {
                MemorySegment.copy(lane.out, 0, dst, dstOffset + done / 2, bytes);
                if (fused) {
                    MemorySegment.copy(lane.out, ValueLayout.JAVA_FLOAT, CudaBnbLanes.SIDE, absmax, a0, nb);
                }
            };
        });
    }

    /**
     * {@link Bnb#dequantize4} of elements {@code [0, n)} with the NF4 or FP4 table ({@link Bnb#NF4}, {@link Bnb#FP4}):
     * {@code packed} holds {@code (n + 1) / 2} bytes, {@code absmax} the vector from its first block. A NaN absmax
     * gives the canonical NaN (equal to the CPU's under {@link Float#floatToIntBits}).
     */
    public void decode(boolean nf4, MemorySegment packed, long packedOffset, float[] absmax, int absOff, int n,
            int blocksize, float[] dst, int dstOffset) {
        checkBlocksize(blocksize);
        Objects.checkFromIndexSize(packedOffset, (n + 1L) / 2, packed.byteSize());
        Objects.checkFromIndexSize(absOff, blocks(n, blocksize), absmax.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        if (n == 0) {
            return;
        }
        device.makeCurrent();
        MemorySegment target = MemorySegment.ofArray(dst);
        lanes.run(n, CHUNK, (lane, done, m) -> {
            int nb = blocks(m, blocksize);
            int nbytes = (m + 1) / 2;
            MemorySegment.copy(packed, packedOffset + done / 2, lane.in, 0, nbytes);
            cuMemcpyHtoDAsync(lane.bytes, lane.hostIn, nbytes, lane.stream);
            MemorySegment.copy(absmax, absOff + (int) (done / blocksize), lane.in, ValueLayout.JAVA_FLOAT,
                    CudaBnbLanes.SIDE, nb);
            cuMemcpyHtoDAsync(lane.side, lane.hostIn.withByteOffset(CudaBnbLanes.SIDE), 4L * nb, lane.stream);
            launchDecode(nf4, lane.bytes, lane.side, lane.f32, m, blocksize, lane.stream);
            cuMemcpyDtoHAsync(lane.hostOut, lane.f32, 4L * m, lane.stream);
            lane.pending = () -> MemorySegment.copy(lane.out, 0, target, 4L * (dstOffset + done), 4L * m);
        });
    }

    // Launches on device-resident data (the context must be current); also what the GPU benchmark times.

    /** {@code wc_bnb4_encode}: absmax ({@code ceil(n / blocksize)} floats) and {@code (n + 1) / 2} packed bytes. */
    public void launchEncode(boolean nf4, CUdeviceptr x, CUdeviceptr absmax, CUdeviceptr out, long n, int blocksize,
            CUstream stream) {
        launch(ENCODE, x, absmax, out, n, blocksize, nf4, stream);
    }

    /** {@code wc_bnb4_quantize}: packed bytes from values and a given absmax vector. */
    public void launchQuantize(boolean nf4, CUdeviceptr x, CUdeviceptr absmax, CUdeviceptr out, long n,
            int blocksize, CUstream stream) {
        launch(QUANTIZE, x, absmax, out, n, blocksize, nf4, stream);
    }

    /** {@code wc_bnb4_decode}: {@code n} floats from packed bytes and the absmax vector. */
    public void launchDecode(boolean nf4, CUdeviceptr packed, CUdeviceptr absmax, CUdeviceptr y, long n,
            int blocksize, CUstream stream) {
        launch(DECODE, packed, absmax, y, n, blocksize, nf4, stream);
    }

    /**
     * Every bnb kernel: {@link #PER} consecutive values per thread, {@code max(256, blocksize / 8)} threads per CTA
     * (whole bnb blocks per CTA: the encoder reduces each block's absmax inside its CTA).
     */
    private void launch(CudaKernels.Kernel k, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c, long n, int blocksize,
            boolean nf4, CUstream stream) {
        checkBlocksize(blocksize);
        if (n == 0) {
            return;
        }
        int threads = Math.max(THREADS, blocksize / PER);
        long ctas = ((n + PER - 1) / PER + threads - 1) / threads;
        if (ctas > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(n + " values are too many for one launch of " + k.function());
        }
        Pointer params = Pointer.to(Pointer.to(a), Pointer.to(b), Pointer.to(c), Pointer.to(new long[] {n}),
                Pointer.to(new int[] {blocksize}), Pointer.to(new int[] {nf4 ? 1 : 0}));
        cuLaunchKernel(device.function(k), (int) ctas, 1, 1, threads, 1, 1, 0, stream, params, null);
    }

    @Override
    public String toString() {
        return "CudaBnb4Bit[" + device + "]";
    }

    static {
        assert Arrays.stream(Bnb.BLOCK_SIZES).allMatch(b -> CHUNK % b == 0 && b / PER <= 1024);
    }
}
