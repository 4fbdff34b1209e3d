package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.plan.llama.KvOverride;
import io.weightcast.core.plan.llama.QuantizeOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@code weightcast quantize} run: llama-quantize's parameters.
 *
 * @param output          the output file (with keepSplit, the shard prefix: {@code <prefix>-0000N-of-0000M.gguf})
 * @param allowRequantize re-encode tensors that are already quantized (off by default: quality loss)
 * @param imatrix         importance matrix file, GGUF or legacy .dat (null: none)
 * @param imatrixName     the name recorded in {@code quantize.imatrix.file} (null: the path as given)
 */
public record QuantizeRequest(Path input, Path output, QuantizeOptions options, boolean allowRequantize,
                              Path imatrix, String imatrixName, List<String> includeWeights,
                              List<String> excludeWeights, List<KvOverride> kvOverrides, boolean keepSplit,
                              EngineOptions engine) {

    public QuantizeRequest {
        includeWeights = List.copyOf(includeWeights);
        excludeWeights = List.copyOf(excludeWeights);
        kvOverrides = List.copyOf(kvOverrides);
    }

    public static QuantizeRequest of(Path input, Path output, QuantizeOptions options, EngineOptions engine) {
        return new QuantizeRequest(input, output, options, false, null, null, List.of(), List.of(), List.of(), false,
                engine);
    }

    public QuantizeRequest withImatrix(Path file) {
        return new QuantizeRequest(input, output, options, allowRequantize, file, imatrixName, includeWeights,
                excludeWeights, kvOverrides, keepSplit, engine);
    }

    public QuantizeRequest withAllowRequantize(boolean allow) {
        return new QuantizeRequest(input, output, options, allow, imatrix, imatrixName, includeWeights,
                excludeWeights, kvOverrides, keepSplit, engine);
    }
}
