package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    static GgufMetadata everyType() {
        GgufMetadata m = new GgufMetadata();
        m.put("t.u8", GgufValue.uint8(250));
        m.put("t.i8", GgufValue.int8(-100));
        m.put("t.u16", GgufValue.uint16(65000));
        m.put("t.i16", GgufValue.int16(-30000));
        m.put("t.u32", GgufValue.uint32(0xFFFF_FFFEL));
        m.put("t.i32", GgufValue.int32(-2_000_000_000));
        m.put("t.f32", GgufValue.float32(3.5e-7f));
        m.put("t.bool.true", GgufValue.bool(true));
        m.put("t.bool.false", GgufValue.bool(false));
        m.put("t.str", GgufValue.string("héllo ✓ 世界"));
        m.put("t.str.empty", GgufValue.string(""));
        m.put("t.u64", GgufValue.uint64(-2L)); // 2^64 - 2
        m.put("t.i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("t.f64", GgufValue.float64(-1.0e300));
        m.put("a.u8", GgufValue.array(GgufValueType.UINT8, List.of((byte) 0, (byte) 0xFF)));
        m.put("a.i8", GgufValue.array(GgufValueType.INT8, List.of((byte) -1, (byte) 127)));
        m.put("a.u16", GgufValue.array(GgufValueType.UINT16, List.of((short) 0xFFFF)));
        m.put("a.i16", GgufValue.array(GgufValueType.INT16, List.of((short) -5, (short) 5)));
        m.put("a.u32", GgufValue.array(GgufValueType.UINT32, List.of(-1, 7)));
        m.put("a.i32", GgufValue.int32Array(1, -2, 3));
        m.put("a.f32", GgufValue.float32Array(0.5f, Float.NaN, Float.NEGATIVE_INFINITY));
        m.put("a.bool", GgufValue.array(GgufValueType.BOOL, List.of(true, false, true)));
        m.put("a.str", GgufValue.stringArray(List.of("<unk>", "", "▁the")));
        m.put("a.u64", GgufValue.array(GgufValueType.UINT64, List.of(Long.MIN_VALUE)));
        m.put("a.i64", GgufValue.array(GgufValueType.INT64, List.of(-1L, Long.MAX_VALUE)));
        m.put("a.f64", GgufValue.array(GgufValueType.FLOAT64, List.of(Math.PI)));
        m.put("a.empty", GgufValue.array(GgufValueType.INT32, List.of()));
        m.put("a.empty.str", GgufValue.stringArray(List.of()));
        return m;
    }

    @Test
    void everyMetadataTypeAndArraySurvivesARoundTrip() throws IOException {
        GgufMetadata meta = everyType();
        Path out = dir.resolve("meta.gguf");
        try (GgufWriter w = GgufWriter.create(out, meta, List.of(), WriterOptions.defaults())) {
            w.commit();
        }
        try (GgufModel model = GgufReader.open(out)) {
            assertThat(model.version()).isEqualTo(3);
            assertThat(model.tensors()).isEmpty();
            GgufMetadata read = model.ggufMetadata();
            assertThat(read).isEqualTo(meta);
            assertThat(read.keys()).containsExactlyElementsOf(meta.keys());
            // typed getters and unsigned interpretation
            assertThat(read.getUint32("t.u32")).contains(0xFFFF_FFFEL);
            assertThat(read.getLong("t.u8")).contains(250L);
            assertThat(read.getLong("t.i16")).contains(-30000L);
            assertThat(read.getString("t.str")).contains("héllo ✓ 世界");
            assertThat(read.getStringArray("a.str")).contains(List.of("<unk>", "", "▁the"));
            assertThat(read.getLongArray("a.u32").orElseThrow()).containsExactly(0xFFFF_FFFFL, 7L);
            assertThat(read.getBool("t.bool.true")).contains(true);
            // JSON-friendly view: unsigned widened, arrays kept whole
            var json = model.metadata();
            assertThat(json.get("t.u8")).isEqualTo(250);
            assertThat(json.get("t.u16")).isEqualTo(65000);
            assertThat(json.get("t.u32")).isEqualTo(0xFFFF_FFFEL);
            assertThat(json.get("t.u64")).isEqualTo(new BigInteger("18446744073709551614"));
            assertThat(json.get("t.i8")).isEqualTo(-100);
            assertThat(json.get("t.f64")).isEqualTo(-1.0e300);
            assertThat(json.get("a.u8")).isEqualTo(List.of(0, 255));
            assertThat(json.get("a.empty")).isEqualTo(List.of());
            assertThat(json.get("a.bool")).isEqualTo(List.of(true, false, true));
        }
    }

    @Test
    void architectureIsWrittenFirstAndSplitKeysAreDropped() throws IOException {
        GgufMetadata meta = new GgufMetadata()
                .putString("general.name", "n")
                .putUint32("split.count", 3)
                .putString("general.architecture", "llama")
                .putUint32("llama.block_count", 1);
        Path out = dir.resolve("order.gguf");
        try (GgufWriter w = GgufWriter.create(out, meta, List.of(), WriterOptions.defaults())) {
            w.commit();
        }
        try (GgufModel model = GgufReader.open(out)) {
            assertThat(model.ggufMetadata().keys())
                    .containsExactly("general.architecture", "general.name", "llama.block_count");
        }
    }

    record Case(String name, long[] shape, DType type) {
    }

    @Test
    void tensorsOfSeveralTypesNeedingPaddingRoundTripThroughChunkedWrites() throws IOException {
        List<Case> cases = List.of(
                new Case("f32.odd", new long[] {3, 5}, DType.F32),          // 60 bytes -> padded to 64
                new Case("f16.vec", new long[] {7}, DType.F16),             // 14 bytes
                new Case("bf16.mat", new long[] {2, 3, 3}, DType.BF16),     // 36 bytes
                new Case("q8_0.w", new long[] {3, 64}, DType.Q8_0),         // 6 blocks x 34 = 204
                new Case("q4_k.w", new long[] {1, 256}, DType.Q4_K),        // 144
                new Case("scalar", new long[] {}, DType.F32),               // 0-dim -> ne = [1]
                new Case("empty", new long[] {0, 4}, DType.F32),            // 0 bytes
                new Case("i8.4d", new long[] {2, 1, 3, 5}, DType.I8),       // 30 bytes
                new Case("q6_k.3d", new long[] {2, 1, 256}, DType.Q6_K));   // 420 bytes
        List<TensorSpec> specs = cases.stream().map(c -> new TensorSpec(c.name, c.shape, c.type)).toList();
        Random rnd = new Random(42);
        List<byte[]> data = new ArrayList<>();
        for (TensorSpec s : specs) {
            byte[] b = new byte[(int) s.byteSize()];
            rnd.nextBytes(b);
            data.add(b);
        }
        byte[] all = concat(data);
        Path out = dir.resolve("tensors.gguf");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata().putString("general.architecture", "x"), specs,
                WriterOptions.defaults())) {
            // odd chunk sizes that cross tensor boundaries
            int[] chunks = {1, 2, 61, 13, 100, 7, 300};
            int pos = 0;
            for (int i = 0; pos < all.length; i++) {
                int n = Math.min(chunks[i % chunks.length], all.length - pos);
                w.write(MemorySegment.ofArray(java.util.Arrays.copyOfRange(all, pos, pos + n)));
                pos += n;
            }
            w.commit();
        }
        try (GgufModel model = GgufReader.open(out)) {
            assertThat(model.tensors()).hasSize(specs.size());
            List<GgufTensorInfo> infos = model.tensorInfos();
            long expectedOffset = 0;
            for (int i = 0; i < specs.size(); i++) {
                TensorView v = model.tensors().get(i);
                TensorSpec s = specs.get(i);
                assertThat(v.name()).isEqualTo(s.name());
                assertThat(v.dtype()).isEqualTo(s.dtype());
                assertThat(v.data().toArray(ValueLayout.JAVA_BYTE)).as(s.name()).isEqualTo(data.get(i));
                GgufTensorInfo info = infos.get(i);
                assertThat(info.offset()).isEqualTo(expectedOffset);
                assertThat(v.fileOffset() % 32).isZero();
                expectedOffset += (info.byteSize() + 31) / 32 * 32;
                if (s.shape().length == 0) {
                    assertThat(info.ne()).containsExactly(1);
                    assertThat(v.shape()).containsExactly(1);
                } else {
                    assertThat(v.shape()).containsExactly(s.shape());
                    assertThat(info.ne()).containsExactly(io.weightcast.formats.tensor.Shapes.reversed(s.shape()));
                }
            }
            assertThat(infos.get(3).ne()).containsExactly(64, 3);
            assertThat(infos.get(7).nDims()).isEqualTo(4);
            // padding after the last tensor too: the file ends on an alignment boundary, padding bytes are zero
            long size = Files.size(out);
            assertThat(size % 32).isZero();
            assertThat(size).isEqualTo(model.headers().getFirst().dataStart() + expectedOffset);
            byte[] bytes = Files.readAllBytes(out);
            TensorView first = model.tensors().getFirst();
            for (long p = first.fileOffset() + first.byteSize(); p < first.fileOffset() + 64; p++) {
                assertThat(bytes[(int) p]).isZero();
            }
        }
    }

    @Test
    void nonDefaultAlignmentIsWrittenAsUint32AndHonoured() throws IOException {
        List<TensorSpec> specs = List.of(new TensorSpec("a", new long[] {3}, DType.F32),
                new TensorSpec("b", new long[] {5}, DType.F16));
        Path out = dir.resolve("align.gguf");
        GgufMetadata meta = new GgufMetadata().putString("general.architecture", "x")
                .put("general.alignment", GgufValue.uint32(32)); // replaced by the writer's own
        try (GgufWriter w = GgufWriter.create(out, meta, specs, WriterOptions.defaults().withAlignment(256))) {
            w.write(MemorySegment.ofArray(new float[] {1, 2, 3}));   // heap segment not backed by byte[]
            w.write(MemorySegment.ofArray(new short[] {1, 2, 3, 4, 5}));
            w.commit();
        }
        try (GgufModel model = GgufReader.open(out)) {
            assertThat(model.alignment()).isEqualTo(256);
            assertThat(model.ggufMetadata().get("general.alignment")).contains(GgufValue.uint32(256));
            assertThat(model.tensorInfos().get(1).offset()).isEqualTo(256);
            assertThat(model.tensors().get(0).fileOffset() % 256).isZero();
            assertThat(model.tensors().get(0).data().getAtIndex(
                    io.weightcast.formats.tensor.MappedFile.F32, 2)).isEqualTo(3f);
            assertThat(Files.size(out) % 256).isZero();
        }
        // alignment 32 is never written, even when the input had the key
        Path out32 = dir.resolve("align32.gguf");
        try (GgufWriter w = GgufWriter.create(out32, meta, List.of(), WriterOptions.defaults())) {
            w.commit();
        }
        try (GgufModel model = GgufReader.open(out32)) {
            assertThat(model.ggufMetadata().containsKey("general.alignment")).isFalse();
        }
    }

    @Test
    void realFileRewrittenByTheWriterReadsBackIdentically() throws IOException {
        Path src = GgufTestFiles.resource("tiny-llama.gguf");
        Path out = dir.resolve("copy.gguf");
        try (GgufModel in = GgufReader.open(src)) {
            List<TensorSpec> specs = in.tensors().stream().map(TensorView::spec).toList();
            try (GgufWriter w = GgufWriter.create(out, in.ggufMetadata(), specs, WriterOptions.defaults())) {
                for (TensorView t : in.tensors()) {
                    w.write(t.data());
                }
                w.commit();
            }
            // gguf-py wrote this file with the same rules, so our output is byte-identical
            assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(src));
        }
    }

    static byte[] concat(List<byte[]> parts) {
        int n = parts.stream().mapToInt(b -> b.length).sum();
        byte[] out = new byte[n];
        int p = 0;
        for (byte[] b : parts) {
            System.arraycopy(b, 0, out, p, b.length);
            p += b.length;
        }
        return out;
    }
}
