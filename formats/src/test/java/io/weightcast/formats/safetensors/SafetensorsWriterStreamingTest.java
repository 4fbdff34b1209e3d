package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
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

/** The TensorSink contract: chunked streaming, byte accounting, and temp-file-then-rename. */
class SafetensorsWriterStreamingTest {
    private static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("a", new long[] {3}, DType.U8),
            new TensorSpec("b", new long[] {2}, DType.F32),
            new TensorSpec("c", new long[] {0}, DType.F32),
            new TensorSpec("d", new long[] {1}, DType.U16));

    @TempDir
    Path dir;

    private static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private List<String> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void chunksMaySplitAndSpanTensors() throws IOException {
        Path out = dir.resolve("m.safetensors");
        byte[] all = bytes(1, 13);
        try (SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(all).asSlice(0, 2));  // half of a
            w.write(MemorySegment.ofArray(all).asSlice(2, 5));  // rest of a, most of b
            w.write(MemorySegment.ofArray(new byte[0]));
            w.write(MemorySegment.ofArray(all).asSlice(7, 6));  // end of b, (empty c), all of d
            w.commit();
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(m.tensor("a").orElseThrow().data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
            assertThat(m.tensor("b").orElseThrow().data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(bytes(4, 8));
            assertThat(m.tensor("d").orElseThrow().data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(12, 13);
        }
        assertThat(folder()).containsExactly("m.safetensors");
    }

    @Test
    void tooManyBytesFailWithoutWritingThem() throws IOException {
        Path out = dir.resolve("m.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(new byte[10]));
            assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[4])))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("too many bytes: 4 more arrived after 10 of 13 announced by the 4 tensor specs");
            w.write(MemorySegment.ofArray(new byte[3]));
            w.commit();
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(Files.size(out)).isEqualTo(8
                    + m.headers().getFirst().headerLength() + 13);
        }
    }

    @Test
    void commitFailsWhenBytesAreMissing() throws IOException {
        Path out = dir.resolve("m.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(new byte[5]));
            assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class)
                    .hasMessage("missing bytes: tensor 'b' has 2 of 8 bytes; 5 of 13 bytes written");
        }
        assertThat(folder()).isEmpty();
    }

    @Test
    void commitReplacesAnExistingFile() throws IOException {
        Path out = Files.writeString(dir.resolve("m.safetensors"), "old");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(new byte[13]));
            assertThat(Files.readString(out)).as("nothing appears before commit").isEqualTo("old");
            assertThat(folder()).hasSize(2).anyMatch(n -> n.startsWith("m.safetensors.tmp-"));
            w.commit();
        }
        assertThat(folder()).containsExactly("m.safetensors");
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(m.tensors()).hasSize(4);
        }
    }

    @Test
    void closeWithoutCommitLeavesTheOldFileAndNoTemporaries() throws IOException {
        Path out = Files.writeString(dir.resolve("m.safetensors"), "old");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(new byte[13]));
        }
        assertThat(Files.readString(out)).isEqualTo("old");
        assertThat(folder()).containsExactly("m.safetensors");
    }

    @Test
    void failureMidStreamLeavesNothingBehind() throws IOException {
        Path out = Files.writeString(dir.resolve("m.safetensors"), "old");
        SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of());
        try (w) {
            w.write(MemorySegment.ofArray(new byte[4]));
            throw new IllegalStateException("conversion failed");
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessage("conversion failed");
        }
        assertThat(Files.readString(out)).isEqualTo("old");
        assertThat(folder()).containsExactly("m.safetensors");
        assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[1]))).isInstanceOf(IllegalStateException.class)
                .hasMessage("writer is closed");
    }

    @Test
    void noWritesAfterCommitAndCloseIsIdempotent() throws IOException {
        Path out = dir.resolve("m.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(out, SPECS, Map.of());
        w.write(MemorySegment.ofArray(new byte[13]));
        w.commit();
        assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[0]))).isInstanceOf(IllegalStateException.class)
                .hasMessage("writer is committed");
        assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
        w.close();
        w.close();
        assertThat(folder()).containsExactly("m.safetensors");
    }

    @Test
    void writesFromAReadOnlyMappedSegment() throws IOException {
        Path src = dir.resolve("src.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(src, SPECS, Map.of())) {
            w.write(MemorySegment.ofArray(bytes(7, 13)));
            w.commit();
        }
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsModel m = SafetensorsReader.open(src);
             SafetensorsWriter w = SafetensorsWriter.create(copy, SPECS, Map.of())) {
            for (var t : m.tensors()) {
                w.write(t.data());
            }
            w.commit();
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(src));
    }
}
