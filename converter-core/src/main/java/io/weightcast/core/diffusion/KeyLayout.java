package io.weightcast.core.diffusion;

/** Which state-dict key convention a diffusion checkpoint uses. */
public enum KeyLayout {
    /**
     * The reference layout of the model's authors (BFL's Flux, SAI's SD3/SDXL/SD1 {@code input_blocks.*}, …), which
     * ComfyUI loads natively. For models whose authors published diffusers-style names (LTX-Video, HiDream,
     * Qwen-Image) those names are the reference layout.
     */
    ORIGINAL,
    /** diffusers' renamed layout ({@code transformer_blocks.0.attn.to_q.weight}, {@code down_blocks.*}, …). */
    DIFFUSERS
}
