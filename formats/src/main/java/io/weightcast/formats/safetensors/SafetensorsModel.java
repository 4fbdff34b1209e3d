package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened safetensors model: one file, or several shards read as one. Its tensors are zero-copy views on the
 * mapped files, valid until {@link #close()}.
 */
public final class SafetensorsModel implements ModelFile {
    private final Path path;
    private final List<MappedFile> mapped;
    private final List<SafetensorsHeader> headers;
    private final List<TensorView> tensors;
    private final Map<String, TensorView> byName;
    private final Optional<ShardIndex> index;
    private boolean closed;

    /** Takes ownership of {@code mapped}; {@code tensors} must have distinct names. */
    SafetensorsModel(Path path, List<MappedFile> mapped, List<SafetensorsHeader> headers, List<TensorView> tensors,
                     Optional<ShardIndex> index) {
        this.path = path;
        this.mapped = List.copyOf(mapped);
        this.headers = List.copyOf(headers);
        this.tensors = List.copyOf(tensors);
        Map<String, TensorView> names = new LinkedHashMap<>();
        for (TensorView t : tensors) {
            names.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(names);
        this.index = index;
    }

    @Override
    public String format() {
        return "safetensors";
    }

    @Override
    public Path path() {
        return path;
    }

    /** Tensors in header order within each file, files in shard order. */
    @Override
    public List<TensorView> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorView> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The {@code __metadata__} of the first file (transformers writes the same {@code {"format":"pt"}} into
     * every shard); empty when it has none or it is JSON null.
     */
    @Override
    public Map<String, Object> metadata() {
        return headers.isEmpty() ? Map.of() : headers.getFirst().metadata();
    }

    /** The index the model was opened through, if any. */
    public Optional<ShardIndex> index() {
        return index;
    }

    /** The parsed header of every file, in the order of {@link #files()}. */
    public List<SafetensorsHeader> headers() {
        return headers;
    }

    /** The files read, in shard order. */
    public List<Path> files() {
        return headers.stream().map(SafetensorsHeader::file).toList();
    }

    /** Unmaps every file; the views of {@link #tensors()} must not be used afterwards. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (MappedFile f : mapped) {
            try {
                f.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
