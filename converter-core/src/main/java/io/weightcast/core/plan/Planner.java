package io.weightcast.core.plan;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.util.List;

/** Builds the plan for a conversion: one job per source tensor, names and shapes kept, types by the rules. */
public final class Planner {
    private Planner() {
    }

    /** @param requested the type asked for with {@code --type}; for GGUF null means F16 (llama.cpp's default) */
    public static ConversionPlan plan(List<TensorView> tensors, TargetFormat format, DType requested) {
        DType effective = format == TargetFormat.GGUF && requested == null ? DType.F16 : requested;
        if (format == TargetFormat.GGUF) {
            GgufTypeRules.requireWritable(effective);
        } else {
            SafetensorsTypeRules.requireWritable(effective);
        }
        return new ConversionPlan(tensors.stream().map(t -> {
            DType to = format == TargetFormat.GGUF ? GgufTypeRules.targetType(t, effective)
                    : SafetensorsTypeRules.targetType(t, effective);
            return new TensorJob(t, new TensorSpec(t.name(), t.shape(), to));
        }).toList());
    }
}
