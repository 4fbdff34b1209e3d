package io.weightcast.core.arch;

import io.weightcast.core.layout.GgufLayout;
import io.weightcast.core.layout.LlamaFileType;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.GgufTypeRules;
import io.weightcast.core.plan.Planner;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.core.vocab.GgufVocab;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.hf.HfModelFolder;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The plan and metadata of a Hugging Face checkpoint → GGUF conversion (convert_hf_to_gguf's job): the
 * architecture mapping chosen from config.json renames tensors and transforms values, the hyperparameters and
 * tokenizer go into the metadata. Without config.json, or with an architecture weightcast does not map, tensor
 * names are kept and a note says so.
 *
 * @param mapping the mapping used, empty when names are kept
 * @param notes   messages for the user (unmapped architecture, missing tokenizer, tokenizer choices)
 */
public record HfGgufPlan(ConversionPlan plan, GgufMetadata metadata, Optional<ArchitectureMapping> mapping,
                         DType type, List<String> notes) {

    /** The special requested type meaning convert_hf_to_gguf's {@code --outtype auto}. */
    public static DType autoType(List<TensorView> tensors) {
        for (TensorView t : tensors) {
            if (t.rank() >= 2) {
                if (t.dtype() == DType.BF16) {
                    return DType.BF16;
                }
                if (t.dtype() == DType.F16) {
                    return DType.F16;
                }
            }
        }
        return DType.F16;
    }

    /**
     * @param requested the type for weights, or null for {@code auto}
     * @param vocabFrom a GGUF whose {@code tokenizer.*} keys to copy, or null to read the checkpoint's tokenizer
     * @param modelName {@code general.name}
     */
    public static HfGgufPlan prepare(Path input, List<TensorView> tensors, DType requested, Path vocabFrom,
                                     String modelName) throws IOException {
        List<String> notes = new ArrayList<>();
        DType type = requested == null ? autoType(tensors) : requested;
        GgufTypeRules.requireWritable(type);
        Optional<HfModelFolder> folder = HfModelFolder.of(input);
        Optional<HfConfig> config = folder.isPresent() ? folder.get().config() : Optional.empty();
        Optional<ArchitectureMapping> mapping = config.flatMap(Architectures::forConfig);
        if (config.isEmpty()) {
            notes.add("no config.json beside the checkpoint: tensor names are kept as they are and no architecture "
                    + "metadata is written (llama.cpp will not run this file as a model)");
        } else if (mapping.isEmpty()) {
            notes.add("architecture " + config.get().architectures() + " (model_type "
                    + config.get().modelType().orElse("?") + ") is not one weightcast maps (supported: "
                    + Architectures.supportedClasses() + "): tensor names are kept as they are");
        }
        if (mapping.isEmpty()) {
            ConversionPlan plan = Planner.plan(tensors, TargetFormat.GGUF, type);
            GgufMetadata kv = GgufLayout.metadata(null, plan, type, modelName);
            return new HfGgufPlan(plan, kv, mapping, type, notes);
        }
        ArchitectureMapping m = mapping.get();
        ConversionPlan plan = plan(tensors, m, type);
        GgufMetadata kv = new GgufMetadata();
        kv.putString(GgufMetadata.ARCHITECTURE, m.ggufArchitecture());
        kv.putString("general.type", "model");
        kv.putString("general.name", modelName);
        m.writeHyperparameters(kv);
        LlamaFileType.of(type).ifPresent(ft -> kv.putUint32("general.file_type", ft));
        if (vocabFrom != null) {
            try (GgufModel vocab = GgufReader.open(vocabFrom)) {
                int n = GgufVocab.copyFrom(kv, new GgufMetadata(vocab.metadataWithoutSplitKeys()));
                if (n == 0) {
                    throw new IllegalArgumentException(vocabFrom + " has no tokenizer.* keys to take the "
                            + "vocabulary from");
                }
                notes.add("vocabulary: " + n + " tokenizer.* keys copied from " + vocabFrom);
            }
        } else {
            var vocab = GgufVocab.write(kv, folder.get(), config.get(), m.addSpacePrefix());
            if (vocab.isEmpty()) {
                notes.add("WARNING: the checkpoint ships no tokenizer (no tokenizer.json or tokenizer.model in "
                        + folder.get().dir() + "): the GGUF has no vocabulary and llama.cpp will refuse to load it "
                        + "for inference. Pass --vocab-from FILE.gguf to take the vocabulary from a GGUF of the "
                        + "same model family");
            } else {
                notes.addAll(vocab.get().notes());
            }
        }
        kv.putUint32("general.quantization_version", GgufLayout.GGML_QUANTIZATION_VERSION);
        return new HfGgufPlan(plan, kv, mapping, type, notes);
    }

    /** One job per mapped tensor, in source order, then the generated tensors; unmapped tensors are refused. */
    public static ConversionPlan plan(List<TensorView> tensors, ArchitectureMapping m, DType type) {
        List<TensorJob> jobs = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        for (TensorView t : tensors) {
            if (m.ignored(t.name())) {
                continue;
            }
            Optional<ArchitectureMapping.Target> target = m.map(t.name());
            if (target.isEmpty()) {
                unmapped.add(t.name());
                continue;
            }
            String name = target.get().name();
            DType to = GgufTypeRules.targetType(t, type);
            if (name.endsWith("_norm.weight") || !name.endsWith(".weight")) {
                to = t.dtype().isPlainFloat() ? DType.F32 : to;
            }
            jobs.add(new TensorJob(t, new TensorSpec(name, t.shape(), to), target.get().transform()));
        }
        if (!unmapped.isEmpty()) {
            throw new IllegalArgumentException("cannot map " + unmapped.size() + " tensor(s) of this "
                    + m.ggufArchitecture() + " checkpoint to llama.cpp names, e.g. '" + unmapped.get(0)
                    + "' (convert_hf_to_gguf refuses these too: \"Can not map tensor\")");
        }
        for (TensorView g : m.generatedTensors()) {
            jobs.add(new TensorJob(g, new TensorSpec(g.name(), g.shape(), DType.F32)));
        }
        return new ConversionPlan(jobs);
    }
}
