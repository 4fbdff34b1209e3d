package io.weightcast.formats.gguf;

/**
 * How strict {@link GgufReader} is where the ecosystem disagrees.
 *
 * @param maxNameLength      longest tensor name in bytes: 63 for llama.cpp ({@code GGML_MAX_NAME} = 64 incl. NUL),
 *                           127 for ComfyUI-GGUF files (its patched ggml uses 128)
 * @param legacyFlatBlocks   accept, in GGUF v1/v2 files only, quantized tensors whose ne[0] is not a multiple of the
 *                           block size as long as the whole tensor is a whole number of blocks (2023 quantizers
 *                           wrote such files; gguf-py reads them flat, current gguf.cpp rejects them). GGUF v3 files
 *                           are always checked per row.
 */
public record ReaderOptions(int maxNameLength, boolean legacyFlatBlocks) {
    public static final int LLAMA_CPP_MAX_NAME = 63;
    public static final int COMFYUI_MAX_NAME = 127;

    public ReaderOptions {
        if (maxNameLength < 1) {
            throw new IllegalArgumentException("maxNameLength must be positive, got " + maxNameLength);
        }
    }

    /** llama.cpp's limits (names up to 63 bytes), legacy flat blocks accepted in v1/v2 files. */
    public static ReaderOptions defaults() {
        return new ReaderOptions(LLAMA_CPP_MAX_NAME, true);
    }

    /** As {@link #defaults()} but with ComfyUI-GGUF's 127-byte tensor names. */
    public static ReaderOptions comfyUi() {
        return new ReaderOptions(COMFYUI_MAX_NAME, true);
    }

    public ReaderOptions withMaxNameLength(int n) {
        return new ReaderOptions(n, legacyFlatBlocks);
    }

    public ReaderOptions withLegacyFlatBlocks(boolean allow) {
        return new ReaderOptions(maxNameLength, allow);
    }
}
