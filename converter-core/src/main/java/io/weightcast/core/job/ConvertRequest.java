package io.weightcast.core.job;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.plan.llama.QuantizeOptions;
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
 * @param mixture       a llama.cpp file type and llama-quantize's per-tensor options, applied in the same pass to
 *                      the mapped GGUF names (null: {@code type} for every weight); {@code type} is then null
 * @param imatrix       importance matrix (GGUF or legacy .dat) for the mixture, or null
 */
public record ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                             long maxShardBytes, Path vocabFrom, boolean keepNames, QuantizeOptions mixture,
                             Path imatrix) {

    public ConvertRequest {
        if (mixture != null && type != null) {
            throw new IllegalArgumentException("give either a type or a llama.cpp file type mixture, not both");
        }
        if (imatrix != null && mixture == null) {
            throw new IllegalArgumentException("--imatrix needs a llama.cpp file type (e.g. --type Q4_K_M)");
        }
    }

    public ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                          long maxShardBytes, Path vocabFrom, boolean keepNames) {
        this(input, output, format, type, engine, maxShardBytes, vocabFrom, keepNames, null, null);
    }

    /** The same request with a llama.cpp file type mixture (and optional imatrix) instead of one type. */
    public ConvertRequest withMixture(QuantizeOptions options, Path imatrixFile) {
        return new ConvertRequest(input, output, format, null, engine, maxShardBytes, vocabFrom, keepNames, options,
                imatrixFile);
    }

    public ConvertRequest(Path input, Path output, TargetFormat format, DType type, EngineOptions engine,
                          long maxShardBytes) {
        this(input, output, format, type, engine, maxShardBytes, null, false);
    }
}
