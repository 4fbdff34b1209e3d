package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.MalformedFileException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads GGUF strings and metadata values from a {@link SegmentCursor}, applying gguf.cpp's limits before anything
 * is allocated. GGUF v1 stores string lengths and array counts as u32, later versions as u64.
 *
 * <pre>
 * struct gguf_string_t { uint64_t len; char string[len]; };           // no NUL; UTF-8 by convention
 * union gguf_metadata_value_t { uint8_t uint8; ... gguf_string_t string;
 *     struct { gguf_metadata_value_type type; uint64_t len; gguf_metadata_value_t array[len]; } array; };
 * </pre>
 */
final class GgufValueReader {
    /** GGUF_MAX_STRING_LENGTH in gguf.cpp. */
    static final long MAX_STRING_LENGTH = 1L << 30;
    /** GGUF_MAX_ARRAY_ELEMENTS in gguf.cpp. */
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;

    private final SegmentCursor in;
    private final boolean v1;

    GgufValueReader(SegmentCursor in, int version) {
        this.in = in;
        this.v1 = version == 1;
    }

    /** A u64 count or length (u32 in v1); a value with the top bit set is reported as negative. */
    long count(String what) throws MalformedFileException {
        return v1 ? Integer.toUnsignedLong(in.i32(what)) : in.i64(what);
    }

    String string(String what) throws MalformedFileException {
        long at = in.position();
        long len = count(what + " length");
        if (len < 0 || len > MAX_STRING_LENGTH) {
            throw in.error(null, at, what + " length " + Long.toUnsignedString(len)
                    + " exceeds GGUF_MAX_STRING_LENGTH (1 GiB)");
        }
        if (len > in.remaining()) {
            throw in.error(null, at, what + " length " + len + " exceeds the " + in.remaining()
                    + " bytes left in the file (size " + in.size() + ")");
        }
        return new String(in.bytes(len, what), StandardCharsets.UTF_8);
    }

    /** The value of a KV pair whose type id has been read. */
    GgufValue value(GgufValueType type, String key) throws MalformedFileException {
        if (type != GgufValueType.ARRAY) {
            return new GgufValue(type, null, scalar(type, key));
        }
        long at = in.position();
        int elementId = in.i32("array element type of key '" + key + "'");
        GgufValueType element = GgufValueType.fromId(elementId).orElseThrow(() -> in.error(null, at,
                "key '" + key + "': invalid array element type " + elementId + " (valid: 0..12)"));
        if (element == GgufValueType.ARRAY) {
            throw in.error(null, at, "key '" + key + "': nested arrays are not supported (gguf.cpp rejects them)");
        }
        long countAt = in.position();
        long n = count("array length of key '" + key + "'");
        if (n < 0 || n > MAX_ARRAY_ELEMENTS) {
            throw in.error(null, countAt, "key '" + key + "': array length " + Long.toUnsignedString(n)
                    + " exceeds GGUF_MAX_ARRAY_ELEMENTS (2^30)");
        }
        long minBytes = n * (v1 && element == GgufValueType.STRING ? 4 : element.minBytes());
        if (minBytes > in.remaining()) {
            throw in.error(null, countAt, "key '" + key + "': array of " + n + " " + element + " needs at least "
                    + minBytes + " bytes but only " + in.remaining() + " are left in the file (size " + in.size() + ")");
        }
        List<Object> list = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            list.add(scalar(element, key));
        }
        return new GgufValue(GgufValueType.ARRAY, element, list);
    }

    private Object scalar(GgufValueType type, String key) throws MalformedFileException {
        String what = "value of key '" + key + "'";
        return switch (type) {
            case UINT8, INT8 -> (byte) in.u8(what);
            case UINT16, INT16 -> in.i16(what);
            case UINT32, INT32 -> in.i32(what);
            case UINT64, INT64 -> in.i64(what);
            case FLOAT32 -> in.f32(what);
            case FLOAT64 -> in.f64(what);
            case BOOL -> in.u8(what) != 0;
            case STRING -> string(what);
            case ARRAY -> throw new IllegalStateException("arrays are read by value()");
        };
    }
}
