package io.weightcast.formats.tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened model (one file, or several shards read as one): its tensors as mapped views, and its metadata.
 * Closing it unmaps every file, after which the views must not be used.
 */
public interface ModelFile extends AutoCloseable {

    /** "safetensors" or "gguf". */
    String format();

    /** The path the user gave: a file, the first split, an index file or a folder. */
    Path path();

    /** Tensors in file order. */
    List<TensorView> tensors();

    /**
     * Metadata as JSON-friendly values (String, Number, Boolean, List), in file order: safetensors'
     * {@code __metadata__} strings, or GGUF's typed key/values.
     */
    Map<String, Object> metadata();

    default Optional<TensorView> tensor(String name) {
        return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    @Override
    void close() throws IOException;
}
