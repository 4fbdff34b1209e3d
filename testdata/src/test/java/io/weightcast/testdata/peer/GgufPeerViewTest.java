package io.weightcast.testdata.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.testdata.SharedTestData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ggml's GGUF reader through {@link GgmlPeer#openGguf}: on a file written here byte by byte, and on real files. */
class GgufPeerViewTest {

    @TempDir
    Path tmp;

    /** Minimal little-endian GGUF v3 writer for this test. */
    static final class Gguf {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Gguf raw(ByteBuffer b) {
            out.write(b.array(), 0, b.position());
            return this;
        }

        static ByteBuffer buf(int n) {
            return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }

        Gguf u32(int v) { return raw(buf(4).putInt(v)); }
        Gguf u64(long v) { return raw(buf(8).putLong(v)); }
        Gguf u8(int v) { out.write(v); return this; }
        Gguf str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.write(b, 0, b.length);
            return this;
        }
        Gguf key(String k, int type) { return str(k).u32(type); }
        void pad(int align) {
            while (out.size() % align != 0) {
                out.write(0);
            }
        }
    }

    @Test
    void readsAHandWrittenFile() throws IOException {
        GgmlPeer peer = PeerAssumptions.peer();
        Gguf g = new Gguf();
        g.out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        g.u32(3).u64(2).u64(15);
        g.key("general.architecture", GgmlPeer.GGUF_STRING).str("test");
        g.key("t.u8", GgmlPeer.GGUF_UINT8).u8(250);
        g.key("t.i8", GgmlPeer.GGUF_INT8).u8(0x80);
        g.key("t.u16", GgmlPeer.GGUF_UINT16).raw(Gguf.buf(2).putShort((short) 0xFFFE));
        g.key("t.i16", GgmlPeer.GGUF_INT16).raw(Gguf.buf(2).putShort((short) -2));
        g.key("t.u32", GgmlPeer.GGUF_UINT32).u32(0xFFFFFFF0);
        g.key("t.i32", GgmlPeer.GGUF_INT32).u32(-7);
        g.key("t.f32", GgmlPeer.GGUF_FLOAT32).raw(Gguf.buf(4).putFloat(1.25f));
        g.key("t.bool", GgmlPeer.GGUF_BOOL).u8(1);
        g.key("t.u64", GgmlPeer.GGUF_UINT64).u64(-1L);
        g.key("t.i64", GgmlPeer.GGUF_INT64).u64(-5L);
        g.key("t.f64", GgmlPeer.GGUF_FLOAT64).raw(Gguf.buf(8).putDouble(-0.5));
        g.key("t.arr_i32", GgmlPeer.GGUF_ARRAY).u32(GgmlPeer.GGUF_INT32).u64(3).u32(1).u32(-2).u32(3);
        g.key("t.arr_str", GgmlPeer.GGUF_ARRAY).u32(GgmlPeer.GGUF_STRING).u64(2).str("a").str("bé");
        g.key("general.alignment", GgmlPeer.GGUF_UINT32).u32(64);
        // tensors: "w" f32 [4,2] at 0 (32 bytes), "q" q8_0 [64] at 64 (68 bytes)
        g.str("w").u32(2).u64(4).u64(2).u32(GgmlPeer.F32).u64(0);
        g.str("q").u32(1).u64(64).u32(GgmlPeer.Q8_0).u64(64);
        g.pad(64);
        long dataOffset = g.out.size();
        g.out.write(new byte[64 + 68], 0, 64 + 68);
        g.pad(64);
        Path f = tmp.resolve("hand.gguf");
        Files.write(f, g.out.toByteArray());

        GgufPeerView v = peer.openGguf(f);
        assertThat(v.version()).isEqualTo(3);
        assertThat(v.alignment()).isEqualTo(64);
        assertThat(v.dataOffset()).isEqualTo(dataOffset);
        assertThat(v.keys()).containsExactly("general.architecture", "t.u8", "t.i8", "t.u16", "t.i16", "t.u32",
                "t.i32", "t.f32", "t.bool", "t.u64", "t.i64", "t.f64", "t.arr_i32", "t.arr_str", "general.alignment");
        assertThat(v.kv("general.architecture").orElseThrow().value()).isEqualTo("test");
        assertThat(v.kv("t.u8").orElseThrow().value()).isEqualTo(250L);
        assertThat(v.kv("t.i8").orElseThrow().value()).isEqualTo(-128L);
        assertThat(v.kv("t.u16").orElseThrow().value()).isEqualTo(0xFFFEL);
        assertThat(v.kv("t.i16").orElseThrow().value()).isEqualTo(-2L);
        assertThat(v.kv("t.u32").orElseThrow().value()).isEqualTo(0xFFFFFFF0L);
        assertThat(v.kv("t.i32").orElseThrow().value()).isEqualTo(-7L);
        assertThat(v.kv("t.f32").orElseThrow().value()).isEqualTo(1.25f);
        assertThat(v.kv("t.bool").orElseThrow().value()).isEqualTo(true);
        assertThat(v.kv("t.u64").orElseThrow().value()).isEqualTo(-1L);
        assertThat(v.kv("t.i64").orElseThrow().value()).isEqualTo(-5L);
        assertThat(v.kv("t.f64").orElseThrow().value()).isEqualTo(-0.5);
        var arr = (GgufPeerView.Array) v.kv("t.arr_i32").orElseThrow().value();
        assertThat(arr.elementType()).isEqualTo(GgmlPeer.GGUF_INT32);
        assertThat(arr.length()).isEqualTo(3);
        assertThat(arr.raw()).containsExactly(1, 0, 0, 0, -2, -1, -1, -1, 3, 0, 0, 0);
        var strs = (GgufPeerView.Array) v.kv("t.arr_str").orElseThrow().value();
        assertThat(strs.strings()).containsExactly("a", "bé");
        assertThat(v.kv("t.arr_str").orElseThrow().type()).isEqualTo(GgmlPeer.GGUF_ARRAY);

        assertThat(v.tensors()).hasSize(2);
        GgufPeerView.Tensor w = v.tensors().get(0), q = v.tensors().get(1);
        assertThat(List.of(w.name(), w.type(), w.offset(), w.size())).containsExactly("w", GgmlPeer.F32, 0L, 32L);
        assertThat(w.ne()).containsExactly(4, 2, 1, 1);
        assertThat(List.of(q.name(), q.type(), q.offset(), q.size())).containsExactly("q", GgmlPeer.Q8_0, 64L, 68L);
        assertThat(q.ne()).containsExactly(64, 1, 1, 1);
    }

    @Test
    void rejectsWhatGgmlRejects() throws IOException {
        GgmlPeer peer = PeerAssumptions.peer();
        Path bad = tmp.resolve("bad.gguf");
        Files.write(bad, "GGUX\3\0\0\0".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> peer.openGguf(bad)).isInstanceOf(IOException.class)
                .hasMessageContaining("rejected");
        assertThatThrownBy(() -> peer.openGguf(tmp.resolve("none.gguf"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void readsRealFilesFromShared() throws IOException {
        GgmlPeer peer = PeerAssumptions.peer();
        var stories = SharedTestData.resolve("real/python-gen-worker-stories260K/stories260K.gguf");
        assumeTrue(stories.isPresent(), "shared stories260K absent");
        GgufPeerView v = peer.openGguf(stories.get());
        assertThat(v.version()).isEqualTo(3);
        assertThat(v.tensors()).hasSize(48);
        assertThat(v.keys()).contains("general.architecture", "tokenizer.ggml.tokens");
        assertThat(v.tensor("token_embd.weight").orElseThrow().ne()).containsExactly(64, 512, 1, 1);
        long end = v.tensors().stream().mapToLong(t -> t.offset() + t.size()).max().orElseThrow();
        assertThat(v.dataOffset() + end).isLessThanOrEqualTo(Files.size(stories.get()));

        var corrupted = SharedTestData.resolve("real/negative-corrupted-vocab/ggml-vocab-llama-spm.corrupted.gguf");
        if (corrupted.isPresent()) {
            assertThatThrownBy(() -> peer.openGguf(corrupted.get())).isInstanceOf(IOException.class);
        }
    }
}
