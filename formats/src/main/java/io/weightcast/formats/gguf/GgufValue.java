package io.weightcast.formats.gguf;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One typed GGUF metadata value.
 *
 * <p>The Java value keeps the on-disk width: {@code Byte} for UINT8/INT8, {@code Short} for UINT16/INT16,
 * {@code Integer} for UINT32/INT32, {@code Long} for UINT64/INT64, holding the raw bits, so unsigned values stay
 * distinguishable through {@link #type()} and are written back unchanged. Use {@link #asLong()} (or
 * {@link #toJsonFriendly()}) for the numeric value with unsigned types read as unsigned. FLOAT32 is a
 * {@code Float}, FLOAT64 a {@code Double}, BOOL a {@code Boolean}, STRING a {@code String} (UTF-8 on disk), ARRAY an
 * unmodifiable {@code List} of element values of {@link #elementType()}. Arrays never nest (gguf.cpp rejects them).
 *
 * @param type        the value type
 * @param elementType the element type for arrays, null otherwise
 * @param value       the Java value as described above
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            Objects.requireNonNull(elementType, "elementType of an array");
            if (elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("nested GGUF arrays are not supported (gguf.cpp rejects them)");
            }
            if (!(value instanceof List<?> list)) {
                throw new IllegalArgumentException("an ARRAY value must be a List, got " + value.getClass().getName());
            }
            Class<?> want = elementType.javaType();
            List<Object> copy = new ArrayList<>(list.size());
            for (Object e : list) {
                if (!want.isInstance(e)) {
                    throw new IllegalArgumentException("array of " + elementType + " holds "
                            + (e == null ? "null" : e.getClass().getSimpleName()) + ", expected " + want.getSimpleName());
                }
                copy.add(e);
            }
            value = Collections.unmodifiableList(copy);
        } else {
            if (elementType != null) {
                throw new IllegalArgumentException("elementType is only for arrays, not " + type);
            }
            if (!type.javaType().isInstance(value)) {
                throw new IllegalArgumentException(type + " needs a " + type.javaType().getSimpleName() + ", got "
                        + value.getClass().getSimpleName());
            }
        }
    }

    // ---- factories ---------------------------------------------------------------------------------------------

    public static GgufValue uint8(int v) {
        return new GgufValue(GgufValueType.UINT8, null, (byte) checkRange(v, 0, 0xFF, "UINT8"));
    }

    public static GgufValue int8(int v) {
        return new GgufValue(GgufValueType.INT8, null, (byte) checkRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "INT8"));
    }

    public static GgufValue uint16(int v) {
        return new GgufValue(GgufValueType.UINT16, null, (short) checkRange(v, 0, 0xFFFF, "UINT16"));
    }

    public static GgufValue int16(int v) {
        return new GgufValue(GgufValueType.INT16, null, (short) checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE, "INT16"));
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, null, (int) checkRange(v, 0, 0xFFFF_FFFFL, "UINT32"));
    }

    public static GgufValue int32(int v) {
        return new GgufValue(GgufValueType.INT32, null, v);
    }

    /** An UINT64 from its raw bits: values above {@code Long.MAX_VALUE} are passed as negative longs. */
    public static GgufValue uint64(long rawBits) {
        return new GgufValue(GgufValueType.UINT64, null, rawBits);
    }

    public static GgufValue int64(long v) {
        return new GgufValue(GgufValueType.INT64, null, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    public static GgufValue float64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue string(String v) {
        return new GgufValue(GgufValueType.STRING, null, v);
    }

    /**
     * An array; {@code elements} must hold the Java type of {@code elementType} (see the class comment), e.g.
     * {@code Integer} for INT32 and UINT32. Empty arrays are allowed (gguf.cpp reads them; gguf-py drops them).
     */
    public static GgufValue array(GgufValueType elementType, List<?> elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    public static GgufValue stringArray(List<String> elements) {
        return array(GgufValueType.STRING, elements);
    }

    /** An INT32 array, the type ComfyUI-GGUF requires for {@code comfy.gguf.orig_shape.*}. */
    public static GgufValue int32Array(int... elements) {
        List<Integer> list = new ArrayList<>(elements.length);
        for (int e : elements) {
            list.add(e);
        }
        return array(GgufValueType.INT32, list);
    }

    public static GgufValue float32Array(float... elements) {
        List<Float> list = new ArrayList<>(elements.length);
        for (float e : elements) {
            list.add(e);
        }
        return array(GgufValueType.FLOAT32, list);
    }

    private static long checkRange(long v, long min, long max, String type) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(v + " is out of range for " + type + " [" + min + ", " + max + "]");
        }
        return v;
    }

    // ---- accessors ---------------------------------------------------------------------------------------------

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /**
     * The value of any integer type as a long, unsigned types read as unsigned.
     *
     * @throws IllegalStateException for non-integer types
     * @throws ArithmeticException for an UINT64 above {@code Long.MAX_VALUE}
     */
    public long asLong() {
        if (!type.isInteger()) {
            throw new IllegalStateException("GGUF value of type " + type + " is not an integer");
        }
        long v = integerBits(type, value);
        if (type == GgufValueType.UINT64 && v < 0) {
            throw new ArithmeticException("UINT64 value " + Long.toUnsignedString(v) + " does not fit in a long");
        }
        return v;
    }

    /** Integer or float value as a double (unsigned integers read as unsigned). */
    public double asDouble() {
        if (type.isFloat()) {
            return ((Number) value).doubleValue();
        }
        if (type == GgufValueType.UINT64) {
            long v = (Long) value;
            return v >= 0 ? v : new BigInteger(Long.toUnsignedString(v)).doubleValue();
        }
        return asLong();
    }

    public String asString() {
        return as(GgufValueType.STRING, String.class);
    }

    public boolean asBoolean() {
        return as(GgufValueType.BOOL, Boolean.class);
    }

    /** The elements of an array value (raw Java values, see the class comment). */
    public List<?> asList() {
        return as(GgufValueType.ARRAY, List.class);
    }

    private <T> T as(GgufValueType want, Class<T> cls) {
        if (type != want) {
            throw new IllegalStateException("GGUF value of type " + describeType() + " is not " + want);
        }
        return cls.cast(value);
    }

    /** "UINT32", or "ARRAY[STRING]" for arrays. */
    public String describeType() {
        return isArray() ? "ARRAY[" + elementType + "]" : type.name();
    }

    /**
     * The value as JSON-friendly Java objects: Integer for 8/16-bit integers and INT32, Long for UINT32 and INT64,
     * Long or BigInteger for UINT64, Float, Double, Boolean, String, and an unmodifiable List for arrays (kept whole).
     */
    public Object toJsonFriendly() {
        if (isArray()) {
            List<?> list = (List<?>) value;
            List<Object> out = new ArrayList<>(list.size());
            for (Object e : list) {
                out.add(scalarToJson(elementType, e));
            }
            return Collections.unmodifiableList(out);
        }
        return scalarToJson(type, value);
    }

    private static Object scalarToJson(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedInt((Byte) v);
            case INT8 -> (int) (Byte) v;
            case UINT16 -> Short.toUnsignedInt((Short) v);
            case INT16 -> (int) (Short) v;
            case UINT32 -> Integer.toUnsignedLong((Integer) v);
            case INT32, INT64, FLOAT32, FLOAT64, BOOL, STRING -> v;
            case UINT64 -> (Long) v >= 0 ? v : new BigInteger(Long.toUnsignedString((Long) v));
            case ARRAY -> throw new IllegalStateException("nested array");
        };
    }

    /** Raw integer bits widened to long, unsigned types zero-extended (UINT64 keeps its raw bits). */
    static long integerBits(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedLong((Byte) v);
            case INT8 -> (Byte) v;
            case UINT16 -> Short.toUnsignedLong((Short) v);
            case INT16 -> (Short) v;
            case UINT32 -> Integer.toUnsignedLong((Integer) v);
            case INT32 -> (Integer) v;
            case UINT64, INT64 -> (Long) v;
            default -> throw new IllegalStateException(t + " is not an integer type");
        };
    }

    @Override
    public String toString() {
        if (isArray()) {
            List<?> list = (List<?>) value;
            String head = list.size() <= 4 ? list.toString() : list.subList(0, 4) + "...";
            return describeType() + " x " + list.size() + " " + head;
        }
        return type + " " + toJsonFriendly();
    }
}
