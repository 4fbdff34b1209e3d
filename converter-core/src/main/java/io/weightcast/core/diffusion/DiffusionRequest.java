package io.weightcast.core.diffusion;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.formats.tensor.DType;
import java.nio.file.Path;

/**
 * A diffusion conversion as the user asked for it.
 *
 * @param output a .gguf file for a single model, a folder for a pipeline (one GGUF per component)
 * @param target the loader, or null to pick from the key layout
 * @param type   the requested type, or null for the base type
 * @param arch   the family to assume when detection fails (null: detect)
 */
public record DiffusionRequest(Path input, Path output, DiffusionTarget target, DType type, DiffusionArch arch,
                               EngineOptions engine) {
}
