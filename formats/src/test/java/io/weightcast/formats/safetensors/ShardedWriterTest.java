package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded output: the plan, transformers' names and index, streaming across files, and a round trip. */
class ShardedWriterTest {
    // 40 + 40 + 100 (over the limit of 64) + 24 + 0 bytes
    private static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("w1", new long[] {10}, DType.F32),
            new TensorSpec("w2", new long[] {5, 4}, DType.BF16),
            new TensorSpec("big", new long[] {25}, DType.F32),
            new TensorSpec("w3", new long[] {3}, DType.I64),
            new TensorSpec("none", new long[] {0}, DType.U8));

    @TempDir
    Path dir;

    private List<String> folder(Path p) throws IOException {
        try (Stream<Path> s = Files.list(p)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void planIsGreedyAndOversizedTensorsGetTheirOwnShard() {
        ShardPlan plan = ShardPlan.plan("model", SPECS, 64);
        assertThat(plan.shards()).extracting(ShardPlan.Shard::fileName).containsExactly(
                "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors",
                "model-00004-of-00004.safetensors");
        // w1 (40) + w2 (40) would pass 64; big (100) is over the limit alone; w3 + the empty tensor follow it
        assertThat(plan.shards()).extracting(s -> s.tensors().stream().map(TensorSpec::name).toList())
                .containsExactly(List.of("w1"), List.of("w2"), List.of("big"), List.of("w3", "none"));
    }

    @Test
    void planDetails() {
        ShardPlan plan = ShardPlan.plan("model", SPECS, 100);
        // w1+w2 = 80; big (100) would overflow -> own shard; w3 + none -> third
        assertThat(plan.shards()).extracting(s -> s.tensors().stream().map(TensorSpec::name).toList())
                .containsExactly(List.of("w1", "w2"), List.of("big"), List.of("w3", "none"));
        assertThat(plan.shards()).extracting(ShardPlan.Shard::dataBytes).containsExactly(80L, 100L, 24L);
        assertThat(plan.totalBytes()).isEqualTo(204);
        assertThat(ShardPlan.plan("model", SPECS, 1000).shards()).singleElement()
                .extracting(ShardPlan.Shard::fileName).isEqualTo("model.safetensors");
        assertThatThrownBy(() -> ShardPlan.plan("model", SPECS, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shardedRoundTripWithIndex() throws IOException {
        Path out = dir.resolve("out");
        byte[] all = new byte[204];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 7);
        }
        try (SafetensorsWriter w = SafetensorsWriter.createSharded(out, "model", SPECS, Map.of("format", "pt"), 100)) {
            // chunks of 33 bytes cross every tensor and shard boundary
            for (int at = 0; at < all.length; at += 33) {
                w.write(MemorySegment.ofArray(all).asSlice(at, Math.min(33, all.length - at)));
            }
            assertThat(folder(out)).noneMatch(n -> n.endsWith(".safetensors") || n.endsWith(".json"));
            w.commit();
        }
        assertThat(folder(out)).containsExactly("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json");
        assertThat(Files.readString(out.resolve("model.safetensors.index.json"))).isEqualTo("""
                {
                  "metadata": {
                    "total_size": 204
                  },
                  "weight_map": {
                    "big": "model-00002-of-00003.safetensors",
                    "none": "model-00003-of-00003.safetensors",
                    "w1": "model-00001-of-00003.safetensors",
                    "w2": "model-00001-of-00003.safetensors",
                    "w3": "model-00003-of-00003.safetensors"
                  }
                }
                """);
        for (Path open : List.of(out, out.resolve("model.safetensors.index.json"))) {
            try (SafetensorsModel m = SafetensorsReader.open(open)) {
                assertThat(m.tensors()).extracting(TensorView::spec).containsExactlyElementsOf(SPECS);
                assertThat(m.index()).isPresent();
                assertThat(m.metadata()).containsEntry("format", "pt");
                long at = 0;
                for (TensorView v : m.tensors()) {
                    byte[] expected = java.util.Arrays.copyOfRange(all, (int) at, (int) (at + v.byteSize()));
                    assertThat(v.data().toArray(ValueLayout.JAVA_BYTE)).as(v.name()).isEqualTo(expected);
                    at += v.byteSize();
                }
                assertThat(m.tensor("big").orElseThrow().file().getFileName().toString())
                        .isEqualTo("model-00002-of-00003.safetensors");
            }
        }
    }

    @Test
    void oneShardIsAPlainFileWithoutIndexAndStaleFilesGo() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("model.safetensors.index.json"), "{}");
        Files.writeString(out.resolve("model-00001-of-00002.safetensors"), "stale");
        Files.writeString(out.resolve("config.json"), "{}");
        try (SafetensorsWriter w = SafetensorsWriter.createSharded(out, "model", SPECS, Map.of(), 1 << 20)) {
            w.write(MemorySegment.ofArray(new byte[204]));
            assertThat(folder(out)).contains("model.safetensors.index.json", "model-00001-of-00002.safetensors");
            w.commit();
        }
        assertThat(folder(out)).containsExactly("config.json", "model.safetensors");
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(m.index()).isEmpty();
            assertThat(m.tensors()).hasSize(5);
        }
    }

    @Test
    void abandonedShardedWriteLeavesTheFolderAsItWas() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("model.safetensors"), "old");
        try (SafetensorsWriter w = SafetensorsWriter.createSharded(out, "model", SPECS, Map.of(), 64)) {
            w.write(MemorySegment.ofArray(new byte[150])); // into the third shard
        }
        assertThat(folder(out)).containsExactly("model.safetensors");
        assertThat(Files.readString(out.resolve("model.safetensors"))).isEqualTo("old");
    }

    @Test
    void shardedWriterEnforcesTheSameByteCounts() throws IOException {
        Path out = dir.resolve("out");
        try (SafetensorsWriter w = SafetensorsWriter.createSharded(out, "model", SPECS, Map.of(), 64)) {
            w.write(MemorySegment.ofArray(new byte[100]));
            assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class)
                    .hasMessage("missing bytes: tensor 'big' has 20 of 100 bytes; 100 of 204 bytes written");
            assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[105])))
                    .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("too many bytes: 105");
        }
        assertThat(folder(out)).isEmpty();
    }
}
