package io.weightcast.formats.gguf;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Options of {@link GgufWriter}.
 *
 * @param alignment     data alignment, a power of two; written as {@code general.alignment} (u32) only when not 32
 * @param maxNameLength longest tensor name in bytes: 63 for llama.cpp (default), up to 127 for ComfyUI-GGUF
 * @param warnings      receives a message for each tensor name longer than llama.cpp's 63 bytes that is still
 *                      within {@code maxNameLength} (such files load in ComfyUI-GGUF but not in llama.cpp)
 */
public record WriterOptions(int alignment, int maxNameLength, Consumer<String> warnings) {
    public static final int DEFAULT_ALIGNMENT = 32;

    public WriterOptions {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > (1 << 30)) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + alignment);
        }
        if (maxNameLength < 1 || maxNameLength > ReaderOptions.COMFYUI_MAX_NAME) {
            throw new IllegalArgumentException("maxNameLength must be 1.." + ReaderOptions.COMFYUI_MAX_NAME
                    + ", got " + maxNameLength);
        }
        Objects.requireNonNull(warnings, "warnings");
    }

    /** Alignment 32, names up to 63 bytes (llama.cpp), warnings ignored. */
    public static WriterOptions defaults() {
        return new WriterOptions(DEFAULT_ALIGNMENT, ReaderOptions.LLAMA_CPP_MAX_NAME, w -> { });
    }

    /** Alignment 32, names up to 127 bytes for ComfyUI-GGUF; each name over 63 bytes is reported to {@code warnings}. */
    public static WriterOptions comfyUi(Consumer<String> warnings) {
        return new WriterOptions(DEFAULT_ALIGNMENT, ReaderOptions.COMFYUI_MAX_NAME, warnings);
    }

    public WriterOptions withAlignment(int a) {
        return new WriterOptions(a, maxNameLength, warnings);
    }

    public WriterOptions withMaxNameLength(int n) {
        return new WriterOptions(alignment, n, warnings);
    }

    public WriterOptions withWarnings(Consumer<String> w) {
        return new WriterOptions(alignment, maxNameLength, w);
    }
}
