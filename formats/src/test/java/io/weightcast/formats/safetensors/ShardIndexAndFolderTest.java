package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening folders and index files, and every index consistency rule. */
class ShardIndexAndFolderTest {
    @TempDir
    Path dir;

    /** A one-tensor file {@code name} holding U8 tensors of one byte each. */
    private Path shard(String fileName, String... tensors) throws IOException {
        List<TensorSpec> specs = java.util.Arrays.stream(tensors).map(t -> new TensorSpec(t, new long[] {1}, DType.U8)).toList();
        Path p = dir.resolve(fileName);
        try (SafetensorsWriter w = SafetensorsWriter.create(p, specs, Map.of())) {
            w.write(MemorySegment.ofArray(new byte[tensors.length]));
            w.commit();
        }
        return p;
    }

    private Path index(String weightMapJson) throws IOException {
        return Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":3},\"weight_map\":{" + weightMapJson + "}}");
    }

    private static MalformedFileException malformed(Path open) {
        MalformedFileException e = catchThrowableOfType(MalformedFileException.class, () -> SafetensorsReader.open(open).close());
        assertThat(e).as("MalformedFileException opening " + open).isNotNull();
        return e;
    }

    @Test
    void indexIsPreferredAndShardsReadInNameOrder() throws IOException {
        shard("model-00002-of-00002.safetensors", "c");
        shard("model-00001-of-00002.safetensors", "a", "b");
        shard("unrelated.safetensors", "zzz");
        index("\"c\":\"model-00002-of-00002.safetensors\",\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00001-of-00002.safetensors\"");
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).extracting(TensorView::name).containsExactly("a", "b", "c");
            assertThat(m.path()).isEqualTo(dir);
            assertThat(m.index().orElseThrow().metadata()).containsEntry("total_size", 3);
        }
    }

    @Test
    void missingShardNamesIndexAndShard() throws IOException {
        shard("model-00001-of-00003.safetensors", "a");
        Path idx = index("\"a\":\"model-00001-of-00003.safetensors\",\"b\":\"model-00002-of-00003.safetensors\","
                + "\"c\":\"model-00003-of-00003.safetensors\"");
        MalformedFileException e = malformed(idx);
        assertThat(e.file()).isEqualTo(idx);
        assertThat(e.tensor()).isEqualTo("b");
        assertThat(e.getMessage()).isEqualTo(idx + ": tensor 'b': missing shard 'model-00002-of-00003.safetensors'"
                + " named by the index (2 of 3 shards are missing)");
    }

    @Test
    void shardNamesMustStayInTheFolder() throws IOException {
        Path idx = index("\"a\":\"../outside.safetensors\"");
        assertThat(malformed(idx).getMessage())
                .isEqualTo(idx + ": tensor 'a': shard name '../outside.safetensors' escapes the index's folder");
        Path abs = index("\"a\":\"/etc/passwd\"");
        assertThat(malformed(abs).getMessage()).isEqualTo(
                abs + ": tensor 'a': shard name '/etc/passwd' must be a file name relative to the index's folder");
        Path sneaky = index("\"a\":\"sub/../../x.safetensors\"");
        assertThat(malformed(sneaky).getMessage()).contains("escapes the index's folder");
    }

    @Test
    void tensorListedButNotInItsShard() throws IOException {
        shard("s1.safetensors", "a");
        Path idx = index("\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"");
        MalformedFileException e = malformed(idx);
        assertThat(e.getMessage()).isEqualTo(idx + ": tensor 'b': the index maps this tensor to shard 's1.safetensors',"
                + " which does not contain it");
    }

    @Test
    void tensorInShardButMappedElsewhere() throws IOException {
        Path s1 = shard("s1.safetensors", "a", "b");
        shard("s2.safetensors", "c");
        Path idx = index("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":\"s2.safetensors\"");
        MalformedFileException e = malformed(idx);
        assertThat(e.file()).isEqualTo(idx.toAbsolutePath().getParent().resolve("s1.safetensors"));
        assertThat(e.tensor()).isEqualTo("b");
        assertThat(e.offset()).isPositive();
        assertThat(e.getMessage()).endsWith(": tensor is in shard 's1.safetensors' but the index " + idx
                + " maps it to shard 's2.safetensors'");
        assertThat(s1).exists();
    }

    @Test
    void tensorInShardButNotInIndex() throws IOException {
        shard("s1.safetensors", "a", "extra");
        Path idx = index("\"a\":\"s1.safetensors\"");
        MalformedFileException e = malformed(idx);
        assertThat(e.tensor()).isEqualTo("extra");
        assertThat(e.getMessage()).endsWith(": tensor is not listed in the index " + idx);
    }

    @Test
    void indexStructureChecked() throws IOException {
        Path noMap = Files.writeString(dir.resolve("a.safetensors.index.json"), "{\"metadata\":{}}");
        assertThat(malformed(noMap).getMessage()).isEqualTo(noMap + ": index has no \"weight_map\" object");
        Path dup = Files.writeString(dir.resolve("b.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"x.safetensors\",\"a\":\"y.safetensors\"}}");
        assertThat(malformed(dup).getMessage()).contains("index is not valid JSON").contains("Duplicate");
        Path notString = Files.writeString(dir.resolve("c.safetensors.index.json"), "{\"weight_map\":{\"a\":1}}");
        assertThat(malformed(notString).getMessage())
                .isEqualTo(notString + ": tensor 'a': weight_map value must be a shard file name");
    }

    @Test
    void singleFileFolder() throws IOException {
        shard("only.safetensors", "x");
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).extracting(TensorView::name).containsExactly("x");
            assertThat(m.index()).isEmpty();
        }
    }

    @Test
    void severalFilesWithoutIndexReadAsOneModel() throws IOException {
        shard("b.safetensors", "y");
        shard("a.safetensors", "x");
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).extracting(TensorView::name).containsExactly("x", "y");
            assertThat(m.files()).extracting(p -> p.getFileName().toString()).containsExactly("a.safetensors", "b.safetensors");
        }
    }

    @Test
    void duplicateNamesAcrossFilesRejected() throws IOException {
        shard("a.safetensors", "x");
        Path b = shard("b.safetensors", "x");
        MalformedFileException e = malformed(dir);
        assertThat(e.file()).isEqualTo(b);
        assertThat(e.tensor()).isEqualTo("x");
        assertThat(e.getMessage()).endsWith("tensor name also used in " + dir.resolve("a.safetensors")
                + " (files without an index must not share names)");
    }

    @Test
    void emptyFolderAndAmbiguousIndexes() throws IOException {
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("no .safetensors files or index");
        assertThatThrownBy(() -> SafetensorsReader.open(dir.resolve("nope.safetensors"))).isInstanceOf(NoSuchFileException.class);
        Files.writeString(dir.resolve("a.safetensors.index.json"), "{\"weight_map\":{}}");
        Files.writeString(dir.resolve("b.safetensors.index.json"), "{\"weight_map\":{}}");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("several index files");
    }

    @Test
    void indexFormatEscapesLikePython() {
        String json = new String(ShardIndex.format(5, Map.of("é\"x", "s.safetensors")), java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(json).contains("\"\\u00e9\\\"x\": \"s.safetensors\"");
        assertThat(new String(ShardIndex.format(0, Map.of()), java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("{\n  \"metadata\": {\n    \"total_size\": 0\n  },\n  \"weight_map\": {}\n}\n");
    }
}
