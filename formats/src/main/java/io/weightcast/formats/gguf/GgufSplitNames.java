package io.weightcast.formats.gguf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of split GGUF files, as llama.cpp's {@code llama_split_path} and gguf-py's {@code SHARD_NAME_FORMAT}
 * make them: {@code <prefix>-%05d-of-%05d.gguf} with a 1-based shard number, e.g. {@code model-00002-of-00004.gguf}.
 */
public final class GgufSplitNames {
    /** The most shards: {@code split.count} is an UINT16. */
    public static final int MAX_SHARDS = 0xFFFF;

    private static final Pattern SHARD = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf");

    private GgufSplitNames() {
    }

    /**
     * A parsed shard file name.
     *
     * @param prefix the path without {@code -NNNNN-of-NNNNN.gguf}
     * @param number the 1-based shard number
     * @param count  the shard count in the name
     */
    public record ShardName(Path prefix, int number, int count) {
        public Path path() {
            return shardPath(prefix, number, count);
        }
    }

    /** {@code <prefix>-<number>-of-<count>.gguf}, number 1-based. */
    public static String shardFileName(String prefix, int number, int count) {
        if (count < 1 || count > MAX_SHARDS || number < 1 || number > count) {
            throw new IllegalArgumentException("shard " + number + " of " + count + " is not valid (1.." + MAX_SHARDS + ")");
        }
        return String.format("%s-%05d-of-%05d.gguf", prefix, number, count);
    }

    /** The shard path next to {@code prefix}: {@code prefix} with {@code -NNNNN-of-NNNNN.gguf} appended. */
    public static Path shardPath(Path prefix, int number, int count) {
        String name = shardFileName(prefix.getFileName().toString(), number, count);
        Path parent = prefix.getParent();
        return parent == null ? Path.of(name) : parent.resolve(name);
    }

    /** All shard paths of a split of {@code count} files. */
    public static List<Path> allShards(Path prefix, int count) {
        List<Path> out = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            out.add(shardPath(prefix, i, count));
        }
        return out;
    }

    /** Parses a shard file name; empty when {@code path} does not follow the naming. */
    public static Optional<ShardName> parse(Path path) {
        Path fileName = path.getFileName();
        if (fileName == null) {
            return Optional.empty();
        }
        Matcher m = SHARD.matcher(fileName.toString());
        if (!m.matches()) {
            return Optional.empty();
        }
        int number = Integer.parseInt(m.group(2));
        int count = Integer.parseInt(m.group(3));
        if (count < 1 || number < 1 || number > count) {
            return Optional.empty();
        }
        Path parent = path.getParent();
        Path prefix = parent == null ? Path.of(m.group(1)) : parent.resolve(m.group(1));
        return Optional.of(new ShardName(prefix, number, count));
    }

    /**
     * The prefix for writing shards, from either a prefix, an output name ending in {@code .gguf} (the extension is
     * dropped) or a shard name (its prefix is used).
     */
    public static Path prefixOf(Path prefixOrOut) {
        Optional<ShardName> shard = parse(prefixOrOut);
        if (shard.isPresent()) {
            return shard.get().prefix();
        }
        String name = prefixOrOut.getFileName().toString();
        if (name.endsWith(".gguf") && name.length() > ".gguf".length()) {
            return prefixOrOut.resolveSibling(name.substring(0, name.length() - ".gguf".length()));
        }
        return prefixOrOut;
    }
}
