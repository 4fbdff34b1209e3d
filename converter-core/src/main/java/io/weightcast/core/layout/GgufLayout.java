package io.weightcast.core.layout;

import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;

/**
 * The metadata of a GGUF output. From a GGUF source the metadata is kept (minus the split keys, which the writer
 * sets again); from a checkpoint it starts with {@code general.name}. Either way {@code general.file_type} and,
 * when any tensor is quantized, {@code general.quantization_version} describe the output, as llama.cpp expects.
 */
public final class GgufLayout {
    /** {@code GGML_QNT_VERSION}: the block layout version of the quantized types. */
    public static final int GGML_QUANTIZATION_VERSION = 2;

    private GgufLayout() {
    }

    public static GgufMetadata metadata(ModelFile source, ConversionPlan plan, DType requested, String modelName) {
        GgufMetadata kv = source instanceof GgufModel g ? new GgufMetadata(g.metadataWithoutSplitKeys())
                : new GgufMetadata();
        kv.remove(GgufMetadata.ALIGNMENT);
        if (!kv.containsKey("general.name")) {
            kv.putString("general.name", modelName);
        }
        boolean quantized = plan.jobs().stream().map(TensorJob::target).anyMatch(t -> t.dtype().isQuantized());
        if (quantized) {
            kv.remove("general.quantization_version");
            kv.putUint32("general.quantization_version", GGML_QUANTIZATION_VERSION);
        }
        LlamaFileType.of(requested).ifPresent(ftype -> {
            kv.remove("general.file_type");
            kv.putUint32("general.file_type", ftype);
        });
        return kv;
    }
}
