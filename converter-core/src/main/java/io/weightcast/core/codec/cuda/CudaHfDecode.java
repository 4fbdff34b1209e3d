package io.weightcast.core.codec.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * The decoders of the Hugging Face pre-quantized layouts on one CUDA device ({@code hfdecode.cu}, described by
 * {@link HfDecode}): bitsandbytes NF4/FP4 and LLM.int8, fine-grained FP8 and compressed-tensors, the same floats as
 * the readers' CPU decoders. Each piece goes through a {@link CudaBandPool} slot: its stored bytes into {@code in},
 * the NaN flag and its slices of the two vectors into {@code side}, the f32 result out of {@code out}.
 */
public final class CudaHfDecode implements HfDecode.Kernel {

    static final int THREADS = HfDecode.THREADS;
    /** Bytes of {@code side} before the vectors: the NaN flag, padded so that the vectors start aligned. */
    private static final long FLAG_BYTES = 256;

    private final CudaDevice device;

    public CudaHfDecode(CudaDevice device) {
        this.device = Objects.requireNonNull(device);
    }

    public CudaDevice device() {
        return device;
    }

    /** {@link HfDecode#decode} on this device, the CPU decoder taking what the kernel leaves. */
    public void decode(HfDecode weight, long first, int count, float[] dst, int off, HfDecode.Cpu cpu) {
        weight.decode(first, count, dst, off, this, cpu);
    }

    @Override
    public boolean run(HfDecode w, HfDecode.Piece p, long first, int count, float[] dst, int off) {
        device.makeCurrent();
        return CudaBandPool.of(device).call(s -> {
            long aAt = FLAG_BYTES;
            long bAt = aAt + align(4L * p.aLen());
            long sideBytes = bAt + 4L * p.bLen();
            s.in.ensure(Math.max(4, p.srcBytes()));
            s.out.ensure(4L * count);
            s.side.ensure(sideBytes);
            MemorySegment.copy(w.src(), p.srcOffset(), s.in.hostSeg, 0, p.srcBytes());
            MemorySegment.copy(w.a(), p.aFrom(), s.side.hostSeg, ValueLayout.JAVA_FLOAT, aAt, p.aLen());
            MemorySegment.copy(w.b(), p.bFrom(), s.side.hostSeg, ValueLayout.JAVA_FLOAT, bAt, p.bLen());
            cuMemcpyHtoDAsync(s.in.dev, s.in.host, p.srcBytes(), s.stream);
            cuMemcpyHtoDAsync(s.side.dev.withByteOffset(aAt), s.side.host.withByteOffset(aAt), sideBytes - aAt,
                    s.stream);
            cuMemsetD32Async(s.side.dev, 0, 1, s.stream);
            launch(w, s.in.dev, s.side.dev.withByteOffset(aAt), s.side.dev.withByteOffset(bAt), s.out.dev,
                    s.side.dev, first, count, s.stream);
            cuMemcpyDtoHAsync(s.out.host, s.out.dev, 4L * count, s.stream);
            cuMemcpyDtoHAsync(s.side.host, s.side.dev, 4, s.stream);
            cuStreamSynchronize(s.stream);
            MemorySegment.copy(s.out.hostSeg, ValueLayout.JAVA_FLOAT, 0, dst, off, count);
            return s.side.hostSeg.get(ValueLayout.JAVA_INT, 0) != 0; // the NaN flag
        });
    }

    private static long align(long bytes) {
        return (bytes + FLAG_BYTES - 1) / FLAG_BYTES * FLAG_BYTES;
    }

    /**
     * The weight's kernel on device-resident data (the context must be current; also what the GPU benchmark times):
     * {@code in}, {@code a} and {@code b} hold the slices of {@link HfDecode#piece}{@code (first, count)}, {@code y}
     * gets {@code count} floats and {@code nan} (one int, zeroed by the caller) 1 when any of them is NaN.
     */
    public void launch(HfDecode w, CUdeviceptr in, CUdeviceptr a, CUdeviceptr b, CUdeviceptr y, CUdeviceptr nan,
            long first, long count, CUstream stream) {
        if (count == 0) {
            return;
        }
        CudaKernels.Kernel k = w.kind().kernel;
        long[] p = w.params();
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(a), Pointer.to(b), Pointer.to(y), Pointer.to(nan),
                Pointer.to(new long[] {first}), Pointer.to(new long[] {count}), Pointer.to(new long[] {p[0]}),
                Pointer.to(new long[] {p[1]}), Pointer.to(new long[] {p[2]}), Pointer.to(new long[] {p[3]}),
                Pointer.to(new long[] {p[4]}), Pointer.to(new long[] {p[5]}));
        cuLaunchKernel(device.function(k), k.grid(count), 1, 1, k.threads(), 1, 1, 0, stream, params, null);
    }

    @Override
    public String toString() {
        return "CudaHfDecode[" + device + "]";
    }
}
