package io.weightcast.core.job;

import io.weightcast.core.arch.ArchitectureMapping;
import io.weightcast.core.arch.Architectures;
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
import java.util.Map;
import java.util.Optional;

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
                return ModelComparator.compareLogical(refCp, QuantizedCheckpoint.of(cand));
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
