package io.weightcast.core.engine;

import io.weightcast.core.plan.ElementSource;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.tensor.TensorSpec;
import java.util.List;

/** One entry of a layout plan: a plain tensor job, or a weight encoded by a quantized layout. */
public sealed interface WriteItem {

    List<TensorSpec> outputs();

    /** Source bytes (for progress). */
    long sourceBytes();

    /** The name that groups this item's outputs (kept in one shard). */
    String group();

    /** Copy or cast one tensor, as the plain engine does. */
    record Plain(TensorJob job, String group) implements WriteItem {
        @Override
        public List<TensorSpec> outputs() {
            return List.of(job.target());
        }

        @Override
        public long sourceBytes() {
            return job.source().byteSize();
        }
    }

    /** Encode one weight with a layout's {@link WeightEncoder}, reading it from {@code source}. */
    record Encoded(String name, long elements, long sourceBytes, ElementSource source, WeightEncoder encoder,
            String group) implements WriteItem {
        @Override
        public List<TensorSpec> outputs() {
            return encoder.outputs();
        }
    }
}
