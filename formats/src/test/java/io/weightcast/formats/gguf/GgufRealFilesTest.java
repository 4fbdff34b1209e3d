package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Files written by other tools: bundled ones always, the shared ones when {@code ../shared} is present. */
class GgufRealFilesTest {

    // ---- bundled (always run) ---------------------------------------------------------------------------------

    @Test
    void bundledTinyLlamaV3() throws IOException {
        try (GgufModel m = GgufReader.open(GgufTestFiles.resource("tiny-llama.gguf"))) {
            assertThat(m.format()).isEqualTo("gguf");
            assertThat(m.version()).isEqualTo(3);
            assertThat(m.metadata()).hasSize(26);
            assertThat(m.ggufMetadata().keys().getFirst()).isEqualTo("general.architecture");
            assertThat(m.ggufMetadata().getUint32("llama.embedding_length")).contains(32L);
            assertThat(m.ggufMetadata().getStringArray("tokenizer.ggml.tokens").orElseThrow())
                    .hasSize(32).startsWith("<unk>", "<s>", "</s>", "<0x00>");
            assertThat(m.headers().getFirst().dataStart()).isEqualTo(2528);
            assertThat(m.tensors()).hasSize(12);
            TensorView ffnDown = m.tensor("blk.0.ffn_down.weight").orElseThrow();
            assertThat(ffnDown.shape()).containsExactly(32, 64); // ne = [64, 32]
            assertThat(ffnDown.dtype()).isEqualTo(DType.F16);
            assertThat(ffnDown.fileOffset()).isEqualTo(2528 + 4224);
            assertThat(ffnDown.byteSize()).isEqualTo(4096);
            assertThat(m.tensorInfos().get(3).ne()).containsExactly(64, 32);
            TensorView last = m.tensors().getLast();
            assertThat(last.fileOffset() + last.byteSize()).isEqualTo(27488);
        }
    }

