package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact bytes of a tiny file, computed by hand from gguf.md §1.1/1.3. */
class GgufByteLayoutTest {
    @TempDir
    Path dir;

    @Test
    void tinyFileHasExactlyTheExpectedBytes() throws IOException {
        Path out = dir.resolve("tiny.gguf");
        GgufMetadata meta = new GgufMetadata().putUint32("k", 5);
        try (GgufWriter w = GgufWriter.create(out, meta, List.of(new TensorSpec("t", new long[] {3}, DType.F32)),
                WriterOptions.defaults())) {
            w.write(MemorySegment.ofArray(new float[] {1f, 2f, 3f}));
            w.commit();
        }
        String expected = String.join("",
                "47475546",                         // 0:  magic "GGUF"
                "03000000",                         // 4:  version 3
                "0100000000000000",                 // 8:  n_tensors 1
                "0100000000000000",                 // 16: n_kv 1
                "0100000000000000", "6b",           // 24: key length 1, "k"
                "04000000",                         // 33: type UINT32
                "05000000",                         // 37: value 5
                "0100000000000000", "74",           // 41: tensor name length 1, "t"
                "01000000",                         // 50: n_dims 1
                "0300000000000000",                 // 54: ne[0] = 3
                "00000000",                         // 62: type F32 (0)
                "0000000000000000",                 // 66: offset 0
                "00".repeat(96 - 74),               // 74: padding to 96
                "0000803f", "00000040", "00004040", // 96: data 1.0f 2.0f 3.0f
                "00".repeat(128 - 108));            // 108: padding after the last tensor, to 128
        assertThat(HexFormat.of().formatHex(Files.readAllBytes(out))).isEqualTo(expected);
    }

    @Test
    void splitShardHeaderCarriesTheThreeSplitKeysWithGgufSplitTypes() throws IOException {
        Path prefix = dir.resolve("m");
        try (GgufWriter w = GgufWriter.createSplit(prefix, new GgufMetadata(), List.of(), WriterOptions.defaults(),
                0, 0)) {
            w.commit();
        }
        byte[] bytes = Files.readAllBytes(dir.resolve("m-00001-of-00001.gguf"));
        String expected = String.join("",
                "47475546", "03000000", "0000000000000000", "0300000000000000",
                "0800000000000000", HexFormat.of().formatHex("split.no".getBytes()), "02000000", "0000",
                "0b00000000000000", HexFormat.of().formatHex("split.count".getBytes()), "02000000", "0100",
                "1300000000000000", HexFormat.of().formatHex("split.tensors.count".getBytes()), "05000000",
                "00000000");
        int headerLength = expected.length() / 2;
        String padding = "00".repeat((32 - headerLength % 32) % 32);
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(expected + padding);
    }
}
