package io.weightcast.core.diffusion;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The image and video model families ComfyUI-GGUF knows, with the rules of its {@code tools/convert.py} and of its
 * patched {@code llama-quantize} ({@code tools/lcpp.patch}, {@code img_tensor_get_type}). The order of the constants
 * is the detection order: the first family one of whose key sets is fully present wins (as {@code detect_arch}).
 *
 * <p>Sources: {@code keys_detect}, {@code keys_banned}, {@code keys_hiprec}, {@code keys_ignore}, {@code shape_fix}
 * from convert.py; the unquantized name lists from lcpp.patch (flux, sd1/sdxl) and the research notes
 * (hf-formats.md §8.4) for the other families; the accepted names from loader.py's {@code IMG_ARCH_LIST}.
 * {@code qwen_image} is in the loader's list but not in upstream convert.py: it is probed early because its
 * diffusers-style keys contain Flux's and SD3's diffusers keys. Extra key sets marked DIFFUSERS for Wan,
 * HunyuanVideo and Lumina2 recognise diffusers' renamed layouts of those families, which convert.py does not.
 */
public enum DiffusionArch {
    QWEN_IMAGE("qwen_image", false,
            List.of(KeySet.early(KeyLayout.ORIGINAL, "time_text_embed.timestep_embedder.linear_2.weight",
                    "transformer_blocks.0.attn.norm_added_q.weight", "transformer_blocks.0.img_mlp.net.0.proj.weight")),
            List.of(), List.of(), List.of(),
            List.of("img_in.", "txt_in.", "txt_norm.", "time_text_embed.", "norm_out.", "proj_out.")),
    FLUX("flux", false,
            List.of(KeySet.diffusers("transformer_blocks.0.attn.norm_added_k.weight"),
                    KeySet.original("double_blocks.0.img_attn.proj.weight")),
            List.of(), List.of(), List.of("img_in.", "time_in.in_layer.", "vector_in.in_layer.",
                    "guidance_in.in_layer.", "final_layer.linear."),
            List.of("txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.",
                    // diffusers names of the same layers
                    "x_embedder.", "context_embedder.", "time_text_embed.", "norm_out.", "proj_out.")),
    SD3("sd3", false,
            List.of(KeySet.diffusers("transformer_blocks.0.attn.add_q_proj.weight"),
                    KeySet.original("joint_blocks.0.x_block.attn.qkv.weight")),
            List.of(), List.of(), List.of(),
            List.of("final_layer.", "time_text_embed.", "context_embedder.", "t_embedder.", "y_embedder.",
                    "x_embedder.", "proj_out.weight", "pos_embed", "norm_out.", "pos_embed.")),
    AURA("aura", false,
            List.of(KeySet.original("double_layers.3.modX.1.weight"),
                    KeySet.diffusers("joint_transformer_blocks.3.ff_context.out_projection.weight")),
            List.of(), List.of(), List.of(),
            List.of("init_x_linear.", "cond_seq_linear.", "t_embedder.", "final_linear.", "modF.", "positional_encoding",
                    "register_tokens", "pos_embed", "time_step_proj.", "context_embedder.", "norm_out.", "proj_out.")),
    HIDREAM("hidream", false,
            List.of(KeySet.original("caption_projection.0.linear.weight",
                    "double_stream_blocks.0.block.ff_i.shared_experts.w3.weight")),
            List.of(".ff_i.gate.weight", "img_emb.emb_pos"), List.of(), List.of(),
            List.of("x_embedder.", "t_embedder.", "p_embedder.", "caption_projection.", "final_layer.")),
    COSMOS("cosmos", false,
            List.of(KeySet.original("blocks.0.mlp.layer1.weight", "blocks.0.adaln_modulation_cross_attn.1.weight")),
            List.of("pos_embedder"), List.of("_extra_state", "accum_"), List.of(),
            List.of("x_embedder.", "t_embedder.", "final_layer.", "t_embedding_norm.")),
    LTXV("ltxv", false,
            List.of(KeySet.original("adaln_single.emb.timestep_embedder.linear_2.weight",
                    "transformer_blocks.27.scale_shift_table", "caption_projection.linear_2.weight")),
            List.of("scale_shift_table"), List.of(), List.of(),
            List.of("patchify_proj.", "adaln_single.", "caption_projection.", "proj_out.")),
    HYVID("hyvid", false,
            List.of(KeySet.original("double_blocks.0.img_attn_proj.weight",
                    "txt_in.individual_token_refiner.blocks.1.self_attn_qkv.weight"),
                    // diffusers' HunyuanVideoTransformer3DModel also has Flux's diffusers keys: probed early
                    KeySet.early(KeyLayout.DIFFUSERS,
                            "context_embedder.token_refiner.refiner_blocks.0.attn.to_q.weight",
                            "transformer_blocks.0.attn.add_q_proj.weight")),
            List.of(), List.of(), List.of(),
            List.of("img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.",
                    "x_embedder.", "context_embedder.", "time_text_embed.", "norm_out.", "proj_out.")),
    WAN("wan", false,
            List.of(KeySet.original("blocks.0.self_attn.norm_q.weight", "text_embedding.2.weight", "head.modulation"),
                    KeySet.diffusers("blocks.0.attn1.norm_q.weight",
                            "condition_embedder.text_embedder.linear_2.weight", "scale_shift_table")),
            List.of(".modulation", "scale_shift_table"), List.of(), List.of(),
            List.of("modulation.", "patch_embedding.", "text_embedding.", "time_projection.", "time_embedding.",
                    "img_emb.", "head.", "patch_embedding.", "condition_embedder.", "proj_out.")),
    SDXL("sdxl", true,
            List.of(KeySet.diffusers("down_blocks.0.downsamplers.0.conv.weight", "add_embedding.linear_1.weight"),
                    KeySet.original("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight",
                            "output_blocks.2.2.conv.weight", "output_blocks.5.2.conv.weight"),
                    KeySet.original("label_emb.0.0.weight")),
            List.of(), List.of(), List.of("conv_in.", "conv_out.", "=input_blocks.0.0.weight", "=out.2.weight"),
            List.of("class_embedding.", "time_embedding.", "add_embedding.", "time_embed.", "label_emb.", "proj_in.",
                    "proj_out.")),
    SD1("sd1", true,
            List.of(KeySet.diffusers("down_blocks.0.downsamplers.0.conv.weight"),
                    KeySet.original("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight",
                            "input_blocks.9.0.op.weight", "output_blocks.2.1.conv.weight",
                            "output_blocks.5.2.conv.weight", "output_blocks.8.2.conv.weight")),
            List.of(), List.of(), List.of("conv_in.", "conv_out.", "=input_blocks.0.0.weight", "=out.2.weight"),
            List.of("class_embedding.", "time_embedding.", "add_embedding.", "time_embed.", "label_emb.", "proj_in.",
                    "proj_out.")),
    LUMINA2("lumina2", false,
            List.of(KeySet.original("cap_embedder.1.weight", "context_refiner.0.attention.qkv.weight"),
                    KeySet.diffusers("time_caption_embed.caption_embedder.1.weight",
                            "context_refiner.0.attn.to_q.weight")),
            List.of("pad_token"), List.of(), List.of(),
            List.of("x_embedder.", "t_embedder.", "cap_embedder.", "final_layer.", "time_caption_embed.",
                    "norm_out."));

