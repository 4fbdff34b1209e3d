package io.weightcast.core.job;

import io.weightcast.core.diffusion.DiffusionVerify;
import io.weightcast.core.verify.ModelComparator;
import io.weightcast.core.verify.VerifyReport;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import java.io.IOException;
import java.nio.file.Path;

/** Compares a candidate model with its reference, tensor by tensor, whatever their formats. */
public final class VerifyService {
    private VerifyService() {
    }

    public static VerifyReport verify(Path reference, Path candidate) throws IOException {
        try (ModelFile ref = ModelFiles.open(reference); ModelFile cand = ModelFiles.open(candidate)) {
            // Diffusion GGUFs: names without the state-dict prefix or in llama.cpp's T5 convention, and tensors
            // reshaped with comfy.gguf.orig_shape.*; both mappings are the identity for other models.
            return ModelComparator.compare(DiffusionVerify.referenceScope(ref, cand),
                    DiffusionVerify.withOriginalShapes(cand),
                    DiffusionVerify.referenceNames(ref));
        }
    }
}
