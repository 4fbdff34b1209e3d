package io.weightcast.formats.gguf;

import java.util.Optional;

/**
 * The metadata value types of GGUF ({@code enum gguf_type} in ggml's gguf.h), with their on-disk ids.
 *
 * <pre>
 * enum gguf_type {
 *     GGUF_TYPE_UINT8   = 0,  GGUF_TYPE_INT8    = 1,  GGUF_TYPE_UINT16  = 2,  GGUF_TYPE_INT16   = 3,
 *     GGUF_TYPE_UINT32  = 4,  GGUF_TYPE_INT32   = 5,  GGUF_TYPE_FLOAT32 = 6,  GGUF_TYPE_BOOL    = 7,
 *     GGUF_TYPE_STRING  = 8,  GGUF_TYPE_ARRAY   = 9,  GGUF_TYPE_UINT64  = 10, GGUF_TYPE_INT64   = 11,
 *     GGUF_TYPE_FLOAT64 = 12,
 * };
 * </pre>
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    /** One byte; gguf.cpp reads any non-zero byte as true. */
    BOOL(7, 1),
    /** {@code uint64_t len; char data[len];} (u32 length in GGUF v1), no NUL terminator. */
    STRING(8, 8),
    /** {@code gguf_type type; uint64_t n; elements[n]} (u32 n in GGUF v1). */
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    /** The id stored in the file (an i32). */
    public int id() {
        return id;
    }

    /**
     * Bytes one value of this type takes at least: the exact size of numbers and bools, the length prefix (8) of a
     * string, the element type and count (12) of an array. gguf.cpp uses these to bound array counts.
     */
    public int minBytes() {
        return minBytes;
    }

    /** The type with this id, or empty when the id is outside 0..12. */
    public static Optional<GgufValueType> fromId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** The Java class that holds one value of this type in {@link GgufValue#value()}. */
    Class<?> javaType() {
        return switch (this) {
            case UINT8, INT8 -> Byte.class;
            case UINT16, INT16 -> Short.class;
            case UINT32, INT32 -> Integer.class;
            case UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> java.util.List.class;
        };
    }
}