    @Test
    void bundledVocabOnlyFileWithoutTrailingPadding() throws IOException {
        Path f = GgufTestFiles.resource("ggml-vocab-bert-bge.gguf");
        assertThat(Files.size(f)).isEqualTo(627549); // not a multiple of 32
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.tensors()).isEmpty();
            assertThat(m.metadata()).hasSize(20);
            assertThat(m.ggufMetadata().getStringArray("tokenizer.ggml.tokens").orElseThrow())
                    .hasSize(30522).startsWith("[PAD]", "[unused0]");
            assertThat(m.ggufMetadata().getBool("bert.attention.causal")).contains(false);
            assertThat(m.ggufMetadata().getLong("tokenizer.ggml.cls_token_id")).contains(101L);
            assertThat((List<?>) m.metadata().get("tokenizer.ggml.token_type")).hasSize(30522);
        }
    }

    // ---- shared (skipped when absent) -------------------------------------------------------------------------

    private static Path real() {
        var dir = GgufTestFiles.sharedReal();
        assumeTrue(dir.isPresent(), "shared/testdata/real is not present");
        return dir.get();
    }

    @TestFactory
    Stream<DynamicTest> everySharedGgufOpensAndListsItsTensors() throws IOException {
        Path real = real();
        List<Path> files;
        try (Stream<Path> s = Files.walk(real)) {
            files = s.filter(p -> p.toString().endsWith(".gguf"))
                    .filter(p -> !p.toString().contains("negative-corrupted-vocab")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(9);
        return files.stream().map(f -> DynamicTest.dynamicTest(real.relativize(f).toString(), () -> {
            try (GgufModel m = GgufReader.open(f)) {
                assertThat(m.metadata()).containsKey("general.architecture");
                long size = Files.size(f);
                for (TensorView t : m.tensors()) {
                    assertThat(t.fileOffset() + t.byteSize()).isLessThanOrEqualTo(size);
                    assertThat(t.byteSize()).isEqualTo(t.dtype().byteSize(t.elementCount()));
                }
                if (m.tensors().isEmpty()) {
                    assertThat(m.metadata()).containsKey("tokenizer.ggml.tokens");
                }
            }
        }));
    }

    @Test
    void ggufV1Stories260K() throws IOException {
        Path f = real().resolve("llama4j-gguf-v1/tinyllamas-stories-260k-f32.gguf");
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.version()).isEqualTo(1);
            assertThat(m.metadata()).hasSize(18);
            assertThat(m.ggufMetadata().getString("llama.tensor_data_layout")).contains("Meta AI original pth");
            assertThat(m.ggufMetadata().getStringArray("tokenizer.ggml.tokens").orElseThrow()).hasSize(512);
            assertThat(m.tensors()).hasSize(48);
            assertThat(m.headers().getFirst().dataStart()).isEqualTo(11456);
            assertThat(m.tensor("blk.0.ffn_down.weight").orElseThrow().shape()).containsExactly(64, 172);
            assertThat(m.tensors().getLast().name()).isEqualTo("output.weight");
        }
    }

    @Test
    void v1AndV3CopiesOfStories260KHoldIdenticalTensorData() throws IOException {
        Path v1 = real().resolve("llama4j-gguf-v1/tinyllamas-stories-260k-f32.gguf");
        Path v3 = real().resolve("python-gen-worker-stories260K/stories260K.gguf");
        try (GgufModel a = GgufReader.open(v1); GgufModel b = GgufReader.open(v3)) {
            assertThat(b.version()).isEqualTo(3);
            assertThat(b.ggufMetadata().getUint32("tokenizer.ggml.padding_token_id")).contains(0xFFFF_FFFFL);
            for (TensorView t : a.tensors()) {
                TensorView u = b.tensor(t.name()).orElseThrow();
                assertThat(u.shape()).isEqualTo(t.shape());
                assertThat(u.data().mismatch(t.data())).as(t.name()).isEqualTo(-1);
            }
        }
    }

    @Test
    void ggufV2Q8WithBlocksStraddlingRows() throws IOException {
        Path f = real().resolve("llama4j-stories260k-q8_0/tinyllamas-stories-260k-q8_0.gguf");
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.version()).isEqualTo(2);
            GgufTensorInfo down = m.tensorInfos().stream().filter(t -> t.name().equals("blk.0.ffn_down.weight"))
                    .findFirst().orElseThrow();
            assertThat(down.ne()).containsExactly(172, 64);
            assertThat(down.type()).isEqualTo(DType.Q8_0);
            assertThat(down.byteSize()).isEqualTo(11696);
            assertThat(down.blocksStraddleRows()).isTrue();
            assertThat(m.tensorInfos().getFirst().blocksStraddleRows()).isFalse();
            // first Q8_0 block of token_embd: an fp16 scale then 32 int8 quants; the scale is a small finite value
            TensorView embd = m.tensors().getFirst();
            short d = embd.data().get(MappedFile.I16, 0);
            assertThat(Float.float16ToFloat(d)).isFinite().isBetween(-1f, 1f);
        }
        assertThatThrownBy(() -> GgufReader.open(f, ReaderOptions.defaults().withLegacyFlatBlocks(false)))
                .isInstanceOf(MalformedFileException.class)
                .hasMessageContaining("tensor 'blk.0.ffn_down.weight'")
                .hasMessageContaining("ne[0] = 172 elements per row is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void ollamaTinyRandomWithFullLlama2Vocab() throws IOException {
        Path f = real().resolve("ollama-llama-2-tiny-random/llama-2-tiny-random.gguf");
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.ggufMetadata().getFloat32Array("tokenizer.ggml.scores").orElseThrow()).hasSize(32000);
            assertThat(m.tensors()).hasSize(12);
            assertThat(m.tensor("output.weight").orElseThrow().shape()).containsExactly(32000, 8);
            assertThat(m.headers().getFirst().dataStart()).isEqualTo(724416);
        }
    }

    @Test
    void corruptedVocabIsRejectedAtTheBogusLength() throws IOException {
        Path f = real().resolve("negative-corrupted-vocab/ggml-vocab-llama-spm.corrupted.gguf");
        assertThatThrownBy(() -> GgufReader.open(f)).isInstanceOf(MalformedFileException.class)
                .hasMessageStartingWith(f.toString())
                .hasMessageMatching("(?s).*length \\d{10,} exceeds .*")
                .hasMessageContaining("key of KV pair 9 length 73939795391 exceeds GGUF_MAX_STRING_LENGTH")
                .satisfies(e -> {
                    MalformedFileException m = (MalformedFileException) e;
                    assertThat(m.offset()).isBetween(24L, Files.size(f));
                    assertThat(m.tensor()).isNull();
                });
    }
}
