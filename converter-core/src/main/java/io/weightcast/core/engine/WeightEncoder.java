package io.weightcast.core.engine;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Turns one logical weight into several stored tensors (a quantized layout: codes plus scales, absmax, zero
 * points, metadata). The engine feeds it the weight in bands of {@link #bandElements()} f32 values, in parallel;
 * each band yields the bytes of the main tensor ({@code outputs().get(0)}) for that band, streamed to the writer in
 * order, plus a small side result (per-block scales). When every band is done, {@link #finish} turns the side
 * results, in band order, into the bytes of the other outputs. Memory stays bounded by the band size plus the side
 * results (a few percent of the weight at most).
 *
 * <p>Implementations must be safe to call {@link #encodeBand} from several threads at once.
 */
public interface WeightEncoder {

    /** The stored tensors, main first; the writer receives them in this order. */
    List<TensorSpec> outputs();

    /**
     * Elements per band: the tile the layout's scales depend on (e.g. 128 rows for 128×128 FP8 blocks, a multiple
     * of the block size for bnb). Bands start at multiples of it; the last one may be shorter.
     */
    long bandElements();

    /**
     * Encodes elements {@code [first, first + count)}; {@code values} may be overwritten, and must not be kept
     * after the call (the engine reuses the array for the worker's next band).
     */
    Band encodeBand(float[] values, int count, long first);

    /**
     * This encoder with its bands encoded on {@code gpu}, or {@code this} when the layout has no kernels for this
     * weight. The returned encoder must give the same bytes and side results as this one (its {@link #finish} is
     * the one called); it may ask for larger bands.
     */
    default WeightEncoder onDevice(CudaDevice gpu) {
        return this;
    }

    /** The bytes of {@code outputs().get(1..)}, from every band's side result in order. */
    List<MemorySegment> finish(List<Object> sides);

    /** The main tensor's bytes for one band and the band's side result (may be null). */
    record Band(MemorySegment main, Object side) {
    }
}