    /**
     * A set of keys that must all be present, and the layout they reveal.
     *
     * @param early probed before every ordinary key set (for layouts that contain another family's keys)
     */
    public record KeySet(KeyLayout layout, List<String> keys, boolean early) {
        static KeySet original(String... keys) {
            return new KeySet(KeyLayout.ORIGINAL, List.of(keys), false);
        }

        static KeySet diffusers(String... keys) {
            return new KeySet(KeyLayout.DIFFUSERS, List.of(keys), false);
        }

        static KeySet early(KeyLayout layout, String... keys) {
            return new KeySet(layout, List.of(keys), true);
        }
    }

    private final String ggufName;
    private final boolean shapeFix;
    private final List<KeySet> keysDetect;
    private final List<String> keysHiprec;
    private final List<String> keysIgnore;
    private final List<String> keepF32;
    private final List<String> keepUnquantized;

    DiffusionArch(String ggufName, boolean shapeFix, List<KeySet> keysDetect, List<String> keysHiprec,
                  List<String> keysIgnore, List<String> keepF32, List<String> keepUnquantized) {
        this.ggufName = ggufName;
        this.shapeFix = shapeFix;
        this.keysDetect = keysDetect;
        this.keysHiprec = keysHiprec;
        this.keysIgnore = keysIgnore;
        this.keepF32 = keepF32;
        this.keepUnquantized = keepUnquantized;
    }

    /** The value of {@code general.architecture}, one of ComfyUI-GGUF's {@code IMG_ARCH_LIST}. */
    public String ggufName() {
        return ggufName;
    }

    /** Whether rows that do not fit a 256 block are reshaped (SD1/SDXL UNets: conv kernels of 3×3). */
    public boolean shapeFix() {
        return shapeFix;
    }

    public List<KeySet> keysDetect() {
        return keysDetect;
    }

    /** Substrings of names that convert.py keeps in F32 (nn.Parameters that ComfyUI cannot load from BF16). */
    public List<String> keysHiprec() {
        return keysHiprec;
    }

    /** Substrings of names that convert.py leaves out of the file. */
    public List<String> keysIgnore() {
        return keysIgnore;
    }

    /** The patched llama-quantize keeps these in F32 when quantizing ({@code =name} matches the whole name). */
    public boolean keepsF32WhenQuantizing(String name) {
        return matchesAny(keepF32, name);
    }

    /** The patched llama-quantize leaves these unquantized (embedding, in and out layers). */
    public boolean keepsUnquantized(String name) {
        return matchesAny(keepUnquantized, name) || matchesAny(keepF32, name);
    }

    private static boolean matchesAny(List<String> patterns, String name) {
        for (String p : patterns) {
            if (p.startsWith("=") ? name.equals(p.substring(1)) : name.contains(p)) {
                return true;
            }
        }
        return false;
    }

    /** The family for a {@code general.architecture} value (any case). */
    public static Optional<DiffusionArch> fromGgufName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (DiffusionArch a : values()) {
            if (a.ggufName.equals(n)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
