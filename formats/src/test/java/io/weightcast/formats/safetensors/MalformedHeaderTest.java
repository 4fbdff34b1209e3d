package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every structural rule of a safetensors header, each failing with file, tensor and byte offset named. */
class MalformedHeaderTest {
    @TempDir
    Path dir;

    /** Opens {@code file}, expecting the exact message MalformedFileException builds from these parts. */
    private static MalformedFileException assertMalformed(Path file, String tensor, long offset, String problem) {
        MalformedFileException e = catchThrowableOfType(MalformedFileException.class,
                () -> SafetensorsReader.open(file).close());
        assertThat(e).as("expected a MalformedFileException for " + file).isNotNull();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.tensor()).isEqualTo(tensor);
        assertThat(e.offset()).isEqualTo(offset);
        String where = (tensor == null ? "" : ": tensor '" + tensor + "'") + (offset >= 0 ? " at byte offset " + offset : "");
        assertThat(e.getMessage()).isEqualTo(file + where + ": " + problem);
        return e;
    }

    private Path file(String json, int dataBytes) throws IOException {
        return TestFiles.raw(dir.resolve("t.safetensors"), json, new byte[dataBytes]);
    }

    /** The file offset of {@code token}'s first occurrence in a header written by {@link #file}. */
    private static long at(String json, String token) {
        int i = json.indexOf(token);
        assertThat(i).as(token).isNotNegative();
        return 8 + json.substring(0, i).getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void fileShorterThanEightBytes() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[5]);
        assertMalformed(f, null, 0, "file is 5 bytes long, shorter than the 8-byte header length prefix");
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        assertMalformed(empty, null, 0, "file is 0 bytes long, shorter than the 8-byte header length prefix");
    }

    @Test
    void headerLengthOverLimit() throws IOException {
        Path f = TestFiles.raw(dir.resolve("big.safetensors"), 100_000_001L, "{}".getBytes(), new byte[0]);
        assertMalformed(f, null, 0, "header length 100000001 exceeds the limit of 100000000 bytes"
                + " (truncated download or Git LFS pointer?)");
        Path huge = TestFiles.raw(dir.resolve("huge.safetensors"), -1L, "{}".getBytes(), new byte[0]);
        assertMalformed(huge, null, 0, "header length 18446744073709551615 exceeds the limit of 100000000 bytes"
                + " (truncated download or Git LFS pointer?)");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        Path f = TestFiles.raw(dir.resolve("t.safetensors"), 100, "{}".getBytes(), new byte[0]);
        assertMalformed(f, null, 0, "header length 100 runs past the end of the file (10 bytes)");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] h = "{\"a\u00ff\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        Path f = TestFiles.raw(dir.resolve("t.safetensors"), h.length, h, new byte[0]);
        assertMalformed(f, null, 8 + 3, "header is not valid UTF-8");
    }

    @Test
    void headerNotJson() throws IOException {
        Path f = file("{\"a\":", 0);
        MalformedFileException e = catchThrowableOfType(MalformedFileException.class, () -> SafetensorsReader.open(f));
        assertThat(e.tensor()).isNull();
        assertThat(e.getMessage()).startsWith(f + " at byte offset ").contains(": header is not valid JSON: ");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertMalformed(file("[1, 2]", 0), null, 8, "header is not a JSON object");
        assertMalformed(file("  \"x\"  ", 0), null, 10, "header is not a JSON object");
    }

    @Test
    void garbageAfterTheObject() throws IOException {
        String json = "{} {}";
        assertMalformed(file(json, 0), null, 11,
                "unexpected content after the header object (only space padding may follow)");
    }

    @Test
    void unknownDtype() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertMalformed(file(json, 4), "w", at(json, "\"F12\""), "unknown dtype 'F12'");
    }

    @Test
    void shapeMustHoldNonNegativeIntegers() throws IOException {
        String neg = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}";
        assertMalformed(file(neg, 4), "w", at(neg, "-1"), "shape value -1 is negative");
        String flt = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}";
        assertMalformed(file(flt, 4), "w", at(flt, "1.5"), "shape must hold non-negative integers, found 1.5");
        String str = "{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}";
        assertMalformed(file(str, 4), "w", at(str, "\"2\""),
                "shape must be an array of non-negative integers, found VALUE_STRING");
        String big = "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}";
        assertMalformed(file(big, 4), "w", at(big, "9999"), "shape value 99999999999999999999 is larger than 2^63-1");
    }

    @Test
    void dataOffsetsMustBeAPair() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}";
        assertMalformed(file(json, 4), "w", at(json, "]}}"),
                "data_offsets must hold exactly 2 integers [begin, end], found 3");
    }

    @Test
    void missingKeyInEntry() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}";
        assertMalformed(file(json, 4), "w", at(json, "{\"dtype\""), "tensor entry has no 'shape'");
    }

    @Test
    void unknownKeyInEntryRejected() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}";
        assertMalformed(file(json, 4), "w", at(json, "\"extra\""),
                "unknown key 'extra' in tensor entry (allowed: dtype, shape, data_offsets)");
    }

    @Test
    void entryNotAnObject() throws IOException {
        String json = "{\"w\":[1]}";
        assertMalformed(file(json, 0), "w", at(json, "[1]"), "tensor entry must be an object, found START_ARRAY");
    }

    @Test
    void duplicateTensorNameRejected() throws IOException {
        String json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        assertMalformed(file(json, 2), "w", at(json, "},\"w\"") + 2, "duplicate key in the header");
    }

    @Test
    void duplicateKeyInsideEntryRejected() throws IOException {
        String json = "{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        assertMalformed(file(json, 1), "w", at(json, ",\"dtype\"") + 1, "duplicate key 'dtype' in tensor entry");
    }

    @Test
    void duplicateMetadataKeyRejected() throws IOException {
        String json = "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}";
        assertMalformed(file(json, 0), null, at(json, ",\"a\"") + 1, "duplicate key 'a' in __metadata__");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        String json = "{\"__metadata__\":{\"a\":1}}";
        assertMalformed(file(json, 0), null, at(json, "1}"),
                "__metadata__ value of 'a' must be a string, found VALUE_NUMBER_INT");
        String arr = "{\"__metadata__\":[\"a\"]}";
        assertMalformed(file(arr, 0), null, at(arr, "["),
                "__metadata__ must be an object of strings or null, found START_ARRAY");
    }

    @Test
    void beginAfterEnd() throws IOException {
        String json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,2]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 4), "w", dataStart + 4, "data_offsets [4, 2] end before they begin");
    }

    @Test
    void endPastDataSection() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 4), "w", dataStart, "data_offsets [0, 8] run past the end of the data section (4 bytes)");
    }

    @Test
    void sizeMustMatchShapeAndDtype() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 20), "w", dataStart,
                "data_offsets [0, 20] span 20 bytes but shape [2, 3] of F32 needs 24");
    }

    @Test
    void subByteTensorsMustFillWholeBytes() throws IOException {
        String f4 = "{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}";
        assertMalformed(file(f4, 2), "w", 8 + f4.length(),
                "shape [3] holds 3 F4 elements, which do not fill whole bytes (2 elements per 1 bytes)");
        String f6 = "{\"w\":{\"dtype\":\"F6_E2M3\",\"shape\":[2,3],\"data_offsets\":[0,5]}}";
        assertMalformed(file(f6, 5), "w", 8 + f6.length(),
                "shape [2, 3] holds 6 F6_E2M3 elements, which do not fill whole bytes (4 elements per 3 bytes)");
    }

    @Test
    void elementCountOverflow() throws IOException {
        String json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}";
        assertMalformed(file(json, 0), "w", 8 + json.length(),
                "shape [4294967296, 4294967296] has more than 2^63-1 elements");
    }

    @Test
    void overlappingTensorsRejected() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 12), "b", dataStart + 4, "data_offsets [4, 12] overlap tensor 'a' at [0, 8]");
    }

    @Test
    void holeBetweenTensorsRejected() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 12), "b", dataStart + 4,
                "4 unused bytes before data_offsets [8, 12], after tensor 'a' (safetensors forbids holes between tensors)");
        String lead = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertMalformed(file(lead, 8), "a", 8 + lead.length(), "4 unused bytes before data_offsets [4, 8], after the"
                + " start of the data section (safetensors forbids holes between tensors)");
    }

    @Test
    void trailingBytesRejected() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        long dataStart = 8 + json.length();
        assertMalformed(file(json, 6), "a", dataStart + 4,
                "2 trailing bytes after the last tensor's data (the data section holds 6 bytes, the tensors 4)");
        assertMalformed(file("{}", 3), null, 10,
                "3 trailing bytes after the last tensor's data (the data section holds 3 bytes, the tensors 0)");
    }

    @Test
    void unorderedOffsetsUnpaddedHeaderZeroSizeAndScalarsAreValid() throws IOException {
        // Offsets out of key order (as MLX writes them), an odd header length, a 0-dim scalar and an empty tensor.
        String json = "{\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[0,7],\"data_offsets\":[16,16]}}";
        assertThat(json.length() % 8).isNotZero();
        try (SafetensorsModel m = SafetensorsReader.open(file(json, 16))) {
            assertThat(m.tensors()).extracting(t -> t.name()).containsExactly("a", "b", "c");
            assertThat(m.tensor("b").orElseThrow().shape()).isEmpty();
            assertThat(m.tensor("a").orElseThrow().fileOffset()).isEqualTo(8 + json.length() + 8);
            assertThat(m.tensor("c").orElseThrow().byteSize()).isZero();
            assertThat(m.metadata()).isEmpty();
        }
    }

    @Test
    void leadingWhitespaceAndEmptyHeaderAreValid() throws IOException {
        try (SafetensorsModel m = SafetensorsReader.open(file("  {}    ", 0))) {
            assertThat(m.tensors()).isEmpty();
        }
    }
}
