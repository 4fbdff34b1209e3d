package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.tensor.DType;
import java.nio.file.Path;

/**
 * One conversion as the user asked for it.
 *
 * @param type          the requested type (null: F16 for GGUF, keep floats for safetensors)
 * @param maxShardBytes split the output into shards of at most this many tensor bytes (0: one file)
 */
public record ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                             long maxShardBytes) {
}
