package io.weightcast.core.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.core.engine.TransformedReader;
import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.hf.HfConfig;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchitectureMappingTest {

    static HfConfig config(String json) throws Exception {
        return HfConfig.parse(json);
    }

    @Test
    void rotaryPermutationMatchesConvertHfToGgufReshapeSwapaxes() {
        // numpy: w.reshape(n_head, 2, hd/2, cols).swapaxes(1, 2).reshape(rows, cols), rows = 8, n_head = 2
        SourceTransform t = SourceTransform.rotary(2);
        long[] expected = {0, 2, 1, 3, 4, 6, 5, 7};
        for (int r = 0; r < 8; r++) {
            assertThat(t.sourceRow(r, 8)).isEqualTo(expected[r]);
        }
        assertThatThrownBy(() -> SourceTransform.rotary(3).requireApplicable("q", 8))
                .hasMessageContaining("heads of even size");
    }

    @Test
    void transformedReaderPermutesRowsAcrossChunkBoundariesAndAdds() {
        int rows = 8;
        int cols = 3;
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        TensorView v = new TensorView("w", new long[] {rows, cols}, DType.F32, MemorySegment.ofArray(data), null, 0);
        SourceTransform t = new SourceTransform(2, 1f);
        float[] whole = new float[data.length];
        TransformedReader.read(v, t, 0, data.length, whole, 0);
        float[] pieces = new float[data.length];
        for (int start = 0; start < data.length; start += 5) { // chunks that cut rows
            TransformedReader.read(v, t, start, Math.min(5, data.length - start), pieces, start);
        }
        assertThat(pieces).containsExactly(whole);
        // target row 1 is source row 2: values 6, 7, 8 (+1)
        assertThat(whole[3]).isEqualTo(7f);
        assertThat(whole[5]).isEqualTo(9f);
    }

    @Test
    void llamaNamesPermutationAndHyperparameters() throws Exception {
        HfConfig c = config("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256,
                 "num_hidden_layers": 2, "intermediate_size": 768, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "max_position_embeddings": 512,
                 "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "vocab_size": 1024}""");
        ArchitectureMapping m = Architectures.forConfig(c).orElseThrow();
        assertThat(m.ggufArchitecture()).isEqualTo("llama");
        assertThat(m.map("model.layers.1.self_attn.q_proj.weight").orElseThrow())
                .isEqualTo(new ArchitectureMapping.Target("blk.1.attn_q.weight", SourceTransform.rotary(4)));
        assertThat(m.map("model.layers.0.self_attn.k_proj.weight").orElseThrow().transform())
                .isEqualTo(SourceTransform.rotary(2));
        assertThat(m.map("model.layers.0.self_attn.v_proj.weight").orElseThrow().transform().isIdentity()).isTrue();
        assertThat(m.map("model.layers.0.post_attention_layernorm.weight").orElseThrow().name())
                .isEqualTo("blk.0.ffn_norm.weight");
        assertThat(m.map("lm_head.weight").orElseThrow().name()).isEqualTo("output.weight");
        assertThat(m.map("model.layers.0.mlp.experts.0.w1.weight")).isEmpty();
        assertThat(m.ignored("model.layers.0.self_attn.rotary_emb.inv_freq")).isTrue();
        GgufMetadata kv = new GgufMetadata();
        m.writeHyperparameters(kv);
        assertThat(kv.keys()).containsExactly("llama.block_count", "llama.context_length",
                "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count",
                "llama.attention.head_count_kv", "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
                "llama.vocab_size", "llama.rope.dimension_count");
        assertThat(kv.getFloat32("llama.rope.freq_base")).contains(10000f);
        assertThat(kv.getUint32("llama.rope.dimension_count")).contains(64L);
    }

    @Test
    void mistralLlama3RopeFactorsAndTiedEmbeddings() throws Exception {
        HfConfig c = config("""
                {"architectures": ["MistralForCausalLM"], "hidden_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "tie_word_embeddings": true, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""");
        ArchitectureMapping m = Architectures.forConfig(c).orElseThrow();
        assertThat(m).isInstanceOf(Llama.class);
        assertThat(m.ignored("lm_head.weight")).isTrue();
        List<TensorView> g = m.generatedTensors();
        assertThat(g).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("rope_freqs.weight");
            assertThat(t.shape()).containsExactly(16);
        });
        float[] f = g.get(0).data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        assertThat(f[0]).isEqualTo(1f); // highest frequency: unscaled
        assertThat(f[15]).isEqualTo(8f); // lowest frequency: scaled by factor
    }

    @Test
    void qwenBiasesAndNormsAreNotPermuted() throws Exception {
        ArchitectureMapping q2 = Architectures.forConfig(config("""
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "rope_theta": 1000000.0}""")).orElseThrow();
        assertThat(q2.ggufArchitecture()).isEqualTo("qwen2");
        assertThat(q2.map("model.layers.0.self_attn.q_proj.bias").orElseThrow())
                .isEqualTo(new ArchitectureMapping.Target("blk.0.attn_q.bias"));
        ArchitectureMapping q3 = Architectures.forConfig(config("""
                {"model_type": "qwen3", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                 "head_dim": 128}""")).orElseThrow();
        assertThat(q3.ggufArchitecture()).isEqualTo("qwen3");
        assertThat(q3.map("model.layers.0.self_attn.k_norm.weight").orElseThrow().name())
                .isEqualTo("blk.0.attn_k_norm.weight");
        GgufMetadata kv = new GgufMetadata();
        q3.writeHyperparameters(kv);
        assertThat(kv.getUint32("qwen3.attention.key_length")).contains(128L);
    }

    @Test
    void gemmaNormsGetPlusOneAndExtraNormNames() throws Exception {
        ArchitectureMapping g2 = Architectures.forConfig(config("""
                {"architectures": ["Gemma2ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32, "intermediate_size": 128,
                 "rms_norm_eps": 1e-6, "max_position_embeddings": 8192, "attn_logit_softcapping": 50.0,
                 "final_logit_softcapping": 30.0, "sliding_window": 4096}""")).orElseThrow();
        assertThat(g2.map("model.layers.0.pre_feedforward_layernorm.weight").orElseThrow())
                .isEqualTo(new ArchitectureMapping.Target("blk.0.ffn_norm.weight", SourceTransform.add(1f)));
        assertThat(g2.map("model.layers.0.post_feedforward_layernorm.weight").orElseThrow().name())
                .isEqualTo("blk.0.post_ffw_norm.weight");
        assertThat(g2.map("model.layers.0.post_attention_layernorm.weight").orElseThrow().name())
                .isEqualTo("blk.0.post_attention_norm.weight");
        assertThat(g2.map("model.norm.weight").orElseThrow().transform()).isEqualTo(SourceTransform.add(1f));
        assertThat(g2.map("model.layers.0.self_attn.q_proj.weight").orElseThrow().transform().isIdentity()).isTrue();
        assertThat(g2.ignored("lm_head.weight")).isTrue();
        assertThat(g2.addSpacePrefix()).contains(false);
        GgufMetadata kv = new GgufMetadata();
        g2.writeHyperparameters(kv);
        assertThat(kv.getFloat32("gemma2.attn_logit_softcapping")).contains(50f);
        assertThat(kv.getFloat32("gemma2.final_logit_softcapping")).contains(30f);
        assertThat(kv.getUint32("gemma2.attention.sliding_window")).contains(4096L);

        ArchitectureMapping g3 = Architectures.forConfig(config("""
                {"architectures": ["Gemma3ForConditionalGeneration"], "text_config": {"model_type": "gemma3_text",
                 "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "head_dim": 32, "sliding_window": 512, "rope_scaling": {"rope_type": "linear", "factor": 8.0}}}
                """)).orElseThrow();
        assertThat(g3.map("model.language_model.layers.0.self_attn.q_norm.weight").orElseThrow())
                .isEqualTo(new ArchitectureMapping.Target("blk.0.attn_q_norm.weight", SourceTransform.add(1f)));
        assertThat(g3.ignored("model.vision_tower.vision_model.embeddings.patch_embedding.weight")).isTrue();
        kv = new GgufMetadata();
        g3.writeHyperparameters(kv);
        assertThat(kv.getFloat32("gemma3.rope.freq_base")).contains(1_000_000f);
        assertThat(kv.getString("gemma3.rope.scaling.type")).contains("linear");
        assertThat(kv.getUint32("gemma3.attention.sliding_window")).contains(512L);
    }

    @Test
    void unknownArchitectureHasNoMapping() throws Exception {
        assertThat(Architectures.forConfig(config("{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\"}")))
                .isEmpty();
        assertThat(Architectures.forConfig(config("{}"))).isEmpty();
    }
}
