package io.weightcast.core.verify;

import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Pairs the tensors of two models by name and compares each pair. */
public final class ModelComparator {
    private ModelComparator() {
    }

    /**
     * @param candidateToReferenceName maps a candidate tensor name to the reference's name for it (identity when
     *                                 both keep the source names)
     */
    public static VerifyReport compare(ModelFile reference, ModelFile candidate,
                                       UnaryOperator<String> candidateToReferenceName) {
        Map<String, TensorView> refs = new LinkedHashMap<>();
        for (TensorView t : reference.tensors()) {
            refs.put(t.name(), t);
        }
        List<TensorStats> stats = new ArrayList<>();
        List<String> onlyInCandidate = new ArrayList<>();
        for (TensorView c : candidate.tensors()) {
            String refName = candidateToReferenceName.apply(c.name());
            TensorView r = refs.remove(refName);
            if (r == null) {
                onlyInCandidate.add(c.name());
            } else {
                stats.add(TensorComparator.compare(refName, r, c));
            }
        }
        return new VerifyReport(stats, List.copyOf(refs.keySet()), onlyInCandidate);
    }
}
