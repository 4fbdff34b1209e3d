package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

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
 * kernel). A NaN absmax comes back as the canonical NaN (the CPU's keeps a payload of its input): equal under
 * {@link Float#floatToIntBits}, and it encodes the same. Inputs go through in chunks of {@link #CHUNK} elements
 * with synchronous copies on the default stream (which order them after the kernel); worth it for large inputs only.
 */
public final class CudaBnb4Bit implements Bnb4BitKernel {

    /** Elements per launch: 16 Mi (64 MiB of f32), a multiple of every bnb block size. */
    public static final int CHUNK = 1 << 24;
    static final int THREADS = 256; // WC_BNB_THREADS
    static final int WARPS = 8; // WC_BNB_WARPS
    public static final CudaKernels.Kernel ENCODE = new CudaKernels.Kernel("bnb", "wc_bnb4_encode", WARPS, THREADS);
    public static final CudaKernels.Kernel QUANTIZE = new CudaKernels.Kernel("bnb", "wc_bnb4_quantize", 2 * THREADS,
            THREADS);
    public static final CudaKernels.Kernel DECODE = new CudaKernels.Kernel("bnb", "wc_bnb4_decode", THREADS,
            THREADS);
    private static final int MAX_GRID = 1 << 16; // the grid-stride kernels need no more CTAs

    private final CudaDevice device;

    public CudaBnb4Bit(CudaDevice device) {
        this.device = Objects.requireNonNull(device);
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    public String implementation() {
        return "cuda:" + device.ordinal();
    }

    private static void checkBlocksize(int blocksize) {
        if (blocksize <= 0 || blocksize % 2 != 0 || CHUNK % blocksize != 0) {
            throw new IllegalArgumentException("bnb 4-bit blocksize " + blocksize);
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
        int cap = Math.min(n, CHUNK);
        byte[] packed = new byte[(cap + 1) / 2];
        device.makeCurrent();
        CUdeviceptr dx = new CUdeviceptr();
        CUdeviceptr da = new CUdeviceptr();
        CUdeviceptr dy = new CUdeviceptr();
        cuMemAlloc(dx, 4L * cap);
        try {
            cuMemAlloc(da, 4L * blocks(cap, blocksize));
            try {
                cuMemAlloc(dy, (cap + 1L) / 2);
                try {
                    for (int done = 0; done < n; done += CHUNK) {
                        int m = Math.min(CHUNK, n - done);
                        int nb = blocks(m, blocksize);
                        int a0 = absOff + done / blocksize;
                        cuMemcpyHtoD(dx, Pointer.to(src).withByteOffset(4L * (off + done)), 4L * m);
                        if (fused) {
                            launchEncode(nf4, dx, da, dy, m, blocksize, null);
                        } else {
                            cuMemcpyHtoD(da, Pointer.to(absmax).withByteOffset(4L * a0), 4L * nb);
                            launchQuantize(nf4, dx, da, dy, m, blocksize, null);
                        }
                        int bytes = (m + 1) / 2;
                        cuMemcpyDtoH(Pointer.to(packed), dy, bytes);
                        MemorySegment.copy(MemorySegment.ofArray(packed), 0, dst, dstOffset + done / 2, bytes);
                        if (fused) {
                            cuMemcpyDtoH(Pointer.to(absmax).withByteOffset(4L * a0), da, 4L * nb);
                        }
                    }
                } finally {
                    cuMemFree(dy);
                }
            } finally {
                cuMemFree(da);
            }
        } finally {
            cuMemFree(dx);
        }
    }

    /**
     * {@link Bnb#dequantize4} of elements {@code [0, n)} with the NF4 or FP4 table ({@link Bnb#NF4}, {@link Bnb#FP4}):
     * {@code packed} holds {@code (n + 1) / 2} bytes, {@code absmax} the vector from its first block.
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
        int cap = Math.min(n, CHUNK);
        byte[] bytes = new byte[(cap + 1) / 2];
        device.makeCurrent();
        CUdeviceptr dq = new CUdeviceptr();
        CUdeviceptr da = new CUdeviceptr();
        CUdeviceptr dy = new CUdeviceptr();
        cuMemAlloc(dq, (cap + 1L) / 2);
        try {
            cuMemAlloc(da, 4L * blocks(cap, blocksize));
            try {
                cuMemAlloc(dy, 4L * cap);
                try {
                    for (int done = 0; done < n; done += CHUNK) {
                        int m = Math.min(CHUNK, n - done);
                        int nb = blocks(m, blocksize);
                        int nbytes = (m + 1) / 2;
                        MemorySegment.copy(packed, ValueLayout.JAVA_BYTE, packedOffset + done / 2, bytes, 0, nbytes);
                        cuMemcpyHtoD(dq, Pointer.to(bytes), nbytes);
                        cuMemcpyHtoD(da, Pointer.to(absmax).withByteOffset(4L * (absOff + done / blocksize)),
                                4L * nb);
                        launchDecode(nf4, dq, da, dy, m, blocksize, null);
                        cuMemcpyDtoH(Pointer.to(dst).withByteOffset(4L * (dstOffset + done)), dy, 4L * m);
                    }
                } finally {
                    cuMemFree(dy);
                }
            } finally {
                cuMemFree(da);
            }
        } finally {
            cuMemFree(dq);
        }
    }

    // Launches on device-resident data (the context must be current); also what the GPU benchmark times.

    /** {@code wc_bnb4_encode}: absmax ({@code ceil(n / blocksize)} floats) and {@code (n + 1) / 2} packed bytes. */
    public void launchEncode(boolean nf4, CUdeviceptr x, CUdeviceptr absmax, CUdeviceptr out, long n, int blocksize,
            CUstream stream) {
        long nb = (n + blocksize - 1) / blocksize;
        launch(ENCODE, ENCODE.grid(nb), x, absmax, out, n, blocksize, nf4, stream);
    }

    /** {@code wc_bnb4_quantize}: packed bytes from values and a given absmax vector. */
    public void launchQuantize(boolean nf4, CUdeviceptr x, CUdeviceptr absmax, CUdeviceptr out, long n,
            int blocksize, CUstream stream) {
        launch(QUANTIZE, (int) Math.min(QUANTIZE.grid(n), MAX_GRID), x, absmax, out, n, blocksize, nf4, stream);
    }

    /** {@code wc_bnb4_decode}: {@code n} floats from packed bytes and the absmax vector. */
    public void launchDecode(boolean nf4, CUdeviceptr packed, CUdeviceptr absmax, CUdeviceptr y, long n,
            int blocksize, CUstream stream) {
        launch(DECODE, (int) Math.min(DECODE.grid(n), MAX_GRID), packed, absmax, y, n, blocksize, nf4, stream);
    }

    private void launch(CudaKernels.Kernel k, int grid, CUdeviceptr a, CUdeviceptr b, CUdeviceptr c, long n,
            int blocksize, boolean nf4, CUstream stream) {
        if (n == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(a), Pointer.to(b), Pointer.to(c), Pointer.to(new long[] {n}),
                Pointer.to(new int[] {blocksize}), Pointer.to(new int[] {nf4 ? 1 : 0}));
        cuLaunchKernel(device.function(k), grid, 1, 1, k.threads(), 1, 1, 0, stream, params, null);
    }

    @Override
    public String toString() {
        return "CudaBnb4Bit[" + device + "]";
    }

    static {
        assert Arrays.stream(Bnb.BLOCK_SIZES).allMatch(b -> CHUNK % b == 0);
    }
}
