package io.weightcast.core.diffusion;

import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.formats.gguf.GgufMetadata;
import java.util.List;

/**
 * The plan for one GGUF output of a diffusion job: the tensor jobs, the metadata to write (architecture, file type,
 * {@code comfy.gguf.orig_shape.*}, hyperparameters), the loader it is meant for and what the user should know.
 *
 * @param architecture the {@code general.architecture} written
 * @param notes        warnings and explanations to print (long names, left-out tensors, layout caveats)
 */
public record DiffusionPlan(String architecture, DiffusionTarget target, ConversionPlan plan, GgufMetadata metadata,
                            List<TensorDecision> decisions, List<String> notes) {

    public DiffusionPlan {
        decisions = List.copyOf(decisions);
        notes = List.copyOf(notes);
    }
}
