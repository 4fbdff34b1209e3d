package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * transformers' fine-grained FP8 on one CUDA device: {@code wc_fp8_block_encode} of {@code fp8block.cu}, a bit-exact
 * copy of {@link Fp8BlockQuantizer#quantizeBand} (both {@link Fp8BlockQuantizer.Mode modes}; NaN and inf tiles
 * included, so nothing goes back to the CPU). {@link #encode} takes a band of whole rows, tiles of
 * {@code blockM x blockN} whose last row and column of tiles may be partial, and moves it through a
 * {@link CudaBandPool} slot in pieces of whole tile rows.
 */
public final class CudaFp8Block {

    /** Elements per piece: 16 Mi (64 MiB of f32), or one tile row where that is larger. */
    public static final int CHUNK = 1 << 24;
    public static final CudaKernels.Kernel ENCODE = new CudaKernels.Kernel("fp8block", "wc_fp8_block_encode", 1, 256);

    private final CudaDevice device;
    private final Fp8BlockQuantizer.Mode mode;

    public CudaFp8Block(CudaDevice device, Fp8BlockQuantizer.Mode mode) {
        this.device = Objects.requireNonNull(device);
        this.mode = Objects.requireNonNull(mode);
    }

    public CudaDevice device() {
        return device;
    }

    /** Tiles of a {@code rows x cols} band (ceil-sized grid): one inverse scale each, row of tiles first. */
    public static long tiles(long rows, long cols, int blockM, int blockN) {
        return ((rows + blockM - 1) / blockM) * ((cols + blockN - 1) / blockN);
    }

    /**
     * Quantizes {@code rows} full rows of {@code cols} values at {@code values[vo..]} (left unchanged) in tiles of
     * {@code blockM x blockN}: {@code rows * cols} e4m3 bytes at {@code dst[dstOffset..]} and {@link #tiles} inverse
     * scales at {@code inv[invOffset..]}, as {@link Fp8BlockQuantizer#quantizeBand} gives tile by tile.
     */
    public void encode(float[] values, int vo, int rows, int cols, int blockM, int blockN, MemorySegment dst,
            long dstOffset, float[] inv, int invOffset) {
        if (rows < 0 || cols < 1 || blockM < 1 || blockN < 1) {
            throw new IllegalArgumentException(rows + "x" + cols + " in tiles of " + blockM + "x" + blockN);
        }
        long n = (long) rows * cols;
        Objects.checkFromIndexSize(vo, n, values.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.byteSize());
        Objects.checkFromIndexSize(invOffset, tiles(rows, cols, blockM, blockN), inv.length);
        if (n == 0) {
            return;
        }
        long tileRow = (long) blockM * cols;
        int tileRowsPerPiece = (int) Math.max(1, CHUNK / tileRow);
        int tilesPerRow = (cols + blockN - 1) / blockN;
        device.makeCurrent();
        CudaBandPool.of(device).use(s -> {
            for (int r0 = 0; r0 < rows; r0 += tileRowsPerPiece * blockM) {
                int h = (int) Math.min((long) tileRowsPerPiece * blockM, rows - r0);
                long m = (long) h * cols;
                int t = (int) tiles(h, cols, blockM, blockN);
                s.in.ensure(4 * m);
                s.out.ensure(m);
                s.side.ensure(4L * t);
                MemorySegment.copy(MemorySegment.ofArray(values), 4L * (vo + (long) r0 * cols), s.in.hostSeg, 0,
                        4 * m);
                cuMemcpyHtoDAsync(s.in.dev, s.in.host, 4 * m, s.stream);
                launch(s.in.dev, s.out.dev, s.side.dev, h, cols, blockM, blockN, s.stream);
                cuMemcpyDtoHAsync(s.out.host, s.out.dev, m, s.stream);
                cuMemcpyDtoHAsync(s.side.host, s.side.dev, 4L * t, s.stream);
                cuStreamSynchronize(s.stream);
                MemorySegment.copy(s.out.hostSeg, 0, dst, dstOffset + (long) r0 * cols, m);
                MemorySegment.copy(s.side.hostSeg, ValueLayout.JAVA_FLOAT, 0, inv,
                        invOffset + (r0 / blockM) * tilesPerRow, t);
            }
        });
    }

    /**
     * {@code wc_fp8_block_encode} on device-resident data (the context must be current; also what the GPU benchmark
     * times): {@code x} holds {@code rows * cols} floats (16-byte aligned), {@code q} gets as many bytes and
     * {@code inv} {@link #tiles} floats.
     */
    public void launch(CUdeviceptr x, CUdeviceptr q, CUdeviceptr inv, int rows, int cols, int blockM, int blockN,
            CUstream stream) {
        long t = tiles(rows, cols, blockM, blockN);
        if (t == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(q), Pointer.to(inv), Pointer.to(new int[] {rows}),
                Pointer.to(new int[] {cols}), Pointer.to(new int[] {blockM}), Pointer.to(new int[] {blockN}),
                Pointer.to(new int[] {mode == Fp8BlockQuantizer.Mode.TRANSFORMERS ? 1 : 0}));
        cuLaunchKernel(device.function(ENCODE), ENCODE.grid(t), 1, 1, ENCODE.threads(), 1, 1, 0, stream, params,
                null);
    }

    @Override
    public String toString() {
        return "CudaFp8Block[" + device + ", " + mode + "]";
    }
}
