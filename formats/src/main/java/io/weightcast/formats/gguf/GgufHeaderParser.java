package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses and validates everything before a GGUF data section, making every check gguf.cpp's
 * {@code gguf_init_from_file_impl} makes (plus GGUF v1, which gguf.cpp no longer reads):
 *
 * <pre>
 * struct gguf_header_t {
 *     uint32_t magic;              // "GGUF"
 *     uint32_t version;            // 1, 2 or 3
 *     uint64_t tensor_count;       // u32 in v1
 *     uint64_t metadata_kv_count;  // u32 in v1
 *     gguf_metadata_kv_t metadata_kv[metadata_kv_count]; // { gguf_string_t key; gguf_type value_type; value }
 * };
 * gguf_tensor_info_t tensor_infos[tensor_count];
 * uint8_t _padding[];              // to general.alignment (default 32), only when tensor_count > 0
 * uint8_t tensor_data[];           // each tensor at its offset, padded to the alignment
 * </pre>
 */
public final class GgufHeaderParser {
    public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    public static final int MAX_VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;

    private static final int MIN_KV_BYTES_V1 = 4 + 4 + 1;
    private static final int MIN_KV_BYTES = 8 + 4 + 1;
    private static final int MIN_INFO_BYTES_V1 = 4 + 4 + 4 + 8;
    private static final int MIN_INFO_BYTES = 8 + 4 + 4 + 8;

    private final ReaderOptions options;

    public GgufHeaderParser(ReaderOptions options) {
        this.options = options;
    }

    /** Parses the header of {@code file}, mapped as {@code segment}. */
    public GgufHeader parse(Path file, MemorySegment segment) throws MalformedFileException {
        SegmentCursor in = new SegmentCursor(file, segment);
        int version = readMagicAndVersion(in);
        GgufValueReader values = new GgufValueReader(in, version);
        long nTensors = readCount(in, values, "tensor_count", version == 1 ? MIN_INFO_BYTES_V1 : MIN_INFO_BYTES);
        long nKv = readCount(in, values, "metadata_kv_count", version == 1 ? MIN_KV_BYTES_V1 : MIN_KV_BYTES);

        GgufMetadata metadata = new GgufMetadata();
        int alignment = DEFAULT_ALIGNMENT;
        for (long i = 0; i < nKv; i++) {
            long at = in.position();
            String key = values.string("key of KV pair " + i);
            if (key.isEmpty()) {
                throw in.error(null, at, "KV pair " + i + " has an empty key");
            }
            if (metadata.containsKey(key)) {
                throw in.error(null, at, "duplicate key '" + key + "'");
            }
            long typeAt = in.position();
            int typeId = in.i32("value type of key '" + key + "'");
            GgufValueType type = GgufValueType.fromId(typeId).orElseThrow(() -> in.error(null, typeAt,
                    "key '" + key + "': invalid value type " + typeId + " (valid: 0..12)"));
            long valueAt = in.position();
            GgufValue value = values.value(type, key);
            if (key.equals(GgufMetadata.ALIGNMENT)) {
                alignment = checkAlignment(in, value, valueAt);
            }
            metadata.put(key, value);
        }

        List<Long> offsetPositions = new ArrayList<>();
        List<GgufTensorInfo> tensors = readTensorInfos(in, values, version, nTensors, offsetPositions);
        long tensorInfoEnd = in.position();
        long dataStart = nTensors > 0 ? pad(tensorInfoEnd, alignment) : tensorInfoEnd;
        checkOffsetsAndData(in, tensors, offsetPositions, alignment, dataStart);
        return new GgufHeader(file, version, metadata, tensors, alignment, tensorInfoEnd, dataStart);
    }

    private static int readMagicAndVersion(SegmentCursor in) throws MalformedFileException {
        if (in.size() < 8) {
            throw in.error(null, 0, "file is " + in.size() + " bytes, too small for a GGUF header");
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw in.error(null, 0, "bad magic " + describeMagic(magic) + ", expected \"GGUF\"; not a GGUF file");
        }
        long at = in.position();
        int version = in.i32("version");
        if (version == 0) {
            throw in.error(null, at, "bad GGUF version 0");
        }
        if ((version & 0xFFFF) == 0) {
            throw in.error(null, at, "big-endian file (version reads as 0x" + Integer.toHexString(version)
                    + ", i.e. byte-swapped " + Integer.reverseBytes(version)
                    + "); convert with gguf_convert_endian.py");
        }
        if (Integer.compareUnsigned(version, MAX_VERSION) > 0) {
            throw in.error(null, at, "GGUF version " + Integer.toUnsignedString(version)
                    + " is newer than supported (up to " + MAX_VERSION + ")");
        }
        return version;
    }

