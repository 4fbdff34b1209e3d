package io.weightcast.core.job;

import io.weightcast.core.diffusion.DiffusionVerify;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.verify.ModelComparator;
import io.weightcast.core.verify.VerifyReport;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** Compares a candidate model with its reference, tensor by tensor, whatever their formats. */
public final class VerifyService {
    private VerifyService() {
    }

    public static VerifyReport verify(Path reference, Path candidate) throws IOException {
        try (ModelFile ref = ModelFiles.open(reference); ModelFile cand = ModelFiles.open(candidate)) {
            QuantizedCheckpoint r = QuantizedCheckpoint.of(ref);
            QuantizedCheckpoint c = QuantizedCheckpoint.of(cand);
            // Diffusion GGUFs: names without the state-dict prefix or in llama.cpp's T5 convention, tensors
            // reshaped with comfy.gguf.orig_shape.*, a full checkpoint's VAE/text encoders out of scope. Each
            // mapping is the identity for other models.
            List<String> refNames = r.tensors().stream().map(LogicalTensor::name).toList();
            Predicate<String> inScope = DiffusionVerify.referenceScope(refNames, cand);
            UnaryOperator<String> toRef = DiffusionVerify.referenceNames(refNames);
            Map<String, long[]> orig = DiffusionVerify.origShapes(cand);
            QuantizedCheckpoint scopedRef = new QuantizedCheckpoint(
                    r.tensors().stream().filter(t -> inScope.test(t.name())).toList(), r.summary());
            QuantizedCheckpoint mappedCand = new QuantizedCheckpoint(c.tensors().stream().map(t -> {
                if (!t.isPlain()) {
                    return t;
                }
                TensorView v = t.parts().getFirst();
                long[] shape = orig.getOrDefault(v.name(), v.shape());
                return LogicalTensor.plain(new TensorView(toRef.apply(v.name()), shape, v.dtype(), v.data(),
                        v.file(), v.fileOffset()));
            }).toList(), c.summary());
            return ModelComparator.compareLogical(scopedRef, mappedCand);
        }
    }
}
