package io.weightcast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.tensor.TensorView;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert on the bundled HF sample: architecture mapping, --outtype, --vocab-from, verify with names mapped back. */
class HfGgufCliTest {
    @TempDir
    Path tmp;

    @Test
    void outtypeQ8_0MapsNamesAndVerifyMapsThemBack() throws Exception {
        Path out = tmp.resolve("m.gguf");
        CliRun r = CliRun.of("convert", CliRun.sampleModel(), "-o", out, "--outtype", "q8_0", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufModel g = GgufReader.open(out)) {
            var kv = g.metadataWithoutSplitKeys();
            assertThat(kv.keys().get(0)).isEqualTo("general.architecture");
            assertThat(kv.getString("general.architecture")).contains("llama");
            assertThat(kv.getUint32("general.file_type")).contains(7L);
            assertThat(kv.getString("tokenizer.ggml.model")).contains("llama");
            assertThat(g.tensors().stream().map(TensorView::name)).contains("token_embd.weight", "output.weight",
                    "blk.1.attn_q.weight", "output_norm.weight").noneMatch(n -> n.startsWith("model."));
        }
        CliRun v = CliRun.of("verify", CliRun.sampleModel(), out, "--max-rel-rmse", "0.01");
        assertThat(v.exitCode()).as(v.out() + v.err()).isZero();
        assertThat(v.out()).contains("model.layers.0.self_attn.q_proj.weight");
    }

    @Test
    void checkpointWithoutTokenizerSaysSoAndTakesVocabFromGguf() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("no-tokenizer"));
        try (var files = Files.list(CliRun.sampleModel())) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.endsWith(".safetensors") || n.endsWith(".index.json") || n.equals("config.json")) {
                    Files.copy(f, copy.resolve(n));
                }
            }
        }
        CliRun bare = CliRun.of("convert", copy, "-o", tmp.resolve("bare.gguf"), "-q");
        assertThat(bare.exitCode()).isZero();
        assertThat(bare.err()).contains("ships no tokenizer").contains("--vocab-from");

        Path vocabSource = tmp.resolve("with-vocab.gguf");
        assertThat(CliRun.of("convert", CliRun.sampleModel(), "-o", vocabSource, "-q").exitCode()).isZero();
        Path out = tmp.resolve("vocab-from.gguf");
        CliRun r = CliRun.of("convert", copy, "-o", out, "--vocab-from", vocabSource, "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (GgufModel g = GgufReader.open(out); GgufModel src = GgufReader.open(vocabSource)) {
            assertThat(g.metadataWithoutSplitKeys().get("tokenizer.ggml.tokens"))
                    .isEqualTo(src.metadataWithoutSplitKeys().get("tokenizer.ggml.tokens"));
        }
    }

    @Test
    void keepNamesAndBadOuttype() {
        Path out = tmp.resolve("k.gguf");
        assertThat(CliRun.of("convert", CliRun.sampleModel(), "-o", out, "--keep-names", "-q").exitCode()).isZero();
        CliRun bad = CliRun.of("convert", CliRun.sampleModel(), "-o", out, "--outtype", "q4_0");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--outtype must be");
    }
}
