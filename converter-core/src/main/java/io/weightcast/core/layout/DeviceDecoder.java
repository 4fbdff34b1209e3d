package io.weightcast.core.layout;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaHfDecode;
import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.core.plan.ElementSource;
import java.util.function.Supplier;

/**
 * A layout weight's decoder with a GPU twin: {@link #decode} is the reader's CPU decoder, {@link #onDevice} runs the
 * {@code hfdecode.cu} kernel the weight's {@link HfDecode} describes, the CPU decoder taking the elements the kernel
 * leaves (NaN values, malformed indexes), so both give the same floats. The description is built on first GPU use
 * (some layouts convert their scales to f32 for it), never on the CPU path. Keeps each reader's part to one line.
 */
final class DeviceDecoder implements ElementSource {

    private final ElementSource cpu;
    private final Supplier<HfDecode> gpu;
    private volatile HfDecode weight;

    DeviceDecoder(ElementSource cpu, Supplier<HfDecode> gpu) {
        this.cpu = cpu;
        this.gpu = gpu;
    }

    @Override
    public void decode(long firstElement, int count, float[] dst, int dstOffset) {
        cpu.decode(firstElement, count, dst, dstOffset);
    }

    @Override
    public boolean decodesOnDevice() {
        return true;
    }

    @Override
    public ElementSource onDevice(CudaDevice device) {
        HfDecode w = weight();
        CudaHfDecode kernel = new CudaHfDecode(device);
        return (first, count, dst, off) -> kernel.decode(w, first, count, dst, off, cpu::decode);
    }

    /** The kernel's description of this weight (what tests and the benchmark hand to the kernel directly). */
    HfDecode weight() {
        HfDecode w = weight;
        if (w == null) {
            w = gpu.get();
            weight = w;
        }
        return w;
    }
}
