package io.weightcast.formats.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A sharded checkpoint's {@code *.safetensors.index.json}: {@code weight_map} (tensor name → shard file name,
 * relative to the index's folder) and the optional {@code metadata} object ({@code total_size} and whatever the
 * writer added). Index files are small, so Jackson reads them as a tree (which keeps key order).
 *
 * @param file      the index file
 * @param metadata  the {@code metadata} object in file order; empty when absent
 * @param weightMap tensor → shard file name, in file order
 */
public record ShardIndex(Path file, Map<String, Object> metadata, Map<String, String> weightMap) {

    /** The suffix every index file name ends with. */
    public static final String SUFFIX = ".safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public ShardIndex {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
    }

    /** Reads and checks an index file: an object with a {@code weight_map} of strings, shard names inside its folder. */
    public static ShardIndex read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            throw new MalformedFileException(file, null, at, "index is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedFileException(file, -1, "index is not a JSON object");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new MalformedFileException(file, -1, "index has no \"weight_map\" object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MalformedFileException(file, e.getKey(), -1, "weight_map value must be a shard file name");
            }
            weightMap.put(e.getKey(), e.getValue().textValue());
        }
        JsonNode meta = root.get("metadata");
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                throw new MalformedFileException(file, -1, "index \"metadata\" must be an object");
            }
            metadata = JSON.convertValue(meta, new TypeReference<LinkedHashMap<String, Object>>() { });
        }
        ShardIndex index = new ShardIndex(file, metadata, weightMap);
        for (String shard : index.shardNames()) {
            index.resolve(shard);
        }
        return index;
    }

    /**
     * The distinct shard names, in file-name order. transformers sorts {@code weight_map} by tensor name, so order
     * of first appearance would be arbitrary; its zero-padded shard numbers make name order the write order.
     */
    public List<String> shardNames() {
        return new ArrayList<>(new TreeSet<>(weightMap.values()));
    }

    /** The tensors the index assigns to {@code shard}, in index order. */
    public List<String> tensorsIn(String shard) {
        return weightMap.entrySet().stream().filter(e -> e.getValue().equals(shard)).map(Map.Entry::getKey).toList();
    }

    /**
     * The path of a shard, which must stay inside the index's folder: an index is often downloaded from
     * strangers, and must not make us read {@code /etc/passwd} or {@code ../../secret}.
     */
    public Path resolve(String shard) throws MalformedFileException {
        Path folder = folder();
        Path name;
        try {
            name = Path.of(shard);
        } catch (RuntimeException e) {
            throw new MalformedFileException(file, null, -1, "shard name '" + shard + "' is not a valid file name");
        }
        if (shard.isEmpty() || name.isAbsolute() || shard.startsWith("/") || shard.startsWith("\\")) {
            throw new MalformedFileException(file, firstTensorIn(shard), -1,
                    "shard name '" + shard + "' must be a file name relative to the index's folder");
        }
        Path resolved = folder.resolve(name).normalize();
        if (!resolved.startsWith(folder.normalize()) || resolved.equals(folder.normalize())) {
            throw new MalformedFileException(file, firstTensorIn(shard), -1,
                    "shard name '" + shard + "' escapes the index's folder");
        }
        return resolved;
    }

    private String firstTensorIn(String shard) {
        return weightMap.entrySet().stream().filter(e -> e.getValue().equals(shard)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    private Path folder() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    /**
     * The index JSON exactly as transformers writes it ({@code json.dumps(index, indent=2, sort_keys=True) + "\n"}):
     * {@code {"metadata": {"total_size": N}, "weight_map": {...}}} with tensor names sorted.
     */
    public static byte[] format(long totalSize, Map<String, String> weightMap) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(totalSize).append("\n  },\n");
        sb.append("  \"weight_map\": {");
        List<String> names = new ArrayList<>(weightMap.keySet());
        names.sort(CODE_POINT_ORDER);
        for (int i = 0; i < names.size(); i++) {
            sb.append(i == 0 ? "\n    " : ",\n    ");
            JsonText.pythonString(sb, names.get(i));
            sb.append(": ");
            JsonText.pythonString(sb, weightMap.get(names.get(i)));
        }
        sb.append(names.isEmpty() ? "}\n}\n" : "\n  }\n}\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Python sorts strings by code point; String.compareTo compares UTF-16 units, which differs above U+FFFF. */
    private static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        return java.util.Arrays.compare(x, y);
    };
}