    private static String describeMagic(int magic) {
        byte[] b = {(byte) magic, (byte) (magic >>> 8), (byte) (magic >>> 16), (byte) (magic >>> 24)};
        StringBuilder sb = new StringBuilder("\"");
        for (byte c : b) {
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xFF));
        }
        return sb.append('"').toString();
    }

    private static long readCount(SegmentCursor in, GgufValueReader values, String what, int minEntryBytes)
            throws MalformedFileException {
        long at = in.position();
        long n = values.count(what);
        if (n < 0) {
            throw in.error(null, at, what + " " + Long.toUnsignedString(n) + " is negative as int64");
        }
        // gguf.cpp bounds the count by SIZE_MAX / sizeof(struct); a count whose smallest possible encoding does not
        // fit in the rest of the file is equally impossible, and checking it keeps allocation bounded.
        if (n > Integer.MAX_VALUE || n * minEntryBytes > in.remaining()) {
            throw in.error(null, at, what + " " + n + " is impossible: " + n + " entries need at least "
                    + n * (long) minEntryBytes + " bytes but only " + in.remaining()
                    + " are left in the file (size " + in.size() + ")");
        }
        return n;
    }

    private static int checkAlignment(SegmentCursor in, GgufValue value, long at) throws MalformedFileException {
        if (value.type() != GgufValueType.UINT32) {
            throw in.error(null, at, "general.alignment must be UINT32, is " + value.describeType());
        }
        long a = value.asLong();
        if (a == 0 || (a & (a - 1)) != 0 || a > (1L << 30)) {
            throw in.error(null, at, "general.alignment = " + a + " is not a power of two");
        }
        return (int) a;
    }

    private List<GgufTensorInfo> readTensorInfos(SegmentCursor in, GgufValueReader values, int version,
                                                 long nTensors, List<Long> offsetPositions) throws MalformedFileException {
        List<GgufTensorInfo> tensors = new ArrayList<>((int) nTensors);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            long at = in.position();
            String name = values.string("name of tensor " + i);
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes > options.maxNameLength()) {
                throw in.error(name, at, "tensor name is " + nameBytes + " bytes, longer than the limit of "
                        + options.maxNameLength() + nameLimitHint());
            }
            if (!names.add(name)) {
                throw in.error(name, at, "duplicate tensor name");
            }
            long dimsAt = in.position();
            int nDims = in.i32("n_dims of tensor '" + name + "'");
            if (Integer.compareUnsigned(nDims, MAX_DIMS) > 0) {
                throw in.error(name, dimsAt, "n_dims = " + Integer.toUnsignedString(nDims)
                        + " exceeds GGML_MAX_DIMS (" + MAX_DIMS + ")");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long neAt = in.position();
                ne[d] = version == 1 ? Integer.toUnsignedLong(in.i32("ne of tensor '" + name + "'"))
                        : in.i64("ne of tensor '" + name + "'");
                if (ne[d] < 0) {
                    throw in.error(name, neAt, "ne[" + d + "] = " + ne[d] + " is negative");
                }
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw in.error(name, neAt, "element count of ne " + java.util.Arrays.toString(ne)
                            + " overflows int64");
                }
            }
            long typeAt = in.position();
            int typeId = in.i32("type of tensor '" + name + "'");
            DType type = DType.fromGgmlId(typeId).orElseThrow(() -> in.error(name, typeAt,
                    typeId >= 0 && typeId < DType.GGML_TYPE_COUNT
                            ? "ggml type id " + typeId + " was removed from ggml (blck_size 0); requantize the model"
                            : "unknown ggml type id " + typeId + " (known: 0.." + (DType.GGML_TYPE_COUNT - 1) + ")"));
            if (nDims > 0 && ne[0] % type.blockSize() != 0) {
                boolean flatOk = options.legacyFlatBlocks() && version < 3 && elements % type.blockSize() == 0;
                if (!flatOk) {
                    throw in.error(name, dimsAt, "ne[0] = " + ne[0] + " elements per row is not a multiple of the "
                            + type + " block size " + type.blockSize());
                }
            }
            long byteSize;
            try {
                byteSize = type.byteSize(elements);
            } catch (ArithmeticException e) {
                throw in.error(name, dimsAt, "byte size of " + elements + " " + type + " elements overflows");
            }
            long offsetAt = in.position();
            long offset = in.i64("offset of tensor '" + name + "'");
            tensors.add(new GgufTensorInfo(name, ne, type, offset, byteSize));
            offsetPositions.add(offsetAt);
        }
        return tensors;
    }

    private String nameLimitHint() {
        return options.maxNameLength() == ReaderOptions.LLAMA_CPP_MAX_NAME
                ? " (GGML_MAX_NAME = 64 incl. NUL); ComfyUI-GGUF files allow 127: use reader option maxNameLength 127"
                : " (reader option maxNameLength)";
    }

    private static void checkOffsetsAndData(SegmentCursor in, List<GgufTensorInfo> tensors,
                                            List<Long> offsetPositions, int alignment, long dataStart)
            throws MalformedFileException {
        long expected = 0;
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = tensors.get(i);
            if (t.offset() != expected) {
                throw in.error(t.name(), offsetPositions.get(i), "tensor '" + t.name() + "' has offset "
                        + Long.toUnsignedString(t.offset()) + ", expected " + expected
                        + " (tensor data must be stored densely in tensor-info order, each padded to " + alignment + ")");
            }
            long start = dataStart + t.offset();
            long end = start + t.byteSize();
            if (end < start || end > in.size()) {
                throw in.error(t.name(), start, "tensor data [" + start + ", " + end + ") extends past the end of"
                        + " the file (size " + in.size() + "); the file is truncated");
            }
            try {
                expected = Math.addExact(expected, pad(t.byteSize(), alignment));
            } catch (ArithmeticException e) {
                throw in.error(t.name(), offsetPositions.get(i), "total size of tensor data overflows");
            }
        }
    }

    static long pad(long x, long alignment) {
        return (x + alignment - 1) & -alignment;
    }
}
