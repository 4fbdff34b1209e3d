package io.weightcast.core.verify;

import java.util.List;

/**
 * The comparison of two models, tensor by tensor.
 *
 * @param onlyInReference tensors the candidate lacks
 * @param onlyInCandidate tensors the reference lacks
 */
public record VerifyReport(List<TensorStats> tensors, List<String> onlyInReference, List<String> onlyInCandidate) {

    public VerifyReport {
        tensors = List.copyOf(tensors);
        onlyInReference = List.copyOf(onlyInReference);
        onlyInCandidate = List.copyOf(onlyInCandidate);
    }

    /** Tensors whose relative RMSE exceeds {@code bound} (NaN counts as exceeding). */
    public List<TensorStats> exceeding(double bound) {
        return tensors.stream().filter(t -> !(t.relativeRmse() <= bound)).toList();
    }

    public double worstRelativeRmse() {
        return tensors.stream().mapToDouble(TensorStats::relativeRmse).max().orElse(0);
    }
}
