package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.testdata.peer.GgmlPeer;
import io.weightcast.testdata.peer.GgufPeerView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our writer's output opened by ggml's own {@code gguf_init_from_file} (the peer library, skipped when absent),
 * and our reader compared with ggml's on every real file ggml accepts.
 */
class GgufPeerCompatibilityTest {
    @TempDir
    Path dir;

    private static GgmlPeer peer() {
        var p = GgmlPeer.load();
        assumeTrue(p.isPresent(), () -> "peer absent: " + GgmlPeer.unavailableReason());
        return p.get();
    }

    private static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("token_embd.weight", new long[] {4, 64}, DType.Q8_0),
            new TensorSpec("blk.0.attn_norm.weight", new long[] {5}, DType.F32),
            new TensorSpec("blk.0.ffn_down.weight", new long[] {2, 256}, DType.Q4_K),
            new TensorSpec("scalar", new long[] {}, DType.F16),
            new TensorSpec("blk.0.moe.weight", new long[] {2, 3, 1, 32}, DType.IQ4_NL),
            new TensorSpec("bf16", new long[] {3, 3}, DType.BF16));

    private void write(Path out, WriterOptions opts, boolean split) throws IOException {
        GgufMetadata meta = GgufRoundTripTest.everyType();
        meta.putString("general.architecture", "llama");
        try (GgufWriter w = split
                ? GgufWriter.createSplit(out, meta, SPECS, opts, 0, 2)
                : GgufWriter.create(out, meta, SPECS, opts)) {
            for (TensorSpec s : SPECS) {
                byte[] b = new byte[(int) s.byteSize()];
                Arrays.fill(b, (byte) 0x11); // fp16 0x1111: finite scales
                w.write(MemorySegment.ofArray(b));
            }
            w.commit();
        }
    }

    @Test
    void ggmlReadsOurFileExactlyAsWeDo() throws IOException {
        GgmlPeer peer = peer();
        for (int alignment : new int[] {32, 64}) {
            Path out = dir.resolve("a" + alignment + ".gguf");
            write(out, WriterOptions.defaults().withAlignment(alignment), false);
            compare(peer.openGguf(out), out);
        }
    }

    @Test
    void ggmlReadsEveryShardOfOurSplit() throws IOException {
        GgmlPeer peer = peer();
        write(dir.resolve("s.gguf"), WriterOptions.defaults(), true);
        for (Path shard : GgufSplitNames.allShards(dir.resolve("s"), 3)) {
            GgufPeerView view = peer.openGguf(shard);
            assertThat(view.kv("split.count").orElseThrow().type()).isEqualTo(GgmlPeer.GGUF_UINT16);
            assertThat(view.kv("split.tensors.count").orElseThrow().type()).isEqualTo(GgmlPeer.GGUF_INT32);
            compare(view, shard);
        }
    }

    @TestFactory
    Stream<DynamicTest> ourReaderAgreesWithGgmlOnRealFiles() throws IOException {
        GgmlPeer peer = peer();
        var real = GgufTestFiles.sharedReal();
        assumeTrue(real.isPresent(), "shared/testdata/real is not present");
        List<Path> files;
        try (Stream<Path> s = Files.walk(real.get())) {
            files = Stream.concat(s.filter(p -> p.toString().endsWith(".gguf")),
                    Stream.of(GgufTestFiles.resource("tiny-llama.gguf"))).sorted().toList();
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            GgufPeerView view;
            try {
                view = peer.openGguf(f);
            } catch (IOException rejectedByGgml) {
                // ggml rejects v1, the v2 file whose Q8_0 blocks straddle rows, and the corrupted file
                return;
            }
            compare(view, f);
        }));
    }

    private static void compare(GgufPeerView view, Path file) throws IOException {
        try (GgufModel ours = GgufReader.openSingle(file, ReaderOptions.defaults())) {
            GgufHeader h = ours.headers().getFirst();
            assertThat(view.version()).isEqualTo(h.version());
            assertThat(view.alignment()).isEqualTo(h.alignment());
            assertThat(view.dataOffset()).isEqualTo(h.dataStart());
            GgufMetadata meta = h.metadata();
            assertThat(view.keys()).containsExactlyElementsOf(meta.keys());
            for (GgufPeerView.Kv kv : view.kvs()) {
                GgufValue v = meta.get(kv.key()).orElseThrow();
                assertThat(kv.type()).as(kv.key()).isEqualTo(v.type().id());
                assertThat(peerForm(v)).as(kv.key()).isEqualTo(normalize(kv.value()));
            }
            List<GgufTensorInfo> infos = h.tensors();
            assertThat(view.tensors()).hasSize(infos.size());
            for (int i = 0; i < infos.size(); i++) {
                GgufPeerView.Tensor t = view.tensors().get(i);
                GgufTensorInfo info = infos.get(i);
                assertThat(t.name()).isEqualTo(info.name());
                assertThat(t.type()).isEqualTo(info.type().ggmlId());
                assertThat(t.offset()).as(t.name()).isEqualTo(info.offset());
                assertThat(t.size()).as(t.name()).isEqualTo(info.byteSize());
                long[] ne4 = {1, 1, 1, 1};
                System.arraycopy(info.ne(), 0, ne4, 0, info.nDims());
                assertThat(t.ne()).as(t.name()).containsExactly(ne4);
            }
        }
    }

    /** Our value in the peer view's representation. */
    private static Object peerForm(GgufValue v) {
        if (!v.isArray()) {
            return v.type().isInteger() ? GgufValue.integerBits(v.type(), v.value()) : v.value();
        }
        List<?> list = v.asList();
        if (v.elementType() == GgufValueType.STRING) {
            return Map.of("n", (long) list.size(), "strings", list);
        }
        ByteBuffer b = ByteBuffer.allocate(list.size() * v.elementType().minBytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (Object e : list) {
            switch (e) {
                case Byte x -> b.put(x);
                case Short x -> b.putShort(x);
                case Integer x -> b.putInt(x);
                case Long x -> b.putLong(x);
                case Float x -> b.putFloat(x);
                case Double x -> b.putDouble(x);
                case Boolean x -> b.put((byte) (x ? 1 : 0));
                default -> throw new IllegalStateException();
            }
        }
        return Map.of("n", (long) list.size(), "raw", HexFormat.of().formatHex(b.array()));
    }

    private static Object normalize(Object peerValue) {
        if (peerValue instanceof GgufPeerView.Array a) {
            return a.strings() != null ? Map.of("n", a.length(), "strings", a.strings())
                    : Map.of("n", a.length(), "raw", HexFormat.of().formatHex(a.raw()));
        }
        return peerValue;
    }
}
