package io.weightcast.formats.gguf;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything before the data section of one GGUF file, validated.
 *
 * @param file          the file
 * @param version       1, 2 or 3
 * @param metadata      the key/values in file order
 * @param tensors       the tensor infos in file order
 * @param alignment     {@code general.alignment}, or 32
 * @param tensorInfoEnd the byte offset just after the last tensor info
 * @param dataStart     the absolute byte offset of the data section
 */
public record GgufHeader(Path file, int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment,
                         long tensorInfoEnd, long dataStart) {
    public GgufHeader {
        metadata = new GgufMetadata(metadata);
        tensors = List.copyOf(tensors);
    }

    @Override
    public GgufMetadata metadata() {
        return new GgufMetadata(metadata);
    }
}
