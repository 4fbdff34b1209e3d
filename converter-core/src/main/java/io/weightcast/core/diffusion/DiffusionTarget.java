package io.weightcast.core.diffusion;

import io.weightcast.formats.gguf.ReaderOptions;
import io.weightcast.formats.tensor.DType;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The program that will load a diffusion GGUF; it decides names, reshapes and the quantized types allowed. */
public enum DiffusionTarget {
    /** ComfyUI-GGUF's UnetLoaderGGUF / CLIPLoaderGGUF: names up to 127 bytes, SD1/SDXL reshape with orig_shape. */
    COMFYUI("comfyui"),
    /**
     * diffusers' {@code from_single_file(..., quantization_config=GGUFQuantizationConfig(...))}: no reshape (it does
     * not read {@code comfy.gguf.orig_shape.*}), only types its torch dequantizers cover.
     */
    DIFFUSERS("diffusers"),
    /** stable-diffusion.cpp and other ggml programs with stock {@code GGML_MAX_NAME}: names of at most 63 bytes. */
    LLAMA_CPP("llama.cpp");

    /** What diffusers' {@code dequantize_functions} (and ComfyUI-GGUF's dequant.py) cover, plus the float types. */
    public static final Set<DType> LOADER_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.Q4_0,
            DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K);

    private final String cliName;

    DiffusionTarget(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Parses {@code comfyui}, {@code diffusers}, {@code llama.cpp}; {@code auto} gives empty. */
    public static Optional<DiffusionTarget> parse(String s) {
        String n = s.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "comfyui", "comfy", "comfyui-gguf" -> Optional.of(COMFYUI);
            case "diffusers" -> Optional.of(DIFFUSERS);
            case "llama.cpp", "llamacpp", "llama-cpp", "ggml", "sd.cpp" -> Optional.of(LLAMA_CPP);
            case "auto" -> Optional.empty();
            default -> throw new IllegalArgumentException("--target must be comfyui, diffusers, llama.cpp or auto, got '"
                    + s + "'");
        };
    }

    /**
     * The target when none is given: ComfyUI for the reference layouts (and diffusers-layout SD1/SDXL UNets, which
     * ComfyUI converts on load); diffusers for the diffusers layouts of the transformer families.
     */
    public static DiffusionTarget auto(ArchDetector.Detection d) {
        return d.layout() == KeyLayout.DIFFUSERS && !d.arch().shapeFix() ? DIFFUSERS : COMFYUI;
    }

    public int maxNameLength() {
        return this == LLAMA_CPP ? ReaderOptions.LLAMA_CPP_MAX_NAME : ReaderOptions.COMFYUI_MAX_NAME;
    }

    /** Whether SD1/SDXL tensors are reshaped to rows of 256 (only loaders that read orig_shape restore them). */
    public boolean reshapes() {
        return this != DIFFUSERS;
    }

    /** Checks a requested type; IllegalArgumentException naming the allowed types otherwise. */
    public void requireLoadable(DType requested) {
        if (requested == null || this == LLAMA_CPP || LOADER_TYPES.contains(requested)) {
            return;
        }
        throw new IllegalArgumentException(requested + " cannot be loaded by " + (this == DIFFUSERS
                ? "diffusers (its GGUF dequantizers cover Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K-Q6_K, F32, F16, BF16)"
                : "ComfyUI-GGUF for image models (its quantizer rejects IQ types; use Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, "
                        + "Q2_K-Q6_K, F32, F16 or BF16)"));
    }
}
