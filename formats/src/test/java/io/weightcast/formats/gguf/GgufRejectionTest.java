package io.weightcast.formats.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every check of gguf.md §1.4, each with its message. */
class GgufRejectionTest {
    private static final int F32 = 0;
    private static final int Q8_0 = 8;

    @TempDir
    Path dir;

    private Path file(RawGguf g) throws IOException {
        return g.writeTo(dir.resolve("f.gguf"));
    }

    private AbstractThrowableAssert<?, ?> rejected(RawGguf g) throws IOException {
        return rejected(g, ReaderOptions.defaults());
    }

    private AbstractThrowableAssert<?, ?> rejected(RawGguf g, ReaderOptions opts) throws IOException {
        Path f = file(g);
        return assertThatThrownBy(() -> GgufReader.open(f, opts).close())
                .isInstanceOf(MalformedFileException.class)
                .hasMessageStartingWith(f.toString())
                .satisfies(e -> assertThat(((MalformedFileException) e).file()).isEqualTo(f));
    }

    private static long offsetOf(Throwable e) {
        return ((MalformedFileException) e).offset();
    }

    /** One F32 tensor of ne=[8] with its data (32 bytes). */
    private static RawGguf oneTensor(String name, long[] ne, int type) {
        RawGguf g = RawGguf.v3(1, 0).tensor(name, ne, type, 0).pad(32);
        return g.zeros(64);
    }

    // ---- header -----------------------------------------------------------------------------------------------

    @Test
    void badMagic() throws IOException {
        rejected(new RawGguf().raw("GGML").u32(3).u64(0).u64(0)).hasMessageContaining("bad magic \"GGML\"")
                .satisfies(e -> assertThat(offsetOf(e)).isZero());
    }

    @Test
    void tooSmall() throws IOException {
        rejected(new RawGguf().raw("GGU")).hasMessageContaining("too small");
    }

    @Test
    void versionZero() throws IOException {
        rejected(new RawGguf().raw("GGUF").u32(0).u64(0).u64(0)).hasMessageContaining("bad GGUF version 0")
                .satisfies(e -> assertThat(offsetOf(e)).isEqualTo(4));
    }

    @Test
    void byteSwappedVersionIsReportedAsBigEndian() throws IOException {
        rejected(new RawGguf().raw("GGUF").u32(0x03000000).u64(0).u64(0))
                .hasMessageContaining("big-endian file")
                .hasMessageContaining("convert with gguf_convert_endian.py");
    }

    @Test
    void versionTooNew() throws IOException {
        rejected(new RawGguf().raw("GGUF").u32(4).u64(0).u64(0)).hasMessageContaining("GGUF version 4 is newer");
    }

    @Test
    void negativeTensorCount() throws IOException {
        rejected(new RawGguf().raw("GGUF").u32(3).u64(-1).u64(0)).hasMessageContaining("tensor_count")
                .hasMessageContaining("negative").satisfies(e -> assertThat(offsetOf(e)).isEqualTo(8));
    }

    @Test
    void impossibleKvCount() throws IOException {
        rejected(RawGguf.v3(0, 1_000_000)).hasMessageContaining("metadata_kv_count 1000000 is impossible");
    }

    @Test
    void truncatedInsideAValue() throws IOException {
        rejected(RawGguf.v3(0, 1).key("a", 4).u8(1)).hasMessageContaining("unexpected end of file reading value"
                + " of key 'a'").satisfies(e -> assertThat(offsetOf(e)).isEqualTo(24 + 9 + 4));
    }

    // ---- strings, keys, values --------------------------------------------------------------------------------

    @Test
    void stringLongerThanOneGiB() throws IOException {
        rejected(RawGguf.v3(0, 1).u64((1L << 30) + 1).zeros(20)).hasMessageContaining("GGUF_MAX_STRING_LENGTH")
                .satisfies(e -> assertThat(offsetOf(e)).isEqualTo(24));
    }

    @Test
    void stringLongerThanTheBytesLeft() throws IOException {
        rejected(RawGguf.v3(0, 1).u64(100).raw("abc").u32(4).u32(0))
                .hasMessageContaining("length 100 exceeds the 11 bytes left in the file");
    }

