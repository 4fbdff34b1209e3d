package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.tensor.DType;
import java.nio.file.Path;

/**
 * One conversion as the user asked for it.
 *
 * @param type          the requested type (null: for GGUF from a checkpoint, convert_hf_to_gguf's {@code auto}:
 *                      BF16 for a bf16 checkpoint, else F16; F16 from GGUF; keep floats for safetensors)
 * @param maxShardBytes split the output into shards of at most this many tensor bytes (0: one file)
 * @param vocabFrom     a GGUF to copy the {@code tokenizer.*} keys from (null: the checkpoint's own tokenizer)
 * @param keepNames     GGUF from a checkpoint: keep the HF tensor names even when the architecture is mapped
 */
public record ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                             long maxShardBytes, Path vocabFrom, boolean keepNames) {

    public ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                          long maxShardBytes) {
        this(input, output, format, type, engine, maxShardBytes, null, false);
    }
}
