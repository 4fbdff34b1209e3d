package io.weightcast.formats.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * GGUF key/value metadata: an insertion-ordered map from key to {@link GgufValue}. Keys must be non-empty
 * (gguf.cpp rejects empty keys). Putting an existing key replaces its value in place (it keeps its position; use
 * {@link #remove} first to move it to the end, as gguf.cpp's {@code gguf_set_val_*} does).
 *
 * <p>Typed getters return empty for a missing key and throw {@link IllegalStateException} naming the key and both
 * types when the key holds a value of another type.
 */
public final class GgufMetadata {
    public static final String ARCHITECTURE = "general.architecture";
    public static final String ALIGNMENT = "general.alignment";
    public static final String SPLIT_NO = "split.no";
    public static final String SPLIT_COUNT = "split.count";
    public static final String SPLIT_TENSORS_COUNT = "split.tensors.count";
    /** The three keys gguf-split adds to every shard. */
    public static final Set<String> SPLIT_KEYS = Set.of(SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS_COUNT);

    private final LinkedHashMap<String, GgufValue> entries = new LinkedHashMap<>();

    public GgufMetadata() {
    }

    /** A copy of another metadata map (values are immutable, so this is cheap). */
    public GgufMetadata(GgufMetadata other) {
        entries.putAll(other.entries);
    }

    public GgufMetadata put(String key, GgufValue value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("GGUF metadata keys must be non-empty");
        }
        entries.put(key, java.util.Objects.requireNonNull(value, "value"));
        return this;
    }

    public GgufMetadata putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufMetadata putUint32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    public GgufMetadata putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    public GgufMetadata putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    public GgufMetadata putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    public GgufMetadata putStringArray(String key, List<String> values) {
        return put(key, GgufValue.stringArray(values));
    }

    public Optional<GgufValue> remove(String key) {
        return Optional.ofNullable(entries.remove(key));
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    public boolean containsKey(String key) {
        return entries.containsKey(key);
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Keys in order. */
    public List<String> keys() {
        return List.copyOf(entries.keySet());
    }

    /** An unmodifiable ordered view of the entries. */
    public Map<String, GgufValue> asMap() {
        return Collections.unmodifiableMap(entries);
    }

    // ---- typed getters -----------------------------------------------------------------------------------------

    public Optional<String> getString(String key) {
        return typed(key, GgufValueType.STRING).map(GgufValue::asString);
    }

    /** An UINT32 value (as a long, 0..2^32-1). */
    public Optional<Long> getUint32(String key) {
        return typed(key, GgufValueType.UINT32).map(GgufValue::asLong);
    }

    public Optional<Integer> getInt32(String key) {
        return typed(key, GgufValueType.INT32).map(v -> (Integer) v.value());
    }

    public Optional<Float> getFloat32(String key) {
        return typed(key, GgufValueType.FLOAT32).map(v -> (Float) v.value());
    }

    public Optional<Boolean> getBool(String key) {
        return typed(key, GgufValueType.BOOL).map(GgufValue::asBoolean);
    }

    /** A value of any integer type, unsigned types read as unsigned (UINT64 above Long.MAX_VALUE throws). */
    public Optional<Long> getLong(String key) {
        return get(key).map(v -> {
            if (!v.type().isInteger()) {
                throw wrongType(key, v, "an integer type");
            }
            return v.asLong();
        });
    }

    /** A FLOAT32 or FLOAT64 value (integers are accepted too). */
    public Optional<Double> getDouble(String key) {
        return get(key).map(v -> {
            if (!v.type().isInteger() && !v.type().isFloat()) {
                throw wrongType(key, v, "a number");
            }
            return v.asDouble();
        });
    }

    public Optional<List<String>> getStringArray(String key) {
        return array(key, GgufValueType.STRING).map(v -> {
            List<String> out = new ArrayList<>(v.size());
            for (Object o : v) {
                out.add((String) o);
            }
            return Collections.unmodifiableList(out);
        });
    }

    /** An array of any integer element type as longs (unsigned elements read as unsigned). */
    public Optional<long[]> getLongArray(String key) {
        Optional<GgufValue> value = get(key);
        return value.map(v -> {
            if (!v.isArray() || !v.elementType().isInteger()) {
                throw wrongType(key, v, "an array of integers");
            }
            List<?> list = v.asList();
            long[] out = new long[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = GgufValue.integerBits(v.elementType(), list.get(i));
            }
            return out;
        });
    }

    public Optional<float[]> getFloat32Array(String key) {
        return array(key, GgufValueType.FLOAT32).map(list -> {
            float[] out = new float[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Float) list.get(i);
            }
            return out;
        });
    }

    private Optional<List<?>> array(String key, GgufValueType elementType) {
        return get(key).map(v -> {
            if (!v.isArray() || v.elementType() != elementType) {
                throw wrongType(key, v, "ARRAY[" + elementType + "]");
            }
            return v.asList();
        });
    }

    private Optional<GgufValue> typed(String key, GgufValueType want) {
        return get(key).map(v -> {
            if (v.type() != want) {
                throw wrongType(key, v, want.name());
            }
            return v;
        });
    }

    private static IllegalStateException wrongType(String key, GgufValue v, String want) {
        return new IllegalStateException("GGUF key '" + key + "' is " + v.describeType() + ", not " + want);
    }

    // ---- views -------------------------------------------------------------------------------------------------

    /** A copy without {@code split.no}, {@code split.count} and {@code split.tensors.count}. */
    public GgufMetadata withoutSplitKeys() {
        GgufMetadata copy = new GgufMetadata(this);
        SPLIT_KEYS.forEach(copy.entries::remove);
        return copy;
    }

    /** Every entry as JSON-friendly values (see {@link GgufValue#toJsonFriendly()}), in order, unmodifiable. */
    public Map<String, Object> toJsonFriendly() {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> out.put(k, v.toJsonFriendly()));
        return Collections.unmodifiableMap(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufMetadata m && List.copyOf(entries.entrySet()).equals(List.copyOf(m.entries.entrySet()));
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
