package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An opened GGUF model: one file, or every shard of a split read as one model. Metadata comes from the first
 * shard (where gguf-split keeps it; the {@code split.*} keys stay visible), tensors from all shards in order.
 * Tensor views are zero-copy slices of the mapped files and become invalid on {@link #close()}.
 */
public final class GgufModel implements ModelFile {
    private final Path path;
    private final List<MappedFile> files;
    private final List<GgufHeader> headers;
    private final List<TensorView> tensors;
    private final GgufMetadata metadata;
    private volatile Map<String, Object> jsonMetadata;

    GgufModel(Path path, List<MappedFile> files, List<GgufHeader> headers, List<TensorView> tensors) {
        this.path = path;
        this.files = List.copyOf(files);
        this.headers = List.copyOf(headers);
        this.tensors = List.copyOf(tensors);
        this.metadata = headers.getFirst().metadata();
    }

    @Override
    public String format() {
        return "gguf";
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<TensorView> tensors() {
        return tensors;
    }

    /** The typed metadata of the first shard as JSON-friendly values, nothing left out (arrays kept whole). */
    @Override
    public Map<String, Object> metadata() {
        Map<String, Object> m = jsonMetadata;
        if (m == null) {
            m = metadata.toJsonFriendly();
            jsonMetadata = m;
        }
        return m;
    }

    /** A copy of the typed metadata of the first shard, {@code split.*} keys included. */
    public GgufMetadata ggufMetadata() {
        return new GgufMetadata(metadata);
    }

    /** A copy of the typed metadata without {@code split.no}, {@code split.count}, {@code split.tensors.count}. */
    public GgufMetadata metadataWithoutSplitKeys() {
        return metadata.withoutSplitKeys();
    }

    /** The tensor infos as stored (ne[], n_dims, relative offsets), over all shards in order. */
    public List<GgufTensorInfo> tensorInfos() {
        List<GgufTensorInfo> out = new ArrayList<>(tensors.size());
        headers.forEach(h -> out.addAll(h.tensors()));
        return out;
    }

    /** One header per shard (one for an unsplit file). */
    public List<GgufHeader> headers() {
        return headers;
    }

    /** The files read, in shard order. */
    public List<Path> files() {
        return headers.stream().map(GgufHeader::file).toList();
    }

    public boolean isSplit() {
        return headers.size() > 1;
    }

    /** The GGUF version of the first shard. */
    public int version() {
        return headers.getFirst().version();
    }

    /** The alignment of the first shard. */
    public int alignment() {
        return headers.getFirst().alignment();
    }

    @Override
    public void close() {
        files.forEach(MappedFile::close);
    }
}
