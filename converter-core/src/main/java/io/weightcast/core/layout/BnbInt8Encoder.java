package io.weightcast.core.layout;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.cuda.CudaBnbInt8;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The bands (whole rows) of one LLM.int8 weight ({@link BnbLayout}): int8 codes per band, SCB per row as the
 * band's side result, {@code weight_format} 0. On a GPU ({@link #onDevice}) each band is one {@link CudaBnbInt8}
 * call, which gives the same codes and SCB as {@link Bnb#int8Row}, so the files are identical.
 */
final class BnbInt8Encoder implements WeightEncoder {

    private final List<TensorSpec> outputs;
    private final int cols;
    private final CudaBnbInt8 gpu; // null: the CPU

    BnbInt8Encoder(List<TensorSpec> outputs, int cols, CudaBnbInt8 gpu) {
        this.outputs = outputs;
        this.cols = cols;
        this.gpu = gpu;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public long bandElements() {
        return cols;
    }

    @Override
    public WeightEncoder onDevice(CudaDevice device) {
        return cols > CudaBnbInt8.MAX_COLUMNS ? this : new BnbInt8Encoder(outputs, cols, new CudaBnbInt8(device));
    }

    @Override
    public Band encodeBand(float[] values, int count, long first) {
        int rows = count / cols;
        MemorySegment out = MemorySegment.ofArray(new byte[count]);
        float[] scb = new float[rows];
        if (gpu != null) {
            gpu.encode(values, 0, rows, cols, scb, 0, out, 0);
            return new Band(out, scb);
        }
        for (int r = 0; r < rows; r++) {
            scb[r] = Bnb.int8Row(values, r * cols, cols, out, (long) r * cols);
        }
        return new Band(out, scb);
    }

    @Override
    public List<MemorySegment> finish(List<Object> sides) {
        return List.of(BnbLayout.floats(sides), MemorySegment.ofArray(new byte[] {0}));
    }
}
