package io.weightcast.core.job;

import io.weightcast.core.layout.QuantizedCheckpoint;
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
            return ModelComparator.compareLogical(QuantizedCheckpoint.of(ref), QuantizedCheckpoint.of(cand));
        }
    }
}
