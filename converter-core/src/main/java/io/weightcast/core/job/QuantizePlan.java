package io.weightcast.core.job;

import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.llama.LlamaQuantizeRules.Decision;
import io.weightcast.formats.gguf.GgufMetadata;
import java.util.List;

/**
 * What a quantize run will do: per tensor, in output order, the rules' decision and the engine job; the output
 * metadata in llama-quantize's KV order; the tensors per output shard; and the warnings llama-quantize would log
 * (fallbacks, missing imatrix entries).
 */
public record QuantizePlan(List<Decision> decisions, ConversionPlan plan, GgufMetadata metadata,
                           List<Integer> shardCounts, List<String> warnings, boolean requiresImatrix) {

    public QuantizePlan {
        decisions = List.copyOf(decisions);
        shardCounts = List.copyOf(shardCounts);
        warnings = List.copyOf(warnings);
    }
}