    @Test
    void arrayLargerThanTheBytesLeft() throws IOException {
        rejected(RawGguf.v3(0, 1).key("arr", 9).u32(5).u64(1000).zeros(40))
                .hasMessageContaining("key 'arr': array of 1000 INT32 needs at least 4000 bytes");
    }

    @Test
    void stringArrayCountsEightBytesPerElement() throws IOException {
        rejected(RawGguf.v3(0, 1).key("arr", 9).u32(8).u64(10).zeros(79))
                .hasMessageContaining("array of 10 STRING needs at least 80 bytes");
    }

    @Test
    void emptyKey() throws IOException {
        rejected(RawGguf.v3(0, 1).str("").u32(0).u8(1)).hasMessageContaining("empty key");
    }

    @Test
    void duplicateKey() throws IOException {
        rejected(RawGguf.v3(0, 2).kvU32("a", 1).kvU32("a", 2)).hasMessageContaining("duplicate key 'a'")
                .satisfies(e -> assertThat(offsetOf(e)).isEqualTo(24 + 9 + 8));
    }

    @Test
    void invalidValueType() throws IOException {
        rejected(RawGguf.v3(0, 1).key("a", 13).u32(0)).hasMessageContaining("key 'a': invalid value type 13");
    }

    @Test
    void nestedArray() throws IOException {
        rejected(RawGguf.v3(0, 1).key("a", 9).u32(9).u64(0)).hasMessageContaining("nested arrays are not supported");
    }

    @Test
    void invalidArrayElementType() throws IOException {
        rejected(RawGguf.v3(0, 1).key("a", 9).u32(-1).u64(0)).hasMessageContaining("invalid array element type -1");
    }

    @Test
    void alignmentMustBeUint32() throws IOException {
        rejected(RawGguf.v3(0, 1).key("general.alignment", 5).u32(32))
                .hasMessageContaining("general.alignment must be UINT32, is INT32");
    }

    @Test
    void alignmentMustBeAPowerOfTwo() throws IOException {
        rejected(RawGguf.v3(0, 1).kvU32("general.alignment", 48))
                .hasMessageContaining("general.alignment = 48 is not a power of two");
        rejected(RawGguf.v3(0, 1).kvU32("general.alignment", 0))
                .hasMessageContaining("general.alignment = 0 is not a power of two");
    }

