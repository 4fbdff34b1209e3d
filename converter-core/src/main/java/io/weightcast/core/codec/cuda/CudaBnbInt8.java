package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import io.weightcast.core.codec.Bnb;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * bitsandbytes LLM.int8 row quantization on one CUDA device: {@code wc_bnb8_encode} of {@code bnb.cu}, a bit-exact
 * copy of {@link Bnb#int8Row} (float16 round trip, SCB = max |w16|, codes {@code rint(w16 * (1/SCB) * 127)}) for
 * many rows at once; SCB is identical bit for bit, NaN included (after the float16 round trip every NaN is the
 * canonical one). Unlike {@link Bnb#int8Row} the input is not modified. Rows go through in sub-chunks of whole rows
 * on the device's shared bnb lanes. Rows of more than {@link #MAX_COLUMNS} values are not supported.
 */
public final class CudaBnbInt8 {

    /** The longest row: one lane's capacity. */
    public static final int MAX_COLUMNS = CudaBnbLanes.ELEMENTS;
    static final int WARPS = 8; // WC_BNB8_WARPS: rows per CTA, one warp each
    public static final CudaKernels.Kernel ENCODE = new CudaKernels.Kernel("bnb", "wc_bnb8_encode", WARPS,
            32 * WARPS);

    private final CudaDevice device;
    private final CudaBnbLanes lanes;

    public CudaBnbInt8(CudaDevice device) {
        this.device = Objects.requireNonNull(device);
        this.lanes = CudaBnbLanes.of(device);
    }

    /**
     * {@link Bnb#int8Row} of {@code rows} rows of {@code cols} values from {@code src[off..]}: SCB into
     * {@code scb[scbOff..]}, the int8 codes (row-major) into {@code dst} at {@code dstOffset}.
     */
    public void encode(float[] src, int off, int rows, int cols, float[] scb, int scbOff, MemorySegment dst,
            long dstOffset) {
        if (cols <= 0 || cols > MAX_COLUMNS) {
            throw new IllegalArgumentException("LLM.int8 rows of " + cols + " values (at most " + MAX_COLUMNS + ")");
        }
        long n = Math.multiplyExact((long) rows, cols);
        Objects.checkFromIndexSize(off, n, src.length);
        Objects.checkFromIndexSize(scbOff, rows, scb.length);
        Objects.checkFromIndexSize(dstOffset, n, dst.byteSize());
        if (n == 0) {
            return;
        }
        int rowsPerStep = Math.min(CudaBnbLanes.ELEMENTS / cols, CudaBnbLanes.SIDE_FLOATS);
        device.makeCurrent();
        MemorySegment source = MemorySegment.ofArray(src);
        lanes.run(n, rowsPerStep * cols, (lane, done, m) -> {
            int r = m / cols;
            int r0 = scbOff + (int) (done / cols);
            MemorySegment.copy(source, 4L * (off + done), lane.in, 0, 4L * m);
            cuMemcpyHtoDAsync(lane.f32, lane.hostIn, 4L * m, lane.stream);
            launchEncode(lane.f32, lane.side, lane.bytes, r, cols, lane.stream);
            cuMemcpyDtoHAsync(lane.hostOut, lane.bytes, m, lane.stream);
            cuMemcpyDtoHAsync(lane.hostOut.withByteOffset(CudaBnbLanes.SIDE), lane.side, 4L * r, lane.stream);
            lane.pending = () -> {
                MemorySegment.copy(lane.out, 0, dst, dstOffset + done, m);
                MemorySegment.copy(lane.out, ValueLayout.JAVA_FLOAT, CudaBnbLanes.SIDE, scb, r0, r);
            };
        });
    }

    /** {@code wc_bnb8_encode} on device-resident data (the context must be current). */
    public void launchEncode(CUdeviceptr x, CUdeviceptr scb, CUdeviceptr out, long rows, int cols, CUstream stream) {
        if (rows == 0) {
            return;
        }
        Pointer params = Pointer.to(Pointer.to(x), Pointer.to(scb), Pointer.to(out), Pointer.to(new long[] {rows}),
                Pointer.to(new int[] {cols}));
        cuLaunchKernel(device.function(ENCODE), ENCODE.grid(rows), 1, 1, ENCODE.threads(), 1, 1, 0, stream, params,
                null);
    }

    @Override
    public String toString() {
        return "CudaBnbInt8[" + device + "]";
    }
}
