package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorSpec;
import java.util.List;

/** The ordered list of tensor jobs one conversion runs; the writer receives tensors in this order. */
public record ConversionPlan(List<TensorJob> jobs) {

    public ConversionPlan {
        jobs = List.copyOf(jobs);
    }

    public List<TensorSpec> targetSpecs() {
        return jobs.stream().map(TensorJob::target).toList();
    }

    public long sourceBytes() {
        return jobs.stream().mapToLong(j -> j.source().byteSize()).sum();
    }

    public long targetBytes() {
        return jobs.stream().mapToLong(j -> j.target().byteSize()).sum();
    }
}