    @Test
    void anyNonZeroBoolByteIsTrue() throws IOException {
        Path f = file(RawGguf.v3(0, 1).key("b", 7).u8(2));
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.ggufMetadata().getBool("b")).contains(true);
        }
    }

    // ---- tensor infos -----------------------------------------------------------------------------------------

    @Test
    void tensorNameLongerThan63Bytes() throws IOException {
        String name = "n".repeat(64);
        rejected(oneTensor(name, new long[] {8}, F32))
                .hasMessageContaining("tensor name is 64 bytes, longer than the limit of 63")
                .hasMessageContaining("maxNameLength 127")
                .satisfies(e -> assertThat(((MalformedFileException) e).tensor()).isEqualTo(name));
    }

    @Test
    void comfyUiNamesUpTo127BytesWithTheReaderOption() throws IOException {
        Path f = file(oneTensor("n".repeat(127), new long[] {8}, F32));
        try (GgufModel m = GgufReader.open(f, ReaderOptions.comfyUi())) {
            assertThat(m.tensors().getFirst().name()).hasSize(127);
        }
        rejected(oneTensor("n".repeat(128), new long[] {8}, F32), ReaderOptions.comfyUi())
                .hasMessageContaining("128 bytes, longer than the limit of 127");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        rejected(RawGguf.v3(2, 0).tensor("w", new long[] {8}, F32, 0).tensor("w", new long[] {8}, F32, 32).pad(32)
                .zeros(64)).hasMessageContaining("tensor 'w'").hasMessageContaining("duplicate tensor name");
    }

    @Test
    void tooManyDimensions() throws IOException {
        rejected(oneTensor("w", new long[] {1, 1, 1, 1, 8}, F32)).hasMessageContaining("n_dims = 5 exceeds"
                + " GGML_MAX_DIMS (4)").satisfies(e -> assertThat(offsetOf(e)).isEqualTo(24 + 9));
    }

    @Test
    void negativeDimension() throws IOException {
        rejected(oneTensor("w", new long[] {8, -2}, F32)).hasMessageContaining("ne[1] = -2 is negative");
    }

    @Test
    void elementCountOverflow() throws IOException {
        rejected(oneTensor("w", new long[] {1L << 40, 1L << 40}, F32)).hasMessageContaining("overflows int64");
    }

    @Test
    void unknownAndRemovedTypeIds() throws IOException {
        rejected(oneTensor("w", new long[] {8}, 99)).hasMessageContaining("unknown ggml type id 99");
        rejected(oneTensor("w", new long[] {32}, 4)).hasMessageContaining("ggml type id 4 was removed");
        rejected(oneTensor("w", new long[] {32}, 36)).hasMessageContaining("ggml type id 36 was removed");
    }

    @Test
    void rowsMustBeWholeBlocks() throws IOException {
        rejected(oneTensor("w", new long[] {48, 2}, Q8_0))
                .hasMessageContaining("ne[0] = 48 elements per row is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void legacyV2FilesMayPackBlocksAcrossRows() throws IOException {
        RawGguf g = new RawGguf().raw("GGUF").u32(2).u64(1).u64(0).tensor("w", new long[] {48, 2}, Q8_0, 0)
                .pad(32).zeros(3 * 34);
        Path f = file(g);
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.tensors().getFirst().byteSize()).isEqualTo(3 * 34);
            assertThat(m.tensorInfos().getFirst().blocksStraddleRows()).isTrue();
        }
        rejected(g, ReaderOptions.defaults().withLegacyFlatBlocks(false))
                .hasMessageContaining("not a multiple of the Q8_0 block size");
    }

    @Test
    void offsetsMustBeCanonical() throws IOException {
        rejected(RawGguf.v3(2, 0).tensor("a", new long[] {3}, F32, 0).tensor("b", new long[] {3}, F32, 64).pad(32)
                .zeros(128)).hasMessageContaining("tensor 'b' has offset 64, expected 32");
        rejected(RawGguf.v3(1, 0).tensor("a", new long[] {3}, F32, 32).pad(32).zeros(64))
                .hasMessageContaining("tensor 'a' has offset 32, expected 0");
    }

    @Test
    void offsetsFollowTheCustomAlignment() throws IOException {
        RawGguf ok = RawGguf.v3(2, 1).kvU32("general.alignment", 64).tensor("a", new long[] {3}, F32, 0)
                .tensor("b", new long[] {3}, F32, 64).pad(64).zeros(128);
        try (GgufModel m = GgufReader.open(file(ok))) {
            assertThat(m.tensors().get(1).fileOffset() % 64).isZero();
        }
        rejected(RawGguf.v3(2, 1).kvU32("general.alignment", 64).tensor("a", new long[] {3}, F32, 0)
                .tensor("b", new long[] {3}, F32, 32).pad(64).zeros(128))
                .hasMessageContaining("tensor 'b' has offset 32, expected 64");
    }

    @Test
    void tensorDataMustLieInsideTheFile() throws IOException {
        RawGguf g = RawGguf.v3(1, 0).tensor("w", new long[] {8}, F32, 0).pad(32);
        int dataStart = g.size();
        rejected(g.zeros(31)).hasMessageContaining("tensor 'w'").hasMessageContaining("extends past the end of the"
                + " file (size " + (dataStart + 31) + ")").satisfies(e -> assertThat(offsetOf(e)).isEqualTo(dataStart));
    }

    @Test
    void missingTrailingPaddingOfTheLastTensorIsAccepted() throws IOException {
        Path f = file(RawGguf.v3(1, 0).tensor("w", new long[] {3}, F32, 0).pad(32).zeros(12));
        try (GgufModel m = GgufReader.open(f)) {
            assertThat(m.tensors().getFirst().byteSize()).isEqualTo(12);
        }
    }
}
