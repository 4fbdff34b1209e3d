package io.weightcast.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.core.engine.TestTensors;
import io.weightcast.formats.gguf.GgufValueType;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffusionTypeRulesTest {
    private static final DiffusionArch FLUX = DiffusionArch.FLUX;
    private static final DiffusionTarget COMFY = DiffusionTarget.COMFYUI;

    private static TensorDecision decide(String name, DType dtype, DiffusionArch arch, DiffusionTarget target,
                                         DType requested, long... shape) {
        TensorView t = TestTensors.of(name, dtype, shape);
        return DiffusionTypeRules.decide(name, t, arch, target, requested);
    }

    @Test
    void baseTypeIsBf16ForBf16SourcesElseF16() {
        assertThat(decide("a.weight", DType.BF16, FLUX, COMFY, null, 64, 64).type()).isEqualTo(DType.BF16);
        assertThat(decide("a.weight", DType.F32, FLUX, COMFY, null, 64, 64).type()).isEqualTo(DType.F16);
        assertThat(decide("a.weight", DType.F16, FLUX, COMFY, null, 64, 64).type()).isEqualTo(DType.F16);
        assertThat(decide("a.weight", DType.F8_E4M3, FLUX, COMFY, null, 64, 64).type()).isEqualTo(DType.F16);
    }

    @Test
    void oneDimensionalSmallAndHiprecTensorsStayF32ForF32AndBf16Sources() {
        for (DType src : List.of(DType.F32, DType.BF16)) {
            assertThat(decide("img_in.bias", src, FLUX, COMFY, DType.Q8_0, 3072).type()).isEqualTo(DType.F32);
            assertThat(decide("x.weight", src, FLUX, COMFY, DType.Q8_0, 32, 32).type())
                    .as("1024 elements is still small").isEqualTo(DType.F32);
            assertThat(decide("x.weight", src, FLUX, COMFY, DType.Q8_0, 32, 64).type()).isEqualTo(DType.Q8_0);
            assertThat(decide("blocks.0.modulation", src, DiffusionArch.WAN, COMFY, DType.Q8_0, 1, 6, 256).type())
                    .isEqualTo(DType.F32);
            assertThat(decide("transformer_blocks.0.scale_shift_table", src, DiffusionArch.LTXV, COMFY, DType.Q8_0,
                    6, 256).type()).isEqualTo(DType.F32);
        }
        // convert.py promotes only F32/BF16 sources; F16 ones keep F16 (lossless either way)
        assertThat(decide("img_in.bias", DType.F16, FLUX, COMFY, DType.Q8_0, 3072).type()).isEqualTo(DType.F16);
    }

    @Test
    void protectedLayersAreNotQuantized() {
        for (String name : List.of("txt_in.weight", "time_in.out_layer.weight", "vector_in.out_layer.weight",
                "guidance_in.out_layer.weight", "final_layer.adaLN_modulation.1.weight")) {
            assertThat(decide(name, DType.BF16, FLUX, COMFY, DType.Q8_0, 128, 64).type()).as(name)
                    .isEqualTo(DType.BF16);
        }
        for (String name : List.of("img_in.weight", "time_in.in_layer.weight", "final_layer.linear.weight")) {
            assertThat(decide(name, DType.BF16, FLUX, COMFY, DType.Q8_0, 128, 64).type()).as(name)
                    .isEqualTo(DType.F32);
        }
        assertThat(decide("double_blocks.0.img_attn.qkv.weight", DType.BF16, FLUX, COMFY, DType.Q4_0, 192, 64)
                .type()).isEqualTo(DType.Q4_0);
        for (String name : List.of("time_embedding.linear_1.weight", "add_embedding.linear_1.weight",
                "label_emb.0.0.weight", "time_embed.0.weight")) {
            assertThat(decide(name, DType.F16, DiffusionArch.SDXL, COMFY, DType.Q8_0, 128, 256).type()).as(name)
                    .isEqualTo(DType.F16);
        }
        assertThat(decide("out.2.weight", DType.F16, DiffusionArch.SDXL, COMFY, DType.Q8_0, 4, 320, 3, 3).type())
                .isEqualTo(DType.F32);
    }

    @Test
    void onlyWeightsOfRankTwoWithWholeBlocksAreQuantized() {
        assertThat(decide("x.weight", DType.F16, FLUX, COMFY, DType.Q8_0, 64, 100).type()).isEqualTo(DType.F16);
        assertThat(decide("x.weight", DType.F16, FLUX, COMFY, DType.Q8_0, 64, 100).reason()).contains("block");
        assertThat(decide("pos_embed", DType.F16, DiffusionArch.SD3, COMFY, DType.Q8_0, 64, 64).type())
                .isEqualTo(DType.F16);
        assertThat(decide("x.proj.weight", DType.F16, FLUX, COMFY, DType.Q8_0, 64, 16, 2, 2).type())
                .isEqualTo(DType.F16);
    }

    @Test
    void sdxlConvKernelsAreReshapedToRowsOf256WithTheirShapeRecorded() {
        TensorDecision d = decide("input_blocks.3.0.op.weight", DType.F16, DiffusionArch.SDXL, COMFY, DType.Q8_0,
                64, 64, 3, 3);
        assertThat(d.shape()).containsExactly(144, 256);
        assertThat(d.originalShape()).containsExactly(64, 64, 3, 3);
        assertThat(d.type()).isEqualTo(DType.Q8_0);
        // below 512 elements, or not divisible by 256, or already fitting: unchanged
        assertThat(decide("a.weight", DType.F16, DiffusionArch.SDXL, COMFY, null, 4, 32, 3, 3).reshaped()).isFalse();
        assertThat(decide("a.weight", DType.F16, DiffusionArch.SDXL, COMFY, null, 1, 256).reshaped()).isFalse();
        assertThat(decide("a.weight", DType.F16, DiffusionArch.SDXL, COMFY, null, 64, 512).reshaped()).isFalse();
        assertThat(decide("a.weight", DType.F16, DiffusionArch.SDXL, COMFY, null, 64, 160).reshaped()).isTrue();
        // never for the transformer families, never for diffusers (it does not read orig_shape)
        assertThat(decide("a.weight", DType.F16, FLUX, COMFY, null, 64, 64, 3, 3).reshaped()).isFalse();
        assertThat(decide("a.weight", DType.F16, DiffusionArch.SDXL, DiffusionTarget.DIFFUSERS, null, 64, 64, 3, 3)
                .reshaped()).isFalse();
    }

    @Test
    void fiveDimensionalTensorsAreStoredTwoDimensionalInF32() {
        TensorDecision d = decide("patch_embedding.weight", DType.BF16, DiffusionArch.WAN, COMFY, DType.Q8_0,
                64, 16, 1, 2, 2);
        assertThat(d.type()).isEqualTo(DType.F32);
        assertThat(d.shape()).containsExactly(64, 64);
        assertThat(d.originalShape()).containsExactly(64, 16, 1, 2, 2);
    }

    @Test
    void diffusersTargetAllowsOnlyTypesItCanDequantize() {
        TensorView t = TestTensors.of("a.weight", DType.F16, 64, 64);
        var d = ArchDetector.detect(Checkpoints.fluxDiffusers().names()).orElseThrow();
        assertThatThrownBy(() -> DiffusionPlanner.plan(List.of(t), d, DiffusionTarget.DIFFUSERS, DType.IQ4_NL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("diffusers");
        assertThat(DiffusionTarget.LOADER_TYPES).containsExactlyInAnyOrder(DType.F32, DType.F16, DType.BF16,
                DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0, DType.Q2_K, DType.Q3_K, DType.Q4_K,
                DType.Q5_K, DType.Q6_K);
    }

    @Test
    void diffusersLayoutOfTransformerFamiliesIsRefusedForComfyUi() {
        var d = ArchDetector.detect(Checkpoints.fluxDiffusers().names()).orElseThrow();
        assertThatThrownBy(() -> DiffusionPlanner.plan(List.of(), d, DiffusionTarget.COMFYUI, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("diffusers' key layout");
    }

    @Test
    void planRecordsOrigShapeAsInt32ArrayAndTheArchitecture() {
        List<TensorView> ts = List.of(TestTensors.of("model.diffusion_model.input_blocks.3.0.op.weight", DType.F16,
                64, 64, 3, 3), TestTensors.of("model.diffusion_model.out.0.weight", DType.F16, 32),
                TestTensors.of("first_stage_model.x.weight", DType.F16, 32, 32));
        var det = new ArchDetector.Detection(DiffusionArch.SDXL, KeyLayout.ORIGINAL, "model.diffusion_model.");
        DiffusionPlan p = DiffusionPlanner.plan(ts, det, null, DType.Q8_0);
        assertThat(p.metadata().getString("general.architecture")).contains("sdxl");
        var v = p.metadata().get("comfy.gguf.orig_shape.input_blocks.3.0.op.weight").orElseThrow();
        assertThat(v.type()).isEqualTo(GgufValueType.ARRAY);
        assertThat(v.elementType()).isEqualTo(GgufValueType.INT32);
        assertThat(DiffusionPlanner.origShapes(p.metadata()).get("input_blocks.3.0.op.weight"))
                .containsExactly(64, 64, 3, 3);
        assertThat(p.plan().jobs()).hasSize(2);
        assertThat(p.notes()).anyMatch(n -> n.contains("left out"));
        assertThat(p.metadata().getUint32("general.file_type")).contains(7L);
        assertThat(p.metadata().getUint32("general.quantization_version")).contains(2L);
    }

    @Test
    void namesOver127BytesAreRefusedAndOver63WarnedOrRefusedForLlamaCpp() {
        String long80 = "double_blocks.0." + "x".repeat(57) + ".weight";
        String long130 = "y".repeat(123) + ".weight";
        var det = new ArchDetector.Detection(FLUX, KeyLayout.ORIGINAL, "");
        DiffusionPlan p = DiffusionPlanner.plan(List.of(TestTensors.of(long80, DType.F16, 64, 64)), det, null, null);
        assertThat(p.notes()).anyMatch(n -> n.contains("longer than 63 bytes") && n.contains("llama.cpp"));
        assertThatThrownBy(() -> DiffusionPlanner.plan(List.of(TestTensors.of(long80, DType.F16, 64, 64)), det,
                DiffusionTarget.LLAMA_CPP, null)).hasMessageContaining("63");
        assertThatThrownBy(() -> DiffusionPlanner.plan(List.of(TestTensors.of(long130, DType.F16, 64, 64)), det,
                null, null)).hasMessageContaining("127");
    }

    @Test
    void fileTypeFollowsTheMostCommonSourceDtype() {
        var det = new ArchDetector.Detection(FLUX, KeyLayout.ORIGINAL, "");
        DiffusionPlan p = DiffusionPlanner.plan(List.of(TestTensors.of("a.weight", DType.BF16, 64, 64),
                TestTensors.of("b.weight", DType.BF16, 64, 64), TestTensors.of("c", DType.F32, 64)), det, null, null);
        assertThat(p.metadata().getUint32("general.file_type")).contains(32L);
    }

    @Test
    void t5NamesRoundTripThroughComfyUisMap() {
        for (String hf : Checkpoints.t5Encoder().names()) {
            String gguf = T5Names.toGguf(hf).orElseThrow();
            String back = T5Names.toComfyOriginal(gguf);
            if (hf.equals("encoder.embed_tokens.weight")) {
                assertThat(back).isEqualTo("shared.weight");
            } else {
                assertThat(back).as(hf + " -> " + gguf).isEqualTo(hf.replace("wi.weight", "wi_1.weight"));
            }
        }
        assertThat(T5Names.toGguf("encoder.block.3.layer.0.SelfAttention.q.weight")).contains("enc.blk.3.attn_q.weight");
        assertThat(T5Names.toGguf("encoder.final_layer_norm.weight")).contains("enc.output_norm.weight");
        assertThat(T5Names.toGguf("decoder.block.0.layer.0.SelfAttention.q.weight")).isEmpty();
    }
}
