package io.weightcast.core.verify;

import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.plan.SourceTransform;
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
        return compareMatched(reference, candidate, name -> new Match(candidateToReferenceName.apply(name),
                SourceTransform.NONE));
    }

    /** Where a candidate tensor's values come from in the reference, and how the conversion transformed them. */
    public record Match(String referenceName, SourceTransform transform) {
    }

    /**
     * @param matcher maps a candidate tensor name to the reference tensor and the transform the conversion applied
     *                (e.g. a GGUF name back to its HF name, with the rotary permutation of attn_q/attn_k)
     */
    public static VerifyReport compareMatched(ModelFile reference, ModelFile candidate,
                                              java.util.function.Function<String, Match> matcher) {
        Map<String, TensorView> refs = new LinkedHashMap<>();
        for (TensorView t : reference.tensors()) {
            refs.put(t.name(), t);
        }
        List<TensorStats> stats = new ArrayList<>();
        List<String> onlyInCandidate = new ArrayList<>();
        for (TensorView c : candidate.tensors()) {
            Match m = matcher.apply(c.name());
            TensorView r = m == null ? null : refs.remove(m.referenceName());
            if (r == null) {
                onlyInCandidate.add(c.name());
            } else {
                stats.add(TensorComparator.compare(m.referenceName(), r, m.transform(), c));
            }
        }
        return new VerifyReport(stats, List.copyOf(refs.keySet()), onlyInCandidate);
    }

    /**
     * Compares two models across layouts: tensors are paired by logical name (a quantized weight's group of keys
     * counts as its {@code X.weight}) and both sides are dequantized on the fly. Plain tensors on both sides are
     * compared as {@link #compare} does.
     */
    public static VerifyReport compareLogical(QuantizedCheckpoint reference, QuantizedCheckpoint candidate) {
        Map<String, LogicalTensor> refs = new LinkedHashMap<>();
        for (LogicalTensor t : reference.tensors()) {
            refs.put(t.name(), t);
        }
        List<TensorStats> stats = new ArrayList<>();
        List<String> onlyInCandidate = new ArrayList<>();
        for (LogicalTensor c : candidate.tensors()) {
            LogicalTensor r = refs.remove(c.name());
            if (r == null) {
                onlyInCandidate.add(c.name());
            } else if (r.isPlain() && c.isPlain()) {
                stats.add(TensorComparator.compare(c.name(), r.parts().get(0), c.parts().get(0)));
            } else {
                stats.add(TensorComparator.compareLogical(c.name(), r, c));
            }
        }
        return new VerifyReport(stats, List.copyOf(refs.keySet()), onlyInCandidate);
    }
}
