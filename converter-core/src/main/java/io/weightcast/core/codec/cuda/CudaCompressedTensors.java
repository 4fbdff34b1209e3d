package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.weightcast.core.codec.CompressedTensorsQuantizer;
import io.weightcast.core.codec.CompressedTensorsRowEncoder;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * compressed-tensors on one CUDA device: {@code wc_ct_encode} of {@code compressed.cu}, a copy of
 * {@link CompressedTensorsQuantizer#encodeRows} (FP8, int8, packed int4/int8; per tensor, channel or group), one CTA
 * per row, with the same bytes and scales for every input (NaN and inf included: a NaN group maximum is the
 * canonical NaN on both sides, see {@link io.weightcast.core.codec.CompressedTensorsMath#scale}). Bands go through a
 * {@link CudaBandPool} slot in pieces of whole rows.
 */
public final class CudaCompressedTensors implements CompressedTensorsRowEncoder {

    /** Elements per piece: 16 Mi (64 MiB of f32), or one row where that is larger. */
    public static final int CHUNK = 1 << 24;
    public static final CudaKernels.Kernel ENCODE = new CudaKernels.Kernel("compressed", "wc_ct_encode", 1, 256);
    /** A row's scales live in the kernel's shared memory: at most this many groups per row. */
    static final int MAX_GROUPS = 8192;

    private final CudaDevice device;
    private final CompressedTensorsQuantizer q;

    public CudaCompressedTensors(CudaDevice device, CompressedTensorsQuantizer quantizer) {
        if (!supports(quantizer)) {
            throw new IllegalArgumentException("no CUDA kernel for " + quantizer.cols() + " columns in groups of "
                    + quantizer.groupSize());
        }
        this.device = Objects.requireNonNull(device);
        this.q = quantizer;
    }

    /** Whether the kernel takes this quantizer's rows (the scales of one row must fit in shared memory). */
    public static boolean supports(CompressedTensorsQuantizer q) {
        return q.cols() / q.groupSize() <= MAX_GROUPS;
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    public void encodeRows(float[] values, int vo, int rows, MemorySegment dst, long dstOffset, float[] scales,
            int so) {
        int cols = q.cols();
        int rowBytes = q.rowBytes();
        int spr = q.scalesPerRow();
        Objects.checkFromIndexSize(vo, (long) rows * cols, values.length);
        Objects.checkFromIndexSize(dstOffset, (long) rows * rowBytes, dst.byteSize());
        Objects.checkFromIndexSize(so, (long) rows * spr, scales.length);
        if (rows == 0) {
            return;
        }
        int rowsPerPiece = Math.max(1, CHUNK / cols);
        device.makeCurrent();
        CudaBandPool.of(device).use(s -> {
            for (int r0 = 0; r0 < rows; r0 += rowsPerPiece) {
                int h = Math.min(rowsPerPiece, rows - r0);
                long m = (long) h * cols;
                long outBytes = (long) h * rowBytes;
                s.in.ensure(4 * m);
                s.out.ensure(outBytes);
                s.side.ensure(4L * h * Math.max(1, spr));
                MemorySegment.copy(MemorySegment.ofArray(values), 4L * (vo + (long) r0 * cols), s.in.hostSeg, 0,
                        4 * m);
                cuMemcpyHtoDAsync(s.in.dev, s.in.host, 4 * m, s.stream);
                launch(s.in.dev, s.out.dev, s.side.dev, h, s.stream);
                cuMemcpyDtoHAsync(s.out.host, s.out.dev, outBytes, s.stream);
                if (spr > 0) {
                    cuMemcpyDtoHAsync(s.side.host, s.side.dev, 4L * h * spr, s.stream);
                }
                cuStreamSynchronize(s.stream);
                long out = dstOffset + (long) r0 * rowBytes;
                MemorySegment.copy(s.out.hostSeg, 0, dst, out, outBytes);
                if (spr > 0) {
                    MemorySegment.copy(s.side.hostSeg, ValueLayout.JAVA_FLOAT, 0, scales, so + r0 * spr, h * spr);
                }
            }
        });
    }

    /**
     * {@code wc_ct_encode} on device-resident data (the context must be current; also what the GPU benchmark times):
     * {@code rows} rows of {@link CompressedTensorsQuantizer#cols} floats at {@code x} (16-byte aligned) to
     * {@link CompressedTensorsQuantizer#rowBytes} bytes per row at {@code out}, {@code scalesPerRow} floats per row
     * at {@code scales}.
     */
    public void launch(CUdeviceptr x, CUdeviceptr out, CUdeviceptr scales, int rows, CUstream stream) {
        if (rows == 0) {
            return;
        }
        int kind = switch (q.kind()) {
            case FP8 -> 0;
            case INT8 -> 1;
            case PACKED -> 2;
        };
        DType sd = q.scaleType();
        int scaleType = sd == DType.F16 ? 1 : sd == DType.BF16 ? 2 : 0; // anything else: computed in fp32
        int groups = q.cols() / q.groupSize();
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(out), Pointer.to(scales),
                Pointer.to(new int[] {q.cols()}), Pointer.to(new int[] {q.groupSize()}), Pointer.to(new int[] {kind}),
                Pointer.to(new int[] {q.bits()}), Pointer.to(new int[] {scaleType}),
                Pointer.to(new float[] {q.halfRange()}), Pointer.to(new int[] {q.perTensor() ? 1 : 0}),
                Pointer.to(new float[] {q.tensorScale()}));
        cuLaunchKernel(device.function(ENCODE), ENCODE.grid(rows), 1, 1, ENCODE.threads(), 1, 1, 4 * groups, stream,
                params, null);
    }

    @Override
    public String toString() {
        return "CudaCompressedTensors[" + device + ", " + q.kind() + " " + q.bits() + " bits]";
    }
}
