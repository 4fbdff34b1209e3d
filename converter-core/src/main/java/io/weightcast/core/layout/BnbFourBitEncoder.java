package io.weightcast.core.layout;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.cuda.CudaBnb4Bit;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The bands of one bnb 4-bit weight ({@link BnbLayout}): packed codes per band, the other outputs in
 * {@link #finish}. With double quant the absmax vector is known before the first band ({@code absmax}: the quant
 * state JSON, which the header needs, holds its mean), so bands only quantize against it; without, each band
 * computes its blocks' absmax and hands it on as its side result. On a GPU ({@link #onDevice}) the bands run
 * through {@link CudaBnb4Bit} (one call per band: the fused absmax + encode kernel, or quantize against the given
 * absmax), which gives the same bytes and absmax as the CPU kernels, so the files are identical.
 */
final class BnbFourBitEncoder implements WeightEncoder {

    private final List<TensorSpec> specs;
    private final boolean nf4;
    private final int blocksize;
    private final float[] absmax; // the whole vector with double quant, else null (from the bands' sides)
    private final Bnb.Nested nested;
    private final byte[] json;
    private final Bnb4BitKernel cpu;
    private final CudaBnb4Bit gpu; // null: the CPU kernels

    BnbFourBitEncoder(List<TensorSpec> specs, boolean nf4, int blocksize, float[] absmax, Bnb.Nested nested,
            byte[] json, Bnb4BitKernel cpu, CudaBnb4Bit gpu) {
        if ((absmax == null) != (nested == null)) {
            throw new IllegalArgumentException("the absmax vector comes first exactly with double quant");
        }
        this.specs = specs;
        this.nf4 = nf4;
        this.blocksize = blocksize;
        this.absmax = absmax;
        this.nested = nested;
        this.json = json;
        this.cpu = cpu;
        this.gpu = gpu;
    }

    @Override
    public List<TensorSpec> outputs() {
        return specs;
    }

    @Override
    public long bandElements() {
        return Math.max(blocksize, 4096L / blocksize * blocksize);
    }

    @Override
    public WeightEncoder onDevice(CudaDevice device) {
        return new BnbFourBitEncoder(specs, nf4, blocksize, absmax, nested, json, cpu, new CudaBnb4Bit(device));
    }

    @Override
    public Band encodeBand(float[] values, int count, long first) {
        MemorySegment out = MemorySegment.ofArray(new byte[(count + 1) / 2]);
        if (absmax != null) {
            Bnb4BitKernel k = gpu != null ? gpu : cpu;
            k.quantize4(nf4, values, 0, count, blocksize, absmax, (int) (first / blocksize), out, 0);
            return new Band(out, null);
        }
        float[] side = new float[(count + blocksize - 1) / blocksize];
        if (gpu != null) {
            gpu.encode(nf4, values, 0, count, blocksize, side, 0, out, 0);
        } else {
            Bnb.absmax(values, 0, count, blocksize, side, 0);
            cpu.quantize4(nf4, values, 0, count, blocksize, side, 0, out, 0);
        }
        return new Band(out, side);
    }

    @Override
    public List<MemorySegment> finish(List<Object> sides) {
        List<MemorySegment> rest = new ArrayList<>();
        rest.add(nested != null ? MemorySegment.ofArray(nested.codes().clone()) : BnbLayout.floats(sides));
        rest.add(BnbLayout.floats(nf4 ? Bnb.NF4 : Bnb.FP4));
        if (nested != null) {
            rest.add(BnbLayout.floats(nested.nestedAbsmax()));
            rest.add(BnbLayout.floats(Bnb.DYNAMIC));
        }
        rest.add(MemorySegment.ofArray(json));
        return rest;
    }
}
