package io.weightcast.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.VerifyService;
import io.weightcast.core.verify.TensorStats;
import io.weightcast.core.verify.VerifyReport;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.gguf.GgufValueType;
import io.weightcast.formats.gguf.ReaderOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Synthetic checkpoints of every family, converted, re-read and compared with the originals. */
class DiffusionConvertTest {
    @TempDir
    Path dir;

    /**
     * Relative RMSE bound per stored type for Gaussian weights (F32/BF16 from equal sources: exact); about 1.3× what
     * ggml's reference quantizers reach on Gaussian data (Q8_0 ~0.005, Q4_0 ~0.08, Q6_K ~0.012, Q3_K ~0.15).
     */
    static double bound(DType source, DType stored) {
        if (stored == source || stored == DType.F32) {
            return 0;
        }
        return switch (stored) {
            case F16 -> 1e-3;
            case BF16 -> 5e-3;
            case Q8_0 -> 1e-2;
            case Q5_0, Q5_1 -> 5e-2;
            case Q4_0, Q4_1 -> 1e-1;
            case Q6_K -> 2e-2;
            case Q5_K -> 4e-2;
            case Q4_K -> 8e-2;
            case Q3_K -> 2e-1;
            case Q2_K -> 3.5e-1;
            default -> throw new IllegalArgumentException(stored.toString());
        };
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("flux", Checkpoints.fluxOriginal()), Arguments.of("sd3", Checkpoints.sd3Original()),
                Arguments.of("aura", Checkpoints.auraOriginal()), Arguments.of("hidream", Checkpoints.hidream()),
                Arguments.of("cosmos", Checkpoints.cosmos()), Arguments.of("ltxv", Checkpoints.ltxv()),
                Arguments.of("hyvid", Checkpoints.hyvidOriginal()), Arguments.of("wan", Checkpoints.wanOriginal()),
                Arguments.of("sdxl", Checkpoints.sdxlOriginal()), Arguments.of("sd1", Checkpoints.sd1Original()),
                Arguments.of("lumina2", Checkpoints.lumina2Original()),
                Arguments.of("qwen_image", Checkpoints.qwenImage()));
    }

    private DiffusionRequest request(Path in, Path out, DiffusionTarget target, DType type) {
        return new DiffusionRequest(in, out, target, type, null, EngineOptions.withThreads(2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyFamilyConvertsAndMatchesTheOriginalWithinEachTypesBound(String arch, Checkpoints.Layout layout)
            throws IOException {
        for (DType source : List.of(DType.BF16, DType.F32)) {
            Path ckpt = Checkpoints.write(dir.resolve(arch + "-" + source + ".safetensors"),
                    layout.prefixed("model.diffusion_model."), source);
            for (DType type : Arrays.asList(null, DType.Q8_0, DType.Q4_0)) {
                Path out = dir.resolve(arch + "-" + source + "-" + type + ".gguf");
                var results = DiffusionConvertService.convert(request(ckpt, out, null, type), (t, d, n) -> { });
                assertThat(results).hasSize(1);
                DiffusionPlan plan = results.getFirst().plan();
                try (GgufModel g = GgufReader.open(out, ReaderOptions.comfyUi())) {
                    assertThat(g.ggufMetadata().getString("general.architecture")).contains(arch);
                    assertThat(g.ggufMetadata().keys().getFirst()).isEqualTo("general.architecture");
                    Map<String, long[]> orig = DiffusionPlanner.origShapes(g.ggufMetadata());
                    for (TensorView t : g.tensors()) {
                        assertThat(t.name()).doesNotStartWith("model.diffusion_model.");
                        if (t.name().contains("_extra_state")) {
                            throw new AssertionError("ignored key written: " + t.name());
                        }
                        if (orig.containsKey(t.name())) {
                            assertThat(g.ggufMetadata().get("comfy.gguf.orig_shape." + t.name()).orElseThrow()
                                    .elementType()).isEqualTo(GgufValueType.INT32);
                        }
                    }
                    if (arch.equals("sdxl") || arch.equals("sd1")) {
                        assertThat(orig).containsKey("input_blocks.3.0.op.weight");
                    }
                    if (arch.equals("wan") || arch.equals("hyvid")) {
                        assertThat(orig.values()).anyMatch(s -> s.length == 5);
                    }
                }
                VerifyReport report = VerifyService.verify(ckpt, out);
                assertThat(report.onlyInCandidate()).isEmpty();
                assertThat(report.onlyInReference()).as("ignored keys are out of scope").isEmpty();
                assertThat(report.tensors()).hasSize(plan.plan().jobs().size());
                for (TensorStats s : report.tensors()) {
                    assertThat(s.relativeRmse()).as(arch + " " + s.name() + " " + s.referenceType() + "->"
                            + s.candidateType()).isLessThanOrEqualTo(bound(source, s.candidateType()));
                }
                if (type != null) {
                    assertThat(report.tensors()).anyMatch(s -> s.candidateType() == type);
                }
            }
        }
    }

    @Test
    void kQuantsApplyToRowsOf256AndFallBackToTheBaseTypeElsewhere() throws IOException {
        List<DType> kquants = Stream.of(DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K)
                .filter(io.weightcast.core.codec.Codecs::supports).toList();
        org.junit.jupiter.api.Assumptions.assumeFalse(kquants.isEmpty(), "no k-quant codec in this build");
        Path ckpt = Checkpoints.write(dir.resolve("flux-k.safetensors"), Checkpoints.fluxOriginal(), DType.BF16);
        for (DType k : kquants) {
            Path out = dir.resolve("flux-" + k + ".gguf");
            DiffusionPlan plan = DiffusionConvertService.convert(request(ckpt, out, null, k), (t, d, n) -> { })
                    .getFirst().plan();
            TensorDecision mlp = plan.decisions().stream()
                    .filter(d -> d.name().equals("double_blocks.0.img_mlp.2.weight")).findFirst().orElseThrow();
            assertThat(mlp.type()).isEqualTo(k);
            TensorDecision odd = plan.decisions().stream()
                    .filter(d -> d.name().equals("single_blocks.0.linear2.weight")).findFirst().orElseThrow();
            assertThat(odd.type()).as("rows of 320 are no whole 256-blocks").isEqualTo(DType.BF16);
            VerifyReport report = VerifyService.verify(ckpt, out);
            assertThat(report.onlyInReference()).isEmpty();
            for (TensorStats s : report.tensors()) {
                assertThat(s.relativeRmse()).as(k + " " + s.name()).isLessThanOrEqualTo(bound(DType.BF16,
                        s.candidateType()));
            }
        }
    }

    @Test
    void reshapedTensorsReadBackWithTheirOriginalShapeInVerify() throws IOException {
        Path ckpt = Checkpoints.write(dir.resolve("sdxl.safetensors"), Checkpoints.sdxlOriginal(), DType.F16);
        Path out = dir.resolve("sdxl.gguf");
        DiffusionConvertService.convert(request(ckpt, out, null, DType.Q8_0), (t, d, n) -> { });
        try (GgufModel g = GgufReader.open(out, ReaderOptions.comfyUi())) {
            TensorView stored = g.tensor("input_blocks.3.0.op.weight").orElseThrow();
            assertThat(stored.shape()).containsExactly(144, 256);
            assertThat(stored.dtype()).isEqualTo(DType.Q8_0);
            TensorView restored = DiffusionVerify.withOriginalShapes(g).stream()
                    .filter(t -> t.name().equals("input_blocks.3.0.op.weight")).findFirst().orElseThrow();
            assertThat(restored.shape()).containsExactly(64, 64, 3, 3);
        }
    }

    @Test
    void aComfyUiGgufConvertsAgainWithItsOriginalShapes() throws IOException {
        Path ckpt = Checkpoints.write(dir.resolve("sdxl.safetensors"), Checkpoints.sdxlOriginal(), DType.F16);
        Path q8 = dir.resolve("sdxl-q8.gguf");
        Path q4 = dir.resolve("sdxl-q4.gguf");
        DiffusionConvertService.convert(request(ckpt, q8, null, DType.Q8_0), (t, d, n) -> { });
        DiffusionConvertService.convert(request(q8, q4, null, DType.Q4_0), (t, d, n) -> { });
        try (GgufModel g = GgufReader.open(q4, ReaderOptions.comfyUi())) {
            assertThat(g.ggufMetadata().getString("general.architecture")).contains("sdxl");
            assertThat(DiffusionPlanner.origShapes(g.ggufMetadata()).get("input_blocks.3.0.op.weight"))
                    .containsExactly(64, 64, 3, 3);
            assertThat(g.tensor("input_blocks.3.0.op.weight").orElseThrow().dtype()).isEqualTo(DType.Q4_0);
        }
        VerifyReport r = VerifyService.verify(ckpt, q4);
        assertThat(r.onlyInReference()).isEmpty();
        assertThat(r.onlyInCandidate()).isEmpty();
        assertThat(r.worstRelativeRmse()).isLessThan(0.12);
    }

    @Test
    void diffusersTargetNeverReshapesAndKeepsConvWeightsUnquantized() throws IOException {
        Path ckpt = Checkpoints.write(dir.resolve("unet.safetensors"), Checkpoints.sdxlDiffusers(), DType.F16);
        Path out = dir.resolve("unet.gguf");
        var r = DiffusionConvertService.convert(request(ckpt, out, DiffusionTarget.DIFFUSERS, DType.Q8_0),
                (t, d, n) -> { });
        assertThat(r.getFirst().plan().target()).isEqualTo(DiffusionTarget.DIFFUSERS);
        try (GgufModel g = GgufReader.open(out, ReaderOptions.comfyUi())) {
            assertThat(DiffusionPlanner.origShapes(g.ggufMetadata())).isEmpty();
            assertThat(g.tensor("down_blocks.0.downsamplers.0.conv.weight").orElseThrow().dtype())
                    .isEqualTo(DType.F16);
            assertThat(g.tensor("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight").orElseThrow()
                    .dtype()).isEqualTo(DType.Q8_0);
        }
    }

    @Test
    void pipelineFolderGivesOneGgufPerComponentWithNotesForTheRest() throws IOException {
        Path pipe = dir.resolve("FLUX.1-tiny");
        Files.createDirectories(pipe);
        Files.writeString(pipe.resolve("model_index.json"), """
                {"_class_name": "FluxPipeline", "_diffusers_version": "0.35.0",
                 "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModel"],
                 "text_encoder_2": ["transformers", "T5EncoderModel"],
                 "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "T5TokenizerFast"],
                 "transformer": ["diffusers", "FluxTransformer2DModel"], "vae": ["diffusers", "AutoencoderKL"],
                 "image_encoder": [null, null]}
                """);
        component(pipe, "transformer", "diffusion_pytorch_model.safetensors", Checkpoints.fluxDiffusers(), "{}");
        component(pipe, "text_encoder", "model.safetensors", Checkpoints.clipText(), "{}");
        component(pipe, "text_encoder_2", "model.safetensors", Checkpoints.t5Encoder(), """
                {"architectures": ["T5EncoderModel"], "d_model": 64, "d_ff": 128, "d_kv": 16, "num_heads": 4,
                 "num_layers": 2, "relative_attention_num_buckets": 32, "layer_norm_epsilon": 1e-6}""");
        component(pipe, "vae", "diffusion_pytorch_model.safetensors", Checkpoints.vae(), "{}");
        Files.createDirectories(pipe.resolve("scheduler"));
        Files.writeString(pipe.resolve("scheduler/scheduler_config.json"), "{}");

        Path out = dir.resolve("flux-gguf");
        var results = DiffusionConvertService.convert(request(pipe, out, null, DType.Q8_0), (t, d, n) -> { });
        Map<String, DiffusionConvertService.ComponentResult> byName = results.stream()
                .collect(Collectors.toMap(DiffusionConvertService.ComponentResult::component, r -> r));
        assertThat(byName.keySet()).containsExactlyInAnyOrder("transformer", "text_encoder", "text_encoder_2", "vae");
        assertThat(byName.get("text_encoder").converted()).isFalse();
        assertThat(byName.get("text_encoder").skipReason()).contains("CLIP");
        assertThat(byName.get("vae").skipReason()).contains("VAE");
        assertThat(Files.list(out).map(p -> p.getFileName().toString()).toList())
                .containsExactlyInAnyOrder("transformer.gguf", "text_encoder_2.gguf");

        try (GgufModel g = GgufReader.open(out.resolve("transformer.gguf"), ReaderOptions.comfyUi())) {
            assertThat(g.ggufMetadata().getString("general.architecture")).contains("flux");
        }
        assertThat(byName.get("transformer").plan().target()).isEqualTo(DiffusionTarget.DIFFUSERS);
        try (GgufModel g = GgufReader.open(out.resolve("text_encoder_2.gguf"))) {
            var kv = g.ggufMetadata();
            assertThat(kv.getString("general.architecture")).contains("t5encoder");
            assertThat(kv.getUint32("t5encoder.block_count")).contains(2L);
            assertThat(kv.getUint32("t5encoder.embedding_length")).contains(64L);
            assertThat(kv.getUint32("t5encoder.attention.head_count")).contains(4L);
            assertThat(kv.getUint32("t5encoder.attention.relative_buckets_count")).contains(32L);
            assertThat(g.tensors().stream().map(TensorView::name).toList()).contains("token_embd.weight",
                    "enc.blk.0.attn_q.weight", "enc.blk.0.attn_rel_b.weight", "enc.blk.1.ffn_gate.weight",
                    "enc.blk.1.ffn_up.weight", "enc.blk.1.ffn_down.weight", "enc.output_norm.weight")
                    .doesNotHaveDuplicates();
            assertThat(g.tensor("enc.blk.0.attn_q.weight").orElseThrow().dtype()).isEqualTo(DType.Q8_0);
            assertThat(g.tensor("enc.blk.0.attn_norm.weight").orElseThrow().dtype()).isEqualTo(DType.F32);
        }
        VerifyReport t5 = VerifyService.verify(pipe.resolve("text_encoder_2"), out.resolve("text_encoder_2.gguf"));
        assertThat(t5.onlyInCandidate()).isEmpty();
        assertThat(t5.onlyInReference()).containsExactly("encoder.embed_tokens.weight");
        assertThat(t5.worstRelativeRmse()).isLessThan(1e-2);
        VerifyReport tr = VerifyService.verify(pipe.resolve("transformer"), out.resolve("transformer.gguf"));
        assertThat(tr.onlyInCandidate()).isEmpty();
        assertThat(tr.onlyInReference()).isEmpty();
    }

    @Test
    void llmTextEncodersOfAMappedFamilyGoThroughTheLlmPath() throws IOException {
        Path sample = Path.of(System.getProperty("weightcast.repo.root", "..")).resolve("testdata/sample/tiny-llama-f32");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(sample), "bundled sample not found");
        Path pipe = dir.resolve("hidream-tiny");
        Files.createDirectories(pipe);
        Files.writeString(pipe.resolve("model_index.json"), """
                {"_class_name": "HiDreamImagePipeline",
                 "transformer": ["diffusers", "HiDreamImageTransformer2DModel"],
                 "text_encoder_3": ["transformers", "T5EncoderModel"],
                 "text_encoder_4": ["transformers", "LlamaForCausalLM"],
                 "text_encoder_5": ["transformers", "Qwen2_5_VLForConditionalGeneration"]}
                """);
        component(pipe, "transformer", "diffusion_pytorch_model.safetensors", Checkpoints.hidream(), "{}");
        component(pipe, "text_encoder_3", "model.safetensors", Checkpoints.t5Encoder(), "{}");
        Path llama = Files.createDirectories(pipe.resolve("text_encoder_4"));
        try (var files = Files.list(sample)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, llama.resolve(f.getFileName()));
                }
            }
        }
        component(pipe, "text_encoder_5", "model.safetensors", Checkpoints.clipText(),
                "{\"architectures\": [\"Qwen2_5_VLForConditionalGeneration\"], \"model_type\": \"qwen2_5_vl\"}");
        Path out = dir.resolve("hidream-gguf");
        var results = DiffusionConvertService.convert(request(pipe, out, null, DType.Q8_0), (t, d, n) -> { });
        Map<String, DiffusionConvertService.ComponentResult> byName = results.stream()
                .collect(Collectors.toMap(DiffusionConvertService.ComponentResult::component, r -> r));
        assertThat(byName.get("text_encoder_4").converted()).isTrue();
        assertThat(byName.get("text_encoder_4").plan().architecture()).isEqualTo("llama");
        assertThat(byName.get("text_encoder_5").converted()).isFalse();
        assertThat(byName.get("text_encoder_5").skipReason()).contains("without an architecture mapping");
        try (GgufModel g = GgufReader.open(out.resolve("text_encoder_4.gguf"))) {
            assertThat(g.ggufMetadata().getString("general.architecture")).contains("llama");
            assertThat(g.tensor("blk.0.attn_q.weight")).isPresent();
        }
        VerifyReport r = VerifyService.verify(llama, out.resolve("text_encoder_4.gguf"));
        assertThat(r.onlyInCandidate()).isEmpty();
        assertThat(r.worstRelativeRmse()).isLessThan(1e-2);
    }

    @Test
    void pipelineNeedsAFolderOutput() throws IOException {
        Path pipe = dir.resolve("p");
        Files.createDirectories(pipe);
        Files.writeString(pipe.resolve("model_index.json"), "{}");
        assertThatThrownBy(() -> DiffusionConvertService.convert(request(pipe, dir.resolve("x.gguf"), null, null),
                (t, d, n) -> { })).hasMessageContaining("folder");
    }

    @Test
    void unknownCheckpointNeedsAnArch() throws IOException {
        Path ckpt = Checkpoints.write(dir.resolve("vae.safetensors"), Checkpoints.vae(), DType.F16);
        assertThatThrownBy(() -> DiffusionConvertService.convert(request(ckpt, dir.resolve("v.gguf"), null, null),
                (t, d, n) -> { })).hasMessageContaining("--arch");
        var forced = new DiffusionRequest(ckpt, dir.resolve("v.gguf"), null, null, DiffusionArch.SD1,
                EngineOptions.withThreads(1));
        assertThat(DiffusionConvertService.convert(forced, (t, d, n) -> { }).getFirst().plan().architecture())
                .isEqualTo("sd1");
    }

    private static void component(Path pipe, String name, String file, Checkpoints.Layout layout, String config)
            throws IOException {
        Path sub = Files.createDirectories(pipe.resolve(name));
        Files.writeString(sub.resolve("config.json"), config);
        Checkpoints.write(sub.resolve(file), layout, DType.BF16);
    }
}
