package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Files written by other tools: bundled fixtures and the sample always, shared/testdata when present. */
class RealFilesTest {

    @Test
    void bundledSampleReadsAsOneModel() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.sample())) {
            assertThat(m.tensors()).hasSize(m.index().orElseThrow().weightMap().size()).hasSize(21);
            assertThat(m.tensor("model.embed_tokens.weight").orElseThrow().shape()).containsExactly(1024, 256);
            assertThat(m.tensor("model.layers.0.self_attn.k_proj.weight").orElseThrow().shape()).containsExactly(128, 256);
            assertThat(m.tensors()).allMatch(t -> t.dtype() == DType.F32);
            assertThat(m.tensors().getFirst().name()).isEqualTo("model.embed_tokens.weight"); // shard 1 comes first
            assertThat(m.index().orElseThrow().metadata()).containsEntry("total_size", 8393728);
            assertThat(m.tensors().stream().mapToLong(TensorView::byteSize).sum()).isEqualTo(8393728);
            assertThat(m.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void mlxAdapterWithNullMetadataAndUnorderedOffsets() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.fixture("mlx-lm-dpo-adapters.safetensors"))) {
            assertThat(m.metadata()).isEmpty();
            assertThat(m.headers().getFirst().headerLength()).isEqualTo(850);
            assertThat(m.tensors()).hasSize(8);
            TensorView first = m.tensors().getFirst();
            assertThat(first.name()).isEqualTo("model.layers.22.self_attn.q_proj.lora_a");
            assertThat(first.shape()).containsExactly(896, 8);
            assertThat(first.fileOffset()).isEqualTo(858 + 86016);
            assertThat(m.tensor("model.layers.23.self_attn.q_proj.lora_b").orElseThrow().fileOffset()).isEqualTo(858);
        }
    }

    @Test
    void pythonSampleOfNineDtypesWithUnpaddedHeader() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.fixture("hf-samples-overall.safetensors"))) {
            assertThat(m.metadata()).containsExactly(java.util.Map.entry("test", "a"));
            assertThat(m.tensors()).extracting(TensorView::dtype).containsExactly(DType.U8, DType.U16, DType.U32,
                    DType.I8, DType.F64, DType.F16, DType.F32, DType.I16, DType.I32);
            assertThat(m.tensors()).allMatch(t -> t.shape().length == 1 && t.shape()[0] == 6);
            assertThat(m.headers().getFirst().headerLength()).isEqualTo(526);
        }
    }

    @Test
    void burnBoolAndScalars() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.fixture("burn-boolean.safetensors"))) {
            assertThat(m.tensors()).singleElement().satisfies(t -> {
                assertThat(t.dtype()).isEqualTo(DType.BOOL);
                assertThat(t.shape()).containsExactly(3);
            });
        }
        try (SafetensorsModel m = SafetensorsReader.open(TestFiles.fixture("burn-batch_norm2d.safetensors"))) {
            TensorView n = m.tensor("norm1.num_batches_tracked").orElseThrow();
            assertThat(n.shape()).isEmpty();
            assertThat(n.dtype()).isEqualTo(DType.I64);
            assertThat(m.tensors()).hasSize(5);
        }
    }

    static List<Path> sharedSafetensorsFiles() throws IOException {
        Path shared = TestFiles.sharedOrSkip("testdata");
        try (Stream<Path> s = Files.walk(shared)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    /** One test per file; the whole factory is skipped (not failed) where shared/ is absent. */
    @TestFactory
    Stream<DynamicTest> everySharedFileReads() throws IOException {
        List<Path> files = sharedSafetensorsFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(30);
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            try (SafetensorsModel m = SafetensorsReader.open(file)) {
                SafetensorsHeader h = m.headers().getFirst();
                assertThat(h.dataStart() + h.dataSize()).isEqualTo(Files.size(file));
                for (TensorView t : m.tensors()) {
                    assertThat(t.byteSize()).isEqualTo(t.dtype().byteSize(t.elementCount()));
                }
            }
        }));
    }

    @Test
    void sharedShardedF32ModelAndFolderForms() throws IOException {
        Path f32 = TestFiles.sharedOrSkip("testdata/hf/tiny-llama-f32");
        for (Path open : List.of(f32, f32.resolve("model.safetensors.index.json"))) {
            try (SafetensorsModel m = SafetensorsReader.open(open)) {
                assertThat(m.files()).hasSize(10);
                assertThat(m.tensors()).hasSize(21);
                assertThat(m.tensor("lm_head.weight").orElseThrow().shape()).containsExactly(1024, 256);
            }
        }
    }

    @Test
    void sharedBf16AndFp8Models() throws IOException {
        Path hf = TestFiles.sharedOrSkip("testdata/hf");
        try (SafetensorsModel m = SafetensorsReader.open(hf.resolve("tiny-llama-bf16"))) {
            assertThat(m.tensors()).hasSize(21).allMatch(t -> t.dtype() == DType.BF16);
        }
        try (SafetensorsModel m = SafetensorsReader.open(hf.resolve("tiny-llama-fp8"))) {
            assertThat(m.tensors()).anyMatch(t -> t.dtype() == DType.F8_E4M3);
            assertThat(m.tensors()).anyMatch(t -> t.name().endsWith("weight_scale_inv"));
        }
    }

    @Test
    void partialLlamaShardsFailAsAWholeButReadOneByOne() throws IOException {
        Path folder = TestFiles.sharedOrSkip("testdata/real/llama-3.2-3B-partial-shards");
        Path index = folder.resolve("model.safetensors.index.json");
        ShardIndex idx = ShardIndex.read(index);
        assertThat(idx.shardNames()).hasSize(254);
        for (Path open : List.of(folder, index)) {
            MalformedFileException e = catchThrowableOfType(MalformedFileException.class, () -> SafetensorsReader.open(open));
            assertThat(e.file()).isEqualTo(index);
            assertThat(e.getMessage()).contains("missing shard '").contains("243 of 254 shards are missing");
        }
        List<Path> present;
        try (Stream<Path> s = Files.list(folder)) {
            present = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertThat(present).hasSize(11);
        for (Path shard : present) {
            try (SafetensorsModel m = SafetensorsReader.open(shard)) {
                TensorView t = m.tensors().getFirst();
                assertThat(t.dtype()).isEqualTo(DType.BF16);
                assertThat(t.shape()).containsExactly(3072);
                assertThat(shard.getFileName().toString()).contains(t.name());
                assertThat(m.metadata()).containsEntry("format", "pt");
                short first = t.data().get(MappedFile.I16, 0);
                assertThat(Float.intBitsToFloat(first << 16)).isBetween(-10f, 10f).isNotZero();
            }
        }
    }
}
