package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufSplitTest {
    @TempDir
    Path dir;

    private static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("a", new long[] {4, 8}, DType.F32),     // 128 bytes
            new TensorSpec("b", new long[] {5}, DType.F16),        // 10 -> 32
            new TensorSpec("c", new long[] {2, 32}, DType.Q8_0),   // 68 -> 96
            new TensorSpec("d", new long[] {0}, DType.F32),        // 0
            new TensorSpec("e", new long[] {3, 3}, DType.F32));    // 36 -> 64

    private static byte[] bytesOf(TensorSpec s) {
        byte[] b = new byte[(int) s.byteSize()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (s.name().charAt(0) + i);
        }
        return b;
    }

    private static GgufMetadata model() {
        return new GgufMetadata().putString("general.architecture", "llama").putString("general.name", "split test")
                .putUint32("split.count", 9); // stale split keys from an input are replaced
    }

    private List<Path> writeSplit(long maxBytes, int maxTensors) throws IOException {
        byte[] all = GgufRoundTripTest.concat(SPECS.stream().map(GgufSplitTest::bytesOf).toList());
        try (GgufWriter w = GgufWriter.createSplit(dir.resolve("model.gguf"), model(), SPECS,
                WriterOptions.defaults(), maxBytes, maxTensors)) {
            for (int p = 0; p < all.length; p += 50) { // chunks cross tensor and shard boundaries
                w.write(MemorySegment.ofArray(java.util.Arrays.copyOfRange(all, p, Math.min(all.length, p + 50))));
            }
            w.commit();
            return w.outputs();
        }
    }

    @Test
    void splitByTensorCountWritesGgufSplitShardsThatReadBackAsOneModel() throws IOException {
        List<Path> shards = writeSplit(0, 2);
        assertThat(shards).extracting(p -> p.getFileName().toString()).containsExactly(
                "model-00001-of-00003.gguf", "model-00002-of-00003.gguf", "model-00003-of-00003.gguf");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("model-0"));
        }
        for (int i = 0; i < 3; i++) {
            try (GgufModel one = GgufReader.openSingle(shards.get(i), ReaderOptions.defaults())) {
                GgufMetadata m = one.ggufMetadata();
                assertThat(m.get("split.no")).contains(GgufValue.uint16(i));
                assertThat(m.get("split.count")).contains(GgufValue.uint16(3));
                assertThat(m.get("split.tensors.count")).contains(GgufValue.int32(5));
                if (i == 0) {
                    assertThat(m.keys()).containsExactly("general.architecture", "general.name", "split.no",
                            "split.count", "split.tensors.count");
                } else {
                    assertThat(m.keys()).containsExactly("split.no", "split.count", "split.tensors.count");
                }
                assertThat(Files.size(shards.get(i)) % 32).isZero();
            }
        }
        try (GgufModel model = GgufReader.open(shards.getFirst())) {
            assertThat(model.isSplit()).isTrue();
            assertThat(model.files()).containsExactlyElementsOf(shards);
            assertThat(model.tensors()).extracting(TensorView::name).containsExactly("a", "b", "c", "d", "e");
            assertThat(model.tensors().get(2).file()).isEqualTo(shards.get(1));
            for (int i = 0; i < SPECS.size(); i++) {
                assertThat(model.tensors().get(i).data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytesOf(SPECS.get(i)));
            }
            assertThat(model.metadata()).containsEntry("split.count", 3).containsEntry("general.name", "split test");
            assertThat(model.metadataWithoutSplitKeys().keys()).containsExactly("general.architecture", "general.name");
        }
        // opening a later shard opens the whole set
        try (GgufModel model = GgufReader.open(shards.get(2))) {
            assertThat(model.tensors()).hasSize(5);
        }
    }

    @Test
    void splitBySizeStartsANewShardBeforeExceedingTheLimit() throws IOException {
        // padded sizes 128, 32, 96, 0, 64; limit 150 -> [a] [b c d] [e]
        List<Path> shards = writeSplit(150, 0);
        assertThat(shards).hasSize(3);
        List<List<String>> names = new ArrayList<>();
        for (Path p : shards) {
            try (GgufModel one = GgufReader.openSingle(p, ReaderOptions.defaults())) {
                names.add(one.tensors().stream().map(TensorView::name).toList());
            }
        }
        assertThat(names).containsExactly(List.of("a"), List.of("b", "c", "d"), List.of("e"));
        // exactly at the limit still fits: 128 + 32 = 160 -> [a b] [c d e]
        assertThat(writeSplit(160, 0)).hasSize(2);
    }

    @Test
    void noLimitsGiveASingleShard() throws IOException {
        List<Path> shards = writeSplit(0, 0);
        assertThat(shards).extracting(p -> p.getFileName().toString()).containsExactly("model-00001-of-00001.gguf");
        try (GgufModel m = GgufReader.open(shards.getFirst())) {
            assertThat(m.tensors()).hasSize(5);
        }
    }

    @Test
    void missingShardIsNamed() throws IOException {
        List<Path> shards = writeSplit(0, 2);
        Files.delete(shards.get(1));
        assertThatThrownBy(() -> GgufReader.open(shards.getFirst())).isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("missing shard file " + shards.get(1)).hasMessageContaining("shard 2 of 3");
    }

    @Test
    void wrongSplitNoIsReported() throws IOException {
        List<Path> shards = writeSplit(0, 2);
        // swap shards 2 and 3: the split.no keys no longer match the names
        Path tmp = dir.resolve("tmp");
        Files.move(shards.get(1), tmp);
        Files.move(shards.get(2), shards.get(1));
        Files.move(tmp, shards.get(2));
        assertThatThrownBy(() -> GgufReader.open(shards.getFirst())).isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("split.no = 2 but this is shard 2 of 3");
    }

    @Test
    void shardCountInNameMustMatchSplitCount() throws IOException {
        List<Path> shards = writeSplit(0, 2);
        Path renamed = dir.resolve("model-00001-of-00002.gguf");
        Files.copy(shards.getFirst(), renamed);
        Files.copy(shards.get(1), dir.resolve("model-00002-of-00002.gguf"));
        assertThatThrownBy(() -> GgufReader.open(renamed)).isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("split.count = 3 but the file name says 2 shards");
    }

    @Test
    void tensorCountMustMatchSplitTensorsCount() throws IOException {
        // hand-made split of two shards claiming 3 tensors in total but holding 2
        for (int i = 0; i < 2; i++) {
            RawGguf g = RawGguf.v3(1, 3).key("split.no", 2).u16(i).key("split.count", 2).u16(2)
                    .key("split.tensors.count", 5).u32(3).tensor("t" + i, new long[] {8}, 0, 0).pad(32).zeros(32);
            g.writeTo(dir.resolve("x-0000" + (i + 1) + "-of-00002.gguf"));
        }
        assertThatThrownBy(() -> GgufReader.open(dir.resolve("x-00001-of-00002.gguf")))
                .isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("split.tensors.count = 3 but the 2 shards hold 2 tensors");
    }

    @Test
    void splitKeysInAFileNotNamedAsAShardAreReported() throws IOException {
        List<Path> shards = writeSplit(0, 2);
        Path plain = Files.copy(shards.getFirst(), dir.resolve("renamed.gguf"));
        assertThatThrownBy(() -> GgufReader.open(plain)).isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("split.count = 3 but the file name does not follow");
        try (GgufModel one = GgufReader.openSingle(plain, ReaderOptions.defaults())) {
            assertThat(one.tensors()).extracting(TensorView::name).containsExactly("a", "b");
        }
    }

    @Test
    void splitNamesInBothDirections() {
        assertThat(GgufSplitNames.shardFileName("llama", 2, 4)).isEqualTo("llama-00002-of-00004.gguf");
        Path p = Path.of("/m/x/llama-3-00002-of-00004.gguf");
        GgufSplitNames.ShardName n = GgufSplitNames.parse(p).orElseThrow();
        assertThat(n.prefix()).isEqualTo(Path.of("/m/x/llama-3"));
        assertThat(n.number()).isEqualTo(2);
        assertThat(n.count()).isEqualTo(4);
        assertThat(n.path()).isEqualTo(p);
        assertThat(GgufSplitNames.allShards(n.prefix(), 2)).containsExactly(
                Path.of("/m/x/llama-3-00001-of-00002.gguf"), Path.of("/m/x/llama-3-00002-of-00002.gguf"));
        assertThat(GgufSplitNames.parse(Path.of("model.gguf"))).isEmpty();
        assertThat(GgufSplitNames.parse(Path.of("m-00005-of-00004.gguf"))).isEmpty();
        assertThat(GgufSplitNames.parse(Path.of("m-0001-of-0004.gguf"))).isEmpty();
        assertThat(GgufSplitNames.prefixOf(Path.of("/o/model.gguf"))).isEqualTo(Path.of("/o/model"));
        assertThat(GgufSplitNames.prefixOf(Path.of("/o/model-00001-of-00003.gguf"))).isEqualTo(Path.of("/o/model"));
        assertThat(GgufSplitNames.prefixOf(Path.of("/o/model"))).isEqualTo(Path.of("/o/model"));
    }
}
