package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Write → read of every safetensors dtype, and headers formatted exactly as the reference writer formats them. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    /** Shapes that fill whole bytes for every dtype, F6's 4-in-3 packing included. */
    private static List<TensorSpec> everyDtype() {
        List<TensorSpec> specs = new ArrayList<>();
        for (DType t : DType.values()) {
            if (t.isSafetensors()) {
                specs.add(new TensorSpec("t." + t.name().toLowerCase(), new long[] {2, 4}, t));
            }
        }
        specs.add(new TensorSpec("scalar", new long[0], DType.F64));
        specs.add(new TensorSpec("empty", new long[] {0, 3}, DType.F32));
        return specs;
    }

    private static byte[] randomBytes(long n, long seed) {
        byte[] b = new byte[Math.toIntExact(n)];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void everyDtypeRoundTrips() throws IOException {
        List<TensorSpec> specs = everyDtype();
        assertThat(specs).extracting(TensorSpec::dtype).contains(DType.F4, DType.F6_E2M3, DType.F6_E3M2,
                DType.F8_E8M0, DType.F8_E4M3FNUZ, DType.C64, DType.BOOL, DType.U64);
        Map<String, byte[]> data = new LinkedHashMap<>();
        Path out = dir.resolve("all.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                byte[] b = randomBytes(s.byteSize(), s.name().hashCode());
                data.put(s.name(), b);
                w.write(MemorySegment.ofArray(b));
            }
            w.commit();
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(m.format()).isEqualTo("safetensors");
            assertThat(m.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(m.tensors()).extracting(TensorView::spec).containsExactlyElementsOf(specs);
            for (TensorView v : m.tensors()) {
                assertThat(v.data().toArray(ValueLayout.JAVA_BYTE)).as(v.name()).isEqualTo(data.get(v.name()));
            }
            assertThat(m.tensor("t.f4").orElseThrow().byteSize()).isEqualTo(4);
            assertThat(m.tensor("t.f6_e2m3").orElseThrow().byteSize()).isEqualTo(6);
            assertThat(m.tensor("t.c64").orElseThrow().byteSize()).isEqualTo(64);
            SafetensorsHeader h = m.headers().getFirst();
            assertThat(h.headerLength() % 8).isZero();
            assertThat(h.dataStart() % 8).isZero();
        }
    }

    @Test
    void headerFormattedLikeThePythonLibrary() throws IOException {
        // What safetensors (Rust serde_json behind the Python package) writes for these inputs, given the order
        // it would choose for them (F32 before I8: descending alignment, then name), padded to 152 bytes.
        String expected = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\\\"\\u0001é\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[24,25]}}";
        List<TensorSpec> specs = List.of(new TensorSpec("a", new long[] {2, 3}, DType.F32),
                new TensorSpec("b\"\u0001é", new long[0], DType.I8));
        Path out = dir.resolve("h.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, specs, Map.of("format", "pt"))) {
            w.write(MemorySegment.ofArray(new byte[25]));
            w.commit();
        }
        byte[] file = Files.readAllBytes(out);
        long n = MemorySegment.ofArray(file).get(MappedFile.I64, 0);
        int jsonBytes = expected.getBytes(StandardCharsets.UTF_8).length;
        assertThat(n).isEqualTo((jsonBytes + 7) / 8 * 8);
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).isEqualTo(expected + " ".repeat((int) n - jsonBytes));
        assertThat(file).hasSize(8 + (int) n + 25);
    }

    @Test
    void emptyMetadataIsOmittedAndEmptyModelIsValid() throws IOException {
        Path out = dir.resolve("empty.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, List.of(), Map.of())) {
            w.commit();
        }
        byte[] file = Files.readAllBytes(out);
        assertThat(new String(file, 8, file.length - 8, StandardCharsets.UTF_8)).isEqualTo("{}      ");
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertThat(m.tensors()).isEmpty();
            assertThat(m.metadata()).isEmpty();
        }
    }

    /**
     * The bundled sample was written by transformers through the Python safetensors 0.8.0 library. Writing each
     * shard's tensors again, in its order and with its metadata, must give the very same bytes.
     */
    @Test
    void rewritingTheSampleShardsGivesIdenticalFiles() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.sample())) {
            assertThat(m.files()).hasSize(10);
            for (SafetensorsHeader h : m.headers()) {
                List<TensorView> views = m.tensors().stream().filter(v -> v.file().equals(h.file())).toList();
                Path out = dir.resolve(h.file().getFileName());
                Map<String, String> meta = new LinkedHashMap<>();
                h.metadata().forEach((k, v) -> meta.put(k, (String) v));
                try (SafetensorsWriter w = SafetensorsWriter.create(out, views.stream().map(TensorView::spec).toList(), meta)) {
                    for (TensorView v : views) {
                        w.write(v.data());
                    }
                    w.commit();
                }
                assertThat(Files.readAllBytes(out)).as(h.file().toString()).isEqualTo(Files.readAllBytes(h.file()));
            }
        }
    }

    @Test
    void heapSegmentsOfOtherArraysAreWrittenAsLittleEndianBytes() throws IOException {
        float[] values = {1.5f, -2f, 3.25f};
        Path out = dir.resolve("f.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(out, List.of(new TensorSpec("x", new long[] {3}, DType.F32)), Map.of())) {
            w.write(MemorySegment.ofArray(values));
            w.commit();
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            MemorySegment d = m.tensor("x").orElseThrow().data();
            float[] back = new float[3];
            for (int i = 0; i < 3; i++) {
                back[i] = d.get(MappedFile.F32, 4L * i);
            }
            assertThat(back).containsExactly(values);
        }
    }

    @Test
    void rejectsSpecsSafetensorsCannotHold() {
        Path out = dir.resolve("x.safetensors");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafetensorsWriter.create(out,
                        List.of(new TensorSpec("q", new long[] {32}, DType.Q8_0)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot store Q8_0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafetensorsWriter.create(out,
                        List.of(new TensorSpec("f", new long[] {3}, DType.F4)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("f[3]: ");
        TensorSpec a = new TensorSpec("a", new long[] {1}, DType.U8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafetensorsWriter.create(out, List.of(a, a), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved or repeated");
        assertThat(Files.exists(out)).isFalse();
        assertThat(Arrays.asList(dir.toFile().list())).isEmpty();
    }
}
