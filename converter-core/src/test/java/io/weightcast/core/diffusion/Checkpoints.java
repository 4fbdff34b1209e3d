package io.weightcast.core.diffusion;

import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Synthetic checkpoints with each family's real key names and shape patterns (small dimensions), written with our
 * SafetensorsWriter. Values are Gaussian (σ = 0.05, as trained weights), stored in the given dtype.
 */
final class Checkpoints {
    private Checkpoints() {
    }

    /** name → shape, in order, plus one dtype for all. */
    static final class Layout {
        final Map<String, long[]> tensors = new LinkedHashMap<>();

        Layout t(String name, long... shape) {
            tensors.put(name, shape);
            return this;
        }

        Layout prefixed(String prefix) {
            Layout l = new Layout();
            tensors.forEach((k, v) -> l.tensors.put(prefix + k, v));
            return l;
        }

        List<String> names() {
            return List.copyOf(tensors.keySet());
        }
    }

    static Path write(Path file, Layout layout, DType dtype) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        layout.tensors.forEach((name, shape) -> specs.add(new TensorSpec(name, shape, dtype)));
        Random r = new Random(file.getFileName().toString().hashCode());
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                int n = Math.toIntExact(s.elementCount());
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) r.nextGaussian() * 0.05f;
                }
                MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(dtype.byteSize(n))]);
                Codecs.forType(dtype).encode(v, 0, n, seg, 0);
                w.write(seg);
            }
            w.commit();
        }
        return file;
    }

    // ---- the families (original layouts first) -----------------------------------------------------------------

    static Layout fluxOriginal() {
        return new Layout()
                .t("img_in.weight", 64, 64).t("img_in.bias", 64)
                .t("time_in.in_layer.weight", 64, 256).t("time_in.in_layer.bias", 64).t("time_in.out_layer.weight", 64, 64)
                .t("vector_in.in_layer.weight", 64, 96).t("guidance_in.in_layer.weight", 64, 256)
                .t("txt_in.weight", 64, 128)
                .t("double_blocks.0.img_attn.qkv.weight", 192, 64).t("double_blocks.0.img_attn.qkv.bias", 192)
                .t("double_blocks.0.img_attn.proj.weight", 64, 64)
                .t("double_blocks.0.img_attn.norm.query_norm.scale", 16)
                .t("double_blocks.0.img_mlp.0.weight", 256, 64).t("double_blocks.0.img_mlp.2.weight", 64, 256)
                .t("double_blocks.0.img_mod.lin.weight", 384, 64)
                .t("double_blocks.0.txt_attn.qkv.weight", 192, 64).t("double_blocks.0.txt_attn.proj.weight", 64, 64)
                .t("single_blocks.0.linear1.weight", 448, 64).t("single_blocks.0.linear2.weight", 64, 320)
                .t("single_blocks.0.modulation.lin.weight", 192, 64)
                .t("final_layer.linear.weight", 64, 64).t("final_layer.adaLN_modulation.1.weight", 128, 64);
    }

    static Layout fluxDiffusers() {
        return new Layout()
                .t("x_embedder.weight", 64, 64).t("context_embedder.weight", 64, 128)
                .t("time_text_embed.timestep_embedder.linear_1.weight", 64, 256)
                .t("transformer_blocks.0.attn.to_q.weight", 64, 64).t("transformer_blocks.0.attn.to_k.weight", 64, 64)
                .t("transformer_blocks.0.attn.to_v.weight", 64, 64).t("transformer_blocks.0.attn.add_q_proj.weight", 64, 64)
                .t("transformer_blocks.0.attn.norm_added_k.weight", 16).t("transformer_blocks.0.attn.norm_q.weight", 16)
                .t("transformer_blocks.0.ff.net.0.proj.weight", 256, 64)
                .t("single_transformer_blocks.0.attn.to_q.weight", 64, 64)
                .t("single_transformer_blocks.0.proj_mlp.weight", 256, 64)
                .t("norm_out.linear.weight", 128, 64).t("proj_out.weight", 64, 64).t("proj_out.bias", 64);
    }

    static Layout sd3Original() {
        return new Layout()
                .t("x_embedder.proj.weight", 64, 16, 2, 2).t("x_embedder.proj.bias", 64).t("pos_embed", 1, 64, 64)
                .t("t_embedder.mlp.0.weight", 64, 256).t("y_embedder.mlp.0.weight", 64, 128)
                .t("context_embedder.weight", 64, 128)
                .t("joint_blocks.0.x_block.attn.qkv.weight", 192, 64).t("joint_blocks.0.x_block.attn.proj.weight", 64, 64)
                .t("joint_blocks.0.x_block.mlp.fc1.weight", 256, 64).t("joint_blocks.0.x_block.mlp.fc2.weight", 64, 256)
                .t("joint_blocks.0.context_block.attn.qkv.weight", 192, 64)
                .t("joint_blocks.0.x_block.adaLN_modulation.1.weight", 384, 64)
                .t("final_layer.linear.weight", 64, 64);
    }

    static Layout sd3Diffusers() {
        return new Layout()
                .t("pos_embed.proj.weight", 64, 16, 2, 2).t("pos_embed.pos_embed", 1, 64, 64)
                .t("transformer_blocks.0.attn.to_q.weight", 64, 64).t("transformer_blocks.0.attn.add_q_proj.weight", 64, 64)
                .t("transformer_blocks.0.ff.net.0.proj.weight", 256, 64).t("proj_out.weight", 64, 64);
    }

    static Layout auraOriginal() {
        return new Layout()
                .t("init_x_linear.weight", 64, 64).t("cond_seq_linear.weight", 64, 128).t("positional_encoding", 1, 64, 64)
                .t("double_layers.3.modX.1.weight", 384, 64).t("double_layers.3.attn.w2q.weight", 64, 64)
                .t("single_layers.0.attn.w1q.weight", 64, 64).t("final_linear.weight", 64, 64);
    }

    static Layout auraDiffusers() {
        return new Layout()
                .t("pos_embed.proj.weight", 64, 64).t("joint_transformer_blocks.3.ff_context.out_projection.weight", 64, 256)
                .t("joint_transformer_blocks.3.attn.to_q.weight", 64, 64).t("proj_out.weight", 64, 64);
    }

    static Layout hidream() {
        return new Layout()
                .t("caption_projection.0.linear.weight", 64, 128).t("x_embedder.proj.weight", 64, 64)
                .t("double_stream_blocks.0.block.ff_i.shared_experts.w3.weight", 256, 64)
                .t("double_stream_blocks.0.block.ff_i.gate.weight", 8, 256)
                .t("double_stream_blocks.0.block.attn1.to_q.weight", 64, 64)
                .t("img_emb.emb_pos", 64, 64).t("final_layer.linear.weight", 64, 64);
    }

    static Layout cosmos() {
        return new Layout()
                .t("x_embedder.proj.1.weight", 64, 68).t("pos_embedder.seq", 128, 64)
                .t("blocks.0.mlp.layer1.weight", 256, 64).t("blocks.0.mlp.layer2.weight", 64, 256)
                .t("blocks.0.adaln_modulation_cross_attn.1.weight", 192, 64)
                .t("blocks.0.self_attn.q_proj.weight", 64, 64).t("blocks.0.self_attn.q_proj._extra_state", 4)
                .t("final_layer.linear.weight", 64, 64);
    }

    static Layout ltxv() {
        return new Layout()
                .t("patchify_proj.weight", 64, 128).t("adaln_single.emb.timestep_embedder.linear_1.weight", 64, 256)
                .t("adaln_single.emb.timestep_embedder.linear_2.weight", 64, 64)
                .t("caption_projection.linear_1.weight", 64, 128).t("caption_projection.linear_2.weight", 64, 64)
                .t("transformer_blocks.0.attn1.to_q.weight", 64, 64).t("transformer_blocks.0.scale_shift_table", 6, 256)
                .t("transformer_blocks.27.attn1.to_q.weight", 64, 64).t("transformer_blocks.27.scale_shift_table", 6, 256)
                .t("proj_out.weight", 128, 64);
    }

    static Layout hyvidOriginal() {
        return new Layout()
                .t("img_in.proj.weight", 64, 16, 1, 2, 2).t("txt_in.input_embedder.weight", 64, 128)
                .t("txt_in.individual_token_refiner.blocks.1.self_attn_qkv.weight", 192, 64)
                .t("double_blocks.0.img_attn_qkv.weight", 192, 64).t("double_blocks.0.img_attn_proj.weight", 64, 64)
                .t("single_blocks.0.linear1.weight", 448, 64).t("final_layer.linear.weight", 64, 64);
    }

    static Layout hyvidDiffusers() {
        return new Layout()
                .t("x_embedder.proj.weight", 64, 16, 1, 2, 2)
                .t("context_embedder.token_refiner.refiner_blocks.0.attn.to_q.weight", 64, 64)
                .t("transformer_blocks.0.attn.add_q_proj.weight", 64, 64)
                .t("transformer_blocks.0.attn.norm_added_k.weight", 16)
                .t("transformer_blocks.0.attn.to_q.weight", 64, 64).t("proj_out.weight", 64, 64);
    }

    static Layout wanOriginal() {
        return new Layout()
                .t("patch_embedding.weight", 64, 16, 1, 2, 2).t("patch_embedding.bias", 64)
                .t("text_embedding.0.weight", 64, 128).t("text_embedding.2.weight", 64, 64)
                .t("time_embedding.0.weight", 64, 256).t("time_projection.1.weight", 384, 64)
                .t("blocks.0.modulation", 1, 6, 256).t("blocks.0.self_attn.q.weight", 64, 64)
                .t("blocks.0.self_attn.norm_q.weight", 64).t("blocks.0.cross_attn.k.weight", 64, 64)
                .t("blocks.0.ffn.0.weight", 256, 64).t("blocks.0.ffn.2.weight", 64, 256)
                .t("head.modulation", 1, 2, 64).t("head.head.weight", 64, 64);
    }

    static Layout wanDiffusers() {
        return new Layout()
                .t("patch_embedding.weight", 64, 16, 1, 2, 2)
                .t("condition_embedder.text_embedder.linear_1.weight", 64, 128)
                .t("condition_embedder.text_embedder.linear_2.weight", 64, 64)
                .t("blocks.0.attn1.to_q.weight", 64, 64).t("blocks.0.attn1.norm_q.weight", 64)
                .t("blocks.0.scale_shift_table", 1, 6, 64).t("scale_shift_table", 1, 2, 64).t("proj_out.weight", 64, 64);
    }

    static Layout sdxlOriginal() {
        return new Layout()
                .t("time_embed.0.weight", 128, 64).t("label_emb.0.0.weight", 128, 256)
                .t("input_blocks.0.0.weight", 32, 4, 3, 3).t("input_blocks.0.0.bias", 32)
                .t("input_blocks.1.0.in_layers.2.weight", 32, 32, 3, 3)
                .t("input_blocks.3.0.op.weight", 64, 64, 3, 3).t("input_blocks.6.0.op.weight", 64, 64, 3, 3)
                .t("input_blocks.4.1.proj_in.weight", 64, 64)
                .t("input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight", 64, 64)
                .t("input_blocks.4.1.transformer_blocks.0.attn1.to_v.weight", 64, 64)
                .t("input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", 64, 160)
                .t("input_blocks.4.0.skip_connection.weight", 64, 32, 1, 1)
                .t("output_blocks.2.2.conv.weight", 64, 64, 3, 3).t("output_blocks.5.2.conv.weight", 64, 64, 3, 3)
                .t("out.0.weight", 32).t("out.2.weight", 4, 32, 3, 3);
    }

    static Layout sdxlDiffusers() {
        return new Layout()
                .t("conv_in.weight", 32, 4, 3, 3).t("time_embedding.linear_1.weight", 128, 64)
                .t("add_embedding.linear_1.weight", 128, 256)
                .t("down_blocks.0.downsamplers.0.conv.weight", 64, 64, 3, 3)
                .t("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight", 64, 64)
                .t("conv_out.weight", 4, 32, 3, 3);
    }

    static Layout sd1Original() {
        return new Layout()
                .t("time_embed.0.weight", 128, 64).t("input_blocks.0.0.weight", 32, 4, 3, 3)
                .t("input_blocks.3.0.op.weight", 64, 64, 3, 3).t("input_blocks.6.0.op.weight", 64, 64, 3, 3)
                .t("input_blocks.9.0.op.weight", 64, 64, 3, 3)
                .t("input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", 64, 96)
                .t("output_blocks.2.1.conv.weight", 64, 64, 3, 3).t("output_blocks.5.2.conv.weight", 64, 64, 3, 3)
                .t("output_blocks.8.2.conv.weight", 64, 64, 3, 3).t("out.2.weight", 4, 32, 3, 3);
    }

    static Layout sd1Diffusers() {
        return new Layout()
                .t("conv_in.weight", 32, 4, 3, 3).t("time_embedding.linear_1.weight", 128, 64)
                .t("down_blocks.0.downsamplers.0.conv.weight", 64, 64, 3, 3)
                .t("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", 64, 64);
    }

    static Layout lumina2Original() {
        return new Layout()
                .t("x_embedder.weight", 64, 64).t("cap_embedder.0.weight", 128).t("cap_embedder.1.weight", 64, 128)
                .t("x_pad_token", 1, 64).t("cap_pad_token", 1, 64)
                .t("context_refiner.0.attention.qkv.weight", 192, 64)
                .t("layers.0.attention.qkv.weight", 192, 64).t("layers.0.feed_forward.w1.weight", 256, 64)
                .t("final_layer.linear.weight", 64, 64);
    }

    static Layout lumina2Diffusers() {
        return new Layout()
                .t("time_caption_embed.caption_embedder.1.weight", 64, 128)
                .t("context_refiner.0.attn.to_q.weight", 64, 64).t("layers.0.attn.to_q.weight", 64, 64)
                .t("norm_out.linear_1.weight", 64, 64);
    }

    static Layout qwenImage() {
        return new Layout()
                .t("img_in.weight", 64, 64).t("txt_in.weight", 64, 128).t("txt_norm.weight", 128)
                .t("time_text_embed.timestep_embedder.linear_1.weight", 64, 256)
                .t("time_text_embed.timestep_embedder.linear_2.weight", 64, 64)
                .t("transformer_blocks.0.attn.to_q.weight", 64, 64).t("transformer_blocks.0.attn.add_q_proj.weight", 64, 64)
                .t("transformer_blocks.0.attn.norm_added_q.weight", 16).t("transformer_blocks.0.attn.norm_added_k.weight", 16)
                .t("transformer_blocks.0.img_mlp.net.0.proj.weight", 256, 64)
                .t("norm_out.linear.weight", 128, 64).t("proj_out.weight", 64, 64);
    }

    /** A small T5 encoder in transformers' layout (T5EncoderModel, gated FFN as in T5 v1.1). */
    static Layout t5Encoder() {
        Layout l = new Layout().t("shared.weight", 320, 64).t("encoder.embed_tokens.weight", 320, 64);
        for (int i = 0; i < 2; i++) {
            String b = "encoder.block." + i + ".";
            l.t(b + "layer.0.SelfAttention.q.weight", 64, 64).t(b + "layer.0.SelfAttention.k.weight", 64, 64)
                    .t(b + "layer.0.SelfAttention.v.weight", 64, 64).t(b + "layer.0.SelfAttention.o.weight", 64, 64);
            if (i == 0) {
                l.t(b + "layer.0.SelfAttention.relative_attention_bias.weight", 32, 4);
            }
            l.t(b + "layer.0.layer_norm.weight", 64).t(b + "layer.1.DenseReluDense.wi_0.weight", 128, 64)
                    .t(b + "layer.1.DenseReluDense.wi_1.weight", 128, 64).t(b + "layer.1.DenseReluDense.wo.weight", 64, 128)
                    .t(b + "layer.1.layer_norm.weight", 64);
        }
        return l.t("encoder.final_layer_norm.weight", 64);
    }

    /** A small CLIP text encoder (names only matter: it is left out). */
    static Layout clipText() {
        return new Layout().t("text_model.embeddings.token_embedding.weight", 320, 64)
                .t("text_model.final_layer_norm.weight", 64);
    }

    static Layout vae() {
        return new Layout().t("encoder.conv_in.weight", 32, 3, 3, 3).t("decoder.conv_out.weight", 3, 32, 3, 3);
    }
}
