package io.weightcast.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the header JSON with Jackson's streaming parser: tensor order is kept as written, and a header of a
 * million tensors never becomes a tree. Checks the JSON shape only; sizes and offsets are {@link DataLayout}'s job.
 *
 * <p>Duplicate keys are detected here rather than with Jackson's STRICT_DUPLICATE_DETECTION, whose exception
 * would not tell us which tensor was repeated.
 */
final class HeaderParser {
    static final String METADATA_KEY = "__metadata__";

    private static final JsonFactory JSON = JsonFactory.builder()
            // Interning a million tensor names would only fill the string table.
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    record Parsed(Map<String, Object> metadata, List<HeaderEntry> entries) {
    }

    private final Path file;
    private final String json;
    private final long base;
    private final JsonParser p;

    private HeaderParser(Path file, String json, long base, JsonParser p) {
        this.file = file;
        this.json = json;
        this.base = base;
        this.p = p;
    }

    /**
     * Parses from a String, not bytes: Jackson's locations count characters, not bytes, even for byte input, so
     * errors convert the character offset to a file offset themselves.
     *
     * @param base the file offset of {@code json}'s first byte, so errors point into the file
     */
    static Parsed parse(Path file, String json, long base) throws MalformedFileException {
        try (JsonParser p = JSON.createParser(json)) {
            return new HeaderParser(file, json, base, p).header();
        } catch (StreamReadException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            throw new MalformedFileException(file, null, fileOffset(json, base, at),
                    "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (MalformedFileException e) {
            throw e;
        } catch (IOException e) {
            throw new MalformedFileException(file, null, base, "header could not be parsed: " + e.getMessage(), e);
        }
    }

    private Parsed header() throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw error(null, "header is not a JSON object");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        List<HeaderEntry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (!seen.add(name)) {
                throw error(name, "duplicate key in the header");
            }
            p.nextToken();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata();
            } else {
                entries.add(entry(name));
            }
        }
        if (p.nextToken() != null) {
            throw error(null, "unexpected content after the header object (only space padding may follow)");
        }
        return new Parsed(metadata, entries);
    }

    /** A string-to-string map as the spec says, or JSON null as MLX writes it. */
    private Map<String, Object> metadata() throws IOException {
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return metadata;
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(null, METADATA_KEY + " must be an object of strings or null, found " + p.currentToken());
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (metadata.containsKey(key)) {
                throw error(null, "duplicate key '" + key + "' in " + METADATA_KEY);
            }
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw error(null, METADATA_KEY + " value of '" + key + "' must be a string, found " + p.currentToken());
            }
            metadata.put(key, p.getText());
        }
        return metadata;
    }

    private HeaderEntry entry(String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(name, "tensor entry must be an object, found " + p.currentToken());
        }
        long entryAt = location();
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            long keyAt = location();
            p.nextToken();
            switch (key) {
                case "dtype" -> {
                    requireOnce(name, key, keyAt, dtype);
                    dtype = dtype(name);
                }
                case "shape" -> {
                    requireOnce(name, key, keyAt, shape);
                    shape = longs(name, key, -1);
                }
                case "data_offsets" -> {
                    requireOnce(name, key, keyAt, offsets);
                    offsets = longs(name, key, 2);
                }
                default -> throw new MalformedFileException(file, name, keyAt, "unknown key '" + key
                        + "' in tensor entry (allowed: dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw new MalformedFileException(file, name, entryAt, "tensor entry has no '" + missing + "'");
        }
        return new HeaderEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private void requireOnce(String name, String key, long keyAt, Object previous) throws MalformedFileException {
        if (previous != null) {
            throw new MalformedFileException(file, name, keyAt, "duplicate key '" + key + "' in tensor entry");
        }
    }

    private DType dtype(String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw error(name, "dtype must be a string, found " + p.currentToken());
        }
        String text = p.getText();
        return DType.fromSafetensorsName(text)
                .orElseThrow(() -> error(name, "unknown dtype '" + text + "'"));
    }

    /** An array of non-negative 64-bit integers; {@code count} elements exactly, or any number when -1. */
    private long[] longs(String name, String key, int count) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(name, key + " must be an array of non-negative integers, found " + p.currentToken());
        }
        List<Long> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw error(name, key + " must hold non-negative integers, found " + p.getText());
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw error(name, key + " value " + p.getText() + " is larger than 2^63-1");
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw error(name, key + " value " + v + " is negative");
            }
            values.add(v);
        }
        if (count >= 0 && values.size() != count) {
            throw error(name, key + " must hold exactly " + count + " integers [begin, end], found " + values.size());
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private MalformedFileException error(String tensor, String problem) {
        return new MalformedFileException(file, tensor, location(), problem);
    }

    /** The file offset of the current token. */
    private long location() {
        return fileOffset(json, base, p.currentTokenLocation().getCharOffset());
    }

    private static long fileOffset(String json, long base, long charOffset) {
        if (charOffset < 0) {
            return base;
        }
        int chars = (int) Math.min(charOffset, json.length());
        return base + json.substring(0, chars).getBytes(StandardCharsets.UTF_8).length;
    }
}
