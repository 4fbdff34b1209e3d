package io.weightcast.core.layout;

import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A layout weight's encoder with its bands encoded on a GPU ({@link WeightEncoder#onDevice}): the outputs, band size
 * and {@link #finish} of the CPU encoder, {@link #encodeBand} from a kernel launcher that gives the same bytes and
 * side results. Keeps each layout's {@code onDevice} to one line.
 */
final class LayoutGpuEncoder implements WeightEncoder {

    /** What encodes a band on the device; same contract as {@link WeightEncoder#encodeBand}. */
    @FunctionalInterface
    interface BandKernel {
        Band encode(float[] values, int count, long first);
    }

    private final WeightEncoder cpu;
    private final BandKernel gpu;

    LayoutGpuEncoder(WeightEncoder cpu, BandKernel gpu) {
        this.cpu = cpu;
        this.gpu = gpu;
    }

    @Override
    public List<TensorSpec> outputs() {
        return cpu.outputs();
    }

    @Override
    public long bandElements() {
        return cpu.bandElements();
    }

    @Override
    public Band encodeBand(float[] values, int count, long first) {
        return gpu.encode(values, count, first);
    }

    @Override
    public WeightEncoder onDevice(io.weightcast.core.codec.cuda.CudaDevice device) {
        return this;
    }

    @Override
    public List<MemorySegment> finish(List<Object> sides) {
        return cpu.finish(sides);
    }
}
