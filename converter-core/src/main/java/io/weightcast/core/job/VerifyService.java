package io.weightcast.core.job;

import io.weightcast.core.arch.ArchitectureMapping;
import io.weightcast.core.arch.Architectures;
import io.weightcast.core.diffusion.DiffusionVerify;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.verify.ModelComparator;
import io.weightcast.core.verify.VerifyReport;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.hf.HfModelFolder;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Compares a candidate model with its reference, tensor by tensor, whatever their formats. A Hugging Face
 * checkpoint compared with a GGUF made from it is matched through the architecture mapping: GGUF names go back
 * to HF names, and the reference is read through the same transform (rotary permutation, Gemma's +1) the
 * conversion applied.
 */
public final class VerifyService {
    private VerifyService() {
    }

    public static VerifyReport verify(Path reference, Path candidate) throws IOException {
        try (ModelFile ref = ModelFiles.open(reference); ModelFile cand = ModelFiles.open(candidate)) {
            Optional<ArchitectureMapping> mapping = mappingFor(reference, ref, cand);
            QuantizedCheckpoint refCp = QuantizedCheckpoint.of(ref);
            if (mapping.isEmpty() || refCp.summary().quantized()) {
                return compareLogical(refCp, cand);
            }
            Map<String, ModelComparator.Match> byGgufName = new HashMap<>();
            for (TensorView t : ref.tensors()) {
                mapping.get().map(t.name()).ifPresent(target -> byGgufName.putIfAbsent(target.name(),
                        new ModelComparator.Match(t.name(), target.transform())));
            }
            return ModelComparator.compareMatched(ref, cand, name -> byGgufName.getOrDefault(name,
                    new ModelComparator.Match(name, io.weightcast.core.plan.SourceTransform.NONE)));
        }
    }

    /**
     * Pairs logical tensors by name. Diffusion GGUFs: names without the state-dict prefix or in llama.cpp's T5
     * convention, tensors reshaped with comfy.gguf.orig_shape.*, a full checkpoint's VAE/text encoders out of scope;
     * each mapping is the identity for other models.
     */
    private static VerifyReport compareLogical(QuantizedCheckpoint r, ModelFile cand) throws IOException {
        QuantizedCheckpoint c = QuantizedCheckpoint.of(cand);
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

    /** The mapping when the reference is an HF checkpoint with a mapped config.json and the candidate a GGUF. */
    static Optional<ArchitectureMapping> mappingFor(Path referencePath, ModelFile ref, ModelFile cand)
            throws IOException {
        if (ref instanceof GgufModel || !(cand instanceof GgufModel g)) {
            return Optional.empty();
        }
        Optional<HfConfig> config = HfModelFolder.of(referencePath).isPresent()
                ? HfModelFolder.of(referencePath).get().config() : Optional.empty();
        Optional<ArchitectureMapping> m = config.flatMap(Architectures::forConfig);
        Optional<String> arch = g.metadataWithoutSplitKeys().getString("general.architecture");
        return m.filter(x -> arch.isEmpty() || arch.get().equals(x.ggufArchitecture()));
    }
}
