package io.weightcast.testdata.peer;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A GGUF file's header as ggml's own reader ({@code gguf_init_from_file}) sees it: what weightcast's reader and
 * writer are compared with.
 *
 * @param version     the GGUF version
 * @param alignment   {@code general.alignment} or the default 32
 * @param dataOffset  absolute file offset of the tensor data section
 * @param kvs         metadata in file order
 * @param tensors     tensor infos in file order
 */
public record GgufPeerView(long version, long alignment, long dataOffset, List<Kv> kvs, List<Tensor> tensors) {

    /**
     * One metadata entry. {@code type} is the gguf_type id ({@link GgmlPeer#GGUF_UINT8} …). {@code value} is a
     * {@link Long} for every integer type (u64 as its bit pattern), {@link Float} for f32, {@link Double} for f64,
     * {@link Boolean}, {@link String}, or an {@link Array}.
     */
    public record Kv(String key, int type, Object value) {}

    /**
     * An array value: {@code raw} holds the little-endian element bytes for numeric and bool arrays,
     * {@code strings} the elements of a string array (the other one is null).
     */
    public record Array(int elementType, long length, byte[] raw, List<String> strings) {}

    /**
     * One tensor info.
     *
     * @param type   ggml type id
     * @param offset offset relative to {@link GgufPeerView#dataOffset()}
     * @param size   bytes ({@code ggml_nbytes})
     * @param ne     the four ggml dimensions, innermost first, trailing ones 1
     */
    public record Tensor(String name, int type, long offset, long size, long[] ne) {
        public Tensor {
            Objects.requireNonNull(name);
            ne = ne.clone();
        }

        @Override
        public long[] ne() {
            return ne.clone();
        }
    }

    /** Keys in file order. */
    public List<String> keys() {
        return kvs.stream().map(Kv::key).toList();
    }

    public Optional<Kv> kv(String key) {
        return kvs.stream().filter(k -> k.key().equals(key)).findFirst();
    }

    public Optional<Tensor> tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
