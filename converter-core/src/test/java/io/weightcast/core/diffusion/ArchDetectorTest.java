package io.weightcast.core.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ArchDetectorTest {

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("flux original", Checkpoints.fluxOriginal(), DiffusionArch.FLUX, KeyLayout.ORIGINAL),
                Arguments.of("flux diffusers", Checkpoints.fluxDiffusers(), DiffusionArch.FLUX, KeyLayout.DIFFUSERS),
                Arguments.of("sd3 original", Checkpoints.sd3Original(), DiffusionArch.SD3, KeyLayout.ORIGINAL),
                Arguments.of("sd3 diffusers", Checkpoints.sd3Diffusers(), DiffusionArch.SD3, KeyLayout.DIFFUSERS),
                Arguments.of("aura original", Checkpoints.auraOriginal(), DiffusionArch.AURA, KeyLayout.ORIGINAL),
                Arguments.of("aura diffusers", Checkpoints.auraDiffusers(), DiffusionArch.AURA, KeyLayout.DIFFUSERS),
                Arguments.of("hidream", Checkpoints.hidream(), DiffusionArch.HIDREAM, KeyLayout.ORIGINAL),
                Arguments.of("cosmos", Checkpoints.cosmos(), DiffusionArch.COSMOS, KeyLayout.ORIGINAL),
                Arguments.of("ltxv", Checkpoints.ltxv(), DiffusionArch.LTXV, KeyLayout.ORIGINAL),
                Arguments.of("hyvid original", Checkpoints.hyvidOriginal(), DiffusionArch.HYVID, KeyLayout.ORIGINAL),
                Arguments.of("hyvid diffusers", Checkpoints.hyvidDiffusers(), DiffusionArch.HYVID, KeyLayout.DIFFUSERS),
                Arguments.of("wan original", Checkpoints.wanOriginal(), DiffusionArch.WAN, KeyLayout.ORIGINAL),
                Arguments.of("wan diffusers", Checkpoints.wanDiffusers(), DiffusionArch.WAN, KeyLayout.DIFFUSERS),
                Arguments.of("sdxl original", Checkpoints.sdxlOriginal(), DiffusionArch.SDXL, KeyLayout.ORIGINAL),
                Arguments.of("sdxl diffusers", Checkpoints.sdxlDiffusers(), DiffusionArch.SDXL, KeyLayout.DIFFUSERS),
                Arguments.of("sd1 original", Checkpoints.sd1Original(), DiffusionArch.SD1, KeyLayout.ORIGINAL),
                Arguments.of("sd1 diffusers", Checkpoints.sd1Diffusers(), DiffusionArch.SD1, KeyLayout.DIFFUSERS),
                Arguments.of("lumina2 original", Checkpoints.lumina2Original(), DiffusionArch.LUMINA2, KeyLayout.ORIGINAL),
                Arguments.of("lumina2 diffusers", Checkpoints.lumina2Diffusers(), DiffusionArch.LUMINA2,
                        KeyLayout.DIFFUSERS),
                Arguments.of("qwen_image", Checkpoints.qwenImage(), DiffusionArch.QWEN_IMAGE, KeyLayout.ORIGINAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void detectsEveryFamilyInEachLayout(String label, Checkpoints.Layout layout, DiffusionArch arch, KeyLayout kl) {
        var d = ArchDetector.detect(layout.names()).orElseThrow();
        assertThat(d.arch()).isEqualTo(arch);
        assertThat(d.layout()).isEqualTo(kl);
        assertThat(d.prefix()).isEmpty();
    }

    @ParameterizedTest(name = "{0} under model.diffusion_model.")
    @MethodSource("layouts")
    void detectsThroughTheSingleFilePrefix(String label, Checkpoints.Layout layout, DiffusionArch arch, KeyLayout kl) {
        List<String> names = Stream.concat(layout.prefixed("model.diffusion_model.").names().stream(),
                Stream.of("first_stage_model.decoder.conv_in.weight", "cond_stage_model.transformer.x.weight")).toList();
        var d = ArchDetector.detect(names).orElseThrow();
        assertThat(d.arch()).isEqualTo(arch);
        assertThat(d.prefix()).isEqualTo("model.diffusion_model.");
        assertThat(ArchDetector.strip(names, d.prefix())).hasSize(layout.names().size());
    }

    @Test
    void ggufNamesAreTheLoadersList() {
        assertThat(Stream.of(DiffusionArch.values()).map(DiffusionArch::ggufName).toList()).containsExactlyInAnyOrder(
                "flux", "sd1", "sdxl", "sd3", "aura", "hidream", "cosmos", "ltxv", "hyvid", "wan", "lumina2",
                "qwen_image");
        assertThat(DiffusionArch.fromGgufName("SDXL")).contains(DiffusionArch.SDXL);
        assertThat(DiffusionArch.fromGgufName("llama")).isEmpty();
    }

    @Test
    void netPrefixIsStrippedOnlyWhenEveryKeyHasIt() {
        List<String> all = Checkpoints.cosmos().prefixed("net.").names();
        assertThat(ArchDetector.detect(all).orElseThrow().prefix()).isEqualTo("net.");
        List<String> mixed = Stream.concat(all.stream(), Stream.of("logvar.weight")).toList();
        assertThat(ArchDetector.prefix(mixed)).isEmpty();
        assertThat(ArchDetector.detect(mixed)).as("cosmos keys stay behind net.").isEmpty();
    }

    @Test
    void modelPrefixIsStrippedWhenAnyKeyHasIt() {
        List<String> names = Stream.concat(Checkpoints.fluxOriginal().prefixed("model.").names().stream(),
                Stream.of("vae.decoder.conv_in.weight")).toList();
        var d = ArchDetector.detect(names).orElseThrow();
        assertThat(d.prefix()).isEqualTo("model.");
        assertThat(d.arch()).isEqualTo(DiffusionArch.FLUX);
    }

    @Test
    void llmsAndTextEncodersAreNotDiffusionModels() {
        assertThat(ArchDetector.detect(List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.0.mlp.down_proj.weight", "lm_head.weight"))).isEmpty();
        assertThat(ArchDetector.detect(Checkpoints.t5Encoder().names())).isEmpty();
        assertThat(ArchDetector.detect(Checkpoints.vae().names())).isEmpty();
        assertThat(ArchDetector.detect(List.of())).isEmpty();
    }

    @Test
    void qwenImageWinsOverFluxAndSd3DiffusersKeysItContains() {
        assertThat(Checkpoints.qwenImage().names()).contains("transformer_blocks.0.attn.norm_added_k.weight",
                "transformer_blocks.0.attn.add_q_proj.weight");
        assertThat(ArchDetector.detect(Checkpoints.qwenImage().names()).orElseThrow().arch())
                .isEqualTo(DiffusionArch.QWEN_IMAGE);
    }

    @Test
    void autoTargetFollowsTheLayout() {
        assertThat(DiffusionTarget.auto(ArchDetector.detect(Checkpoints.fluxOriginal().names()).orElseThrow()))
                .isEqualTo(DiffusionTarget.COMFYUI);
        assertThat(DiffusionTarget.auto(ArchDetector.detect(Checkpoints.fluxDiffusers().names()).orElseThrow()))
                .isEqualTo(DiffusionTarget.DIFFUSERS);
        assertThat(DiffusionTarget.auto(ArchDetector.detect(Checkpoints.sdxlDiffusers().names()).orElseThrow()))
                .as("ComfyUI converts diffusers UNets on load; convert.py accepts them").isEqualTo(DiffusionTarget.COMFYUI);
    }
}
