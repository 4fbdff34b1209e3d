package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temp files, commit/close, the streaming contract's errors, and what the writer refuses. */
class GgufWriterContractTest {
    @TempDir
    Path dir;

    private static final List<TensorSpec> TWO = List.of(new TensorSpec("a", new long[] {2}, DType.F32),
            new TensorSpec("b", new long[] {3}, DType.F16));

    private List<String> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void nothingAppearsAtTheTargetBeforeCommitAndTheTempFileIsRenamed() throws IOException {
        Path out = dir.resolve("m.gguf");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata(), TWO, WriterOptions.defaults())) {
            w.write(MemorySegment.ofArray(new byte[14]));
            assertThat(out).doesNotExist();
            assertThat(dirListing()).singleElement().satisfies(n -> assertThat(n).startsWith(".m.gguf.").endsWith(".tmp"));
            w.commit();
        }
        assertThat(dirListing()).containsExactly("m.gguf");
    }

    @Test
    void closeWithoutCommitDeletesTheTempFileAndLeavesAnExistingOutputUntouched() throws IOException {
        Path out = dir.resolve("m.gguf");
        Files.writeString(out, "previous output");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata(), TWO, WriterOptions.defaults())) {
            w.write(MemorySegment.ofArray(new byte[5]));
        }
        assertThat(dirListing()).containsExactly("m.gguf");
        assertThat(Files.readString(out)).isEqualTo("previous output");
    }

    @Test
    void abandonedSplitDeletesEveryShardTempFile() throws IOException {
        try (GgufWriter w = GgufWriter.createSplit(dir.resolve("s"), new GgufMetadata(), TWO,
                WriterOptions.defaults(), 0, 1)) {
            assertThat(dirListing()).hasSize(2);
            w.write(MemorySegment.ofArray(new byte[9]));
        }
        assertThat(dirListing()).isEmpty();
    }

    @Test
    void commitReplacesAnExistingOutput() throws IOException {
        Path out = dir.resolve("m.gguf");
        Files.writeString(out, "previous output");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata(), List.of(), WriterOptions.defaults())) {
            w.commit();
        }
        try (GgufModel m = GgufReader.open(out)) {
            assertThat(m.tensors()).isEmpty();
        }
    }

    @Test
    void tooManyBytesAreRefused() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(), TWO,
                WriterOptions.defaults())) {
            assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[15])))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("1 bytes more than the 2 tensors");
        }
    }

    @Test
    void commitWithMissingBytesNamesTheTensor() throws IOException {
        Path out = dir.resolve("m.gguf");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata(), TWO, WriterOptions.defaults())) {
            w.write(MemorySegment.ofArray(new byte[10]));
            assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tensor 'b' has 2 of 6 bytes");
        }
        assertThat(out).doesNotExist();
        assertThat(dirListing()).isEmpty();
    }

    @Test
    void nonGgmlTypesAreRefused() {
        assertThatThrownBy(() -> GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(),
                List.of(new TensorSpec("x", new long[] {4}, DType.F8_E4M3)), WriterOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F8_E4M3 cannot be stored in GGUF");
    }

    @Test
    void invalidSpecsAreRefusedBeforeAnyFileIsCreated() throws IOException {
        assertThatThrownBy(() -> GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(),
                List.of(new TensorSpec("x", new long[] {2, 48}, DType.Q8_0)), WriterOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row length 48 is not a multiple");
        assertThatThrownBy(() -> GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(),
                List.of(new TensorSpec("x", new long[] {1, 1, 1, 1, 1}, DType.F32)), WriterOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 4");
        assertThatThrownBy(() -> GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(),
                List.of(TWO.get(0), TWO.get(0)), WriterOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor name 'a'");
        assertThat(dirListing()).isEmpty();
    }

    @Test
    void namesOver63BytesNeedTheComfyUiOptionAndTriggerTheWarningHook() throws IOException {
        String longName = "model.diffusion_model.double_blocks.0.img_attn.proj.weight.extra.suffix.xx"; // 74 bytes
        List<TensorSpec> specs = List.of(new TensorSpec(longName, new long[] {1}, DType.F32));
        assertThatThrownBy(() -> GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(), specs,
                WriterOptions.defaults())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is 74 bytes, longer than 63").hasMessageContaining("comfyUi");
        List<String> warnings = new ArrayList<>();
        Path out = dir.resolve("comfy.gguf");
        try (GgufWriter w = GgufWriter.create(out, new GgufMetadata().putString("general.architecture", "flux"),
                specs, WriterOptions.comfyUi(warnings::add))) {
            w.write(MemorySegment.ofArray(new float[] {1}));
            w.commit();
        }
        assertThat(warnings).singleElement().asString().contains(longName).contains("llama.cpp");
        assertThatThrownBy(() -> GgufReader.open(out)).hasMessageContaining("longer than the limit of 63");
        try (GgufModel m = GgufReader.open(out, ReaderOptions.comfyUi())) {
            assertThat(m.tensors().getFirst().name()).isEqualTo(longName);
        }
    }

    @Test
    void metadataRefusesEmptyKeysAndNestedArrays() {
        assertThatThrownBy(() -> new GgufMetadata().putString("", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-empty");
        assertThatThrownBy(() -> GgufValue.array(GgufValueType.ARRAY, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested");
        assertThatThrownBy(() -> GgufValue.array(GgufValueType.INT32, List.of(1L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected Integer");
        assertThatThrownBy(() -> GgufValue.uint8(256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GgufValue.uint32(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GgufMetadata().putUint32("k", 1).getString("k"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'k' is UINT32, not STRING");
        assertThatThrownBy(() -> WriterOptions.defaults().withAlignment(48)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WriterOptions.defaults().withMaxNameLength(128))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writingAfterCommitIsAnError() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("m.gguf"), new GgufMetadata(), List.of(),
                WriterOptions.defaults())) {
            w.commit();
            assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[1])))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already committed");
        }
    }
}
