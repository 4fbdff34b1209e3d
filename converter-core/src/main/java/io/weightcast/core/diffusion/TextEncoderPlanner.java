package io.weightcast.core.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import io.weightcast.core.layout.GgufLayout;
import io.weightcast.core.layout.LlamaFileType;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.GgufTypeRules;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans the T5 text encoder of a pipeline ({@code T5EncoderModel}, {@code UMT5EncoderModel}) as a {@code t5encoder}
 * GGUF: llama.cpp names ({@link T5Names}), the hyperparameters {@code convert_hf_to_gguf.py} writes, and llama.cpp's
 * type rules (1-D tensors F32, requested type where rows are whole blocks, F16 otherwise).
 */
public final class TextEncoderPlanner {
    public static final String T5_ARCH = "t5encoder";

    private TextEncoderPlanner() {
    }

    /**
     * @param config    the encoder's config.json (null when absent: no hyperparameters written)
     * @param requested the type asked for, or null for the base type (BF16 for BF16 sources, else F16)
     */
    public static DiffusionPlan planT5(List<TensorView> tensors, JsonNode config, DiffusionTarget target,
                                       DType requested) {
        if (requested != null) {
            target.requireLoadable(requested);
            GgufTypeRules.requireWritable(requested);
        }
        List<String> notes = new ArrayList<>();
        List<TensorJob> jobs = new ArrayList<>();
        List<TensorDecision> decisions = new ArrayList<>();
        Set<String> written = new HashSet<>();
        List<String> skipped = new ArrayList<>();
        DType main = tensors.stream().anyMatch(t -> t.dtype() == DType.BF16) ? DType.BF16 : DType.F16;
        for (TensorView v : tensors) {
            var name = T5Names.toGguf(v.name());
            if (name.isEmpty() || !written.add(name.get())) {
                skipped.add(v.name());
                continue;
            }
            DType want = requested != null ? requested : DiffusionTypeRules.baseType(v.dtype());
            DType type = GgufTypeRules.targetType(v, want);
            if (type.isQuantized() && v.rank() != 2) {
                type = DiffusionTypeRules.baseType(v.dtype());
            }
            String reason = type == want ? "" : v.rank() <= 1 ? "1-D, kept F32" : "row does not fit the block";
            decisions.add(new TensorDecision(name.get(), type, v.shape(), null, reason));
            jobs.add(new TensorJob(v, new TensorSpec(name.get(), v.shape(), type)));
        }
        if (!skipped.isEmpty()) {
            notes.add(skipped.size() + " tensors not part of a T5 encoder GGUF left out (e.g. '" + skipped.getFirst()
                    + "'; a tied embedding is written once as token_embd.weight)");
        }
        GgufMetadata kv = new GgufMetadata();
        kv.putString(GgufMetadata.ARCHITECTURE, T5_ARCH);
        if (config != null) {
            String a = T5_ARCH + ".";
            putInt(kv, a + "context_length", config, "n_positions", 512);
            putInt(kv, a + "embedding_length", config, "d_model", -1);
            putInt(kv, a + "feed_forward_length", config, "d_ff", -1);
            putInt(kv, a + "block_count", config, "num_layers", -1);
            putInt(kv, a + "attention.head_count", config, "num_heads", -1);
            putInt(kv, a + "attention.key_length", config, "d_kv", -1);
            putInt(kv, a + "attention.value_length", config, "d_kv", -1);
            if (config.hasNonNull("layer_norm_epsilon")) {
                float eps = (float) config.get("layer_norm_epsilon").asDouble();
                kv.putFloat32(a + "attention.layer_norm_epsilon", eps);
                kv.putFloat32(a + "attention.layer_norm_rms_epsilon", eps);
            }
            putInt(kv, a + "attention.relative_buckets_count", config, "relative_attention_num_buckets", -1);
        } else {
            notes.add("no config.json beside the encoder: hyperparameters not written (ComfyUI does not need them)");
        }
        boolean umt5Xxl = tensors.stream().anyMatch(t -> T5Names.toGguf(t.name()).orElse("").equals("token_embd.weight")
                && java.util.Arrays.equals(t.shape(), new long[] {256384, 4096}));
        notes.add(umt5Xxl
                ? "UMT5-XXL vocabulary: ComfyUI-GGUF rebuilds this tokenizer from tokenizer.ggml.* keys, which are not"
                        + " written yet, so its CLIP loader will refuse the file; use the safetensors encoder for now"
                : "tokenizer not written: ComfyUI uses its own T5 tokenizer; transformers needs tokenizer.ggml.* keys");
        kv.putUint32("general.quantization_version", GgufLayout.GGML_QUANTIZATION_VERSION);
        LlamaFileType.of(requested != null ? requested : main).ifPresent(f -> kv.putUint32("general.file_type", f));
        return new DiffusionPlan(T5_ARCH, target, new ConversionPlan(jobs), kv, decisions, notes);
    }

    private static void putInt(GgufMetadata kv, String key, JsonNode config, String field, int fallback) {
        JsonNode n = config.get(field);
        if (n != null && n.canConvertToInt()) {
            kv.putUint32(key, n.asInt());
        } else if (fallback >= 0) {
            kv.putUint32(key, fallback);
        }
    }
}
