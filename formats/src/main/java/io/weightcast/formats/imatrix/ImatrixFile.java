package io.weightcast.formats.imatrix;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An importance-matrix file as {@code llama-imatrix} writes it, in either format (detected by the GGUF magic):
 *
 * <ul>
 *   <li>GGUF (default since llama.cpp #14842): keys {@code imatrix.datasets} (string array),
 *       {@code imatrix.chunk_count}, {@code imatrix.chunk_size}; per weight {@code N}, F32 tensors
 *       {@code N.in_sum2} ({@code [n_mat][n_per_row]}) and {@code N.counts} ({@code [n_mat][1]});</li>
 *   <li>legacy {@code .dat}, little-endian: {@code i32 n_entries}; per entry {@code i32 name_len, name,
 *       i32 ncall, i32 nval, f32[nval]}; optional trailer {@code i32 last_chunk, i32 dataset_len, dataset}.</li>
 * </ul>
 *
 * File format only: {@link ImportanceMatrix#from} turns the statistics into quantization weights.
 *
 * @param chunkCount chunks the statistics were computed on (GGUF {@code imatrix.chunk_count}, legacy trailer's
 *                   last chunk; 0 when absent)
 */
public record ImatrixFile(Path path, boolean legacy, Map<String, ImatrixEntry> entries, List<String> datasets,
                          int chunkCount, int chunkSize) {

    public static final String KEY_DATASETS = "imatrix.datasets";
    public static final String KEY_CHUNK_COUNT = "imatrix.chunk_count";
    public static final String KEY_CHUNK_SIZE = "imatrix.chunk_size";

    public ImatrixFile {
        entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        datasets = List.copyOf(datasets);
    }

    /** Reads either format. */
    public static ImatrixFile read(Path path) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F') {
                return readGguf(path);
            }
        }
        return readLegacy(path);
    }

    /** The GGUF imatrix format; the three {@code imatrix.*} keys are required, as llama-quantize requires them. */
    public static ImatrixFile readGguf(Path path) throws IOException {
        try (GgufModel model = GgufReader.open(path)) {
            GgufMetadata kv = model.ggufMetadata();
            for (String key : List.of(KEY_DATASETS, KEY_CHUNK_COUNT, KEY_CHUNK_SIZE)) {
                if (!kv.containsKey(key)) {
                    throw new MalformedFileException(path, -1, "missing imatrix metadata key " + key + " (is this an"
                            + " imatrix file written by llama-imatrix?)");
                }
            }
            List<String> datasets;
            int chunkCount;
            int chunkSize;
            try {
                datasets = kv.getStringArray(KEY_DATASETS).orElseThrow();
                chunkCount = (int) (long) kv.getLong(KEY_CHUNK_COUNT).orElseThrow();
                chunkSize = (int) (long) kv.getLong(KEY_CHUNK_SIZE).orElseThrow();
            } catch (IllegalStateException e) {
                throw new MalformedFileException(path, -1, e.getMessage());
            }
            Map<String, TensorView> sums = new LinkedHashMap<>();
            Map<String, TensorView> counts = new LinkedHashMap<>();
            for (TensorView t : model.tensors()) {
                String n = t.name();
                if (n.endsWith(".in_sum2")) {
                    sums.put(n.substring(0, n.length() - ".in_sum2".length()), t);
                } else if (n.endsWith(".counts")) {
                    counts.put(n.substring(0, n.length() - ".counts".length()), t);
                } else if (!n.endsWith(".in_sum")) {
                    throw new MalformedFileException(path, n, t.fileOffset(), "unexpected tensor in an imatrix file"
                            + " (expected <weight>.in_sum2 and <weight>.counts)");
                }
            }
            Map<String, ImatrixEntry> entries = new LinkedHashMap<>();
            for (var e : sums.entrySet()) {
                String name = e.getKey();
                TensorView s = e.getValue();
                TensorView c = counts.get(name);
                if (c == null) {
                    throw new MalformedFileException(path, s.name(), s.fileOffset(), "has no matching " + name
                            + ".counts tensor");
                }
                for (TensorView t : List.of(s, c)) {
                    if (t.dtype() != DType.F32) {
                        throw new MalformedFileException(path, t.name(), t.fileOffset(), "must be F32, is "
                                + t.dtype().displayName());
                    }
                }
                float[] sv = floats(s);
                float[] cv = floats(c);
                if (cv.length == 0 || sv.length % cv.length != 0) {
                    throw new MalformedFileException(path, s.name(), s.fileOffset(), sv.length + " sums do not "
                            + "divide into " + cv.length + " matrices (counts)");
                }
                entries.put(name, new ImatrixEntry(name, sv, cv));
            }
            for (var e : counts.entrySet()) {
                if (!sums.containsKey(e.getKey())) {
                    throw new MalformedFileException(path, e.getValue().name(), e.getValue().fileOffset(),
                            "has no matching " + e.getKey() + ".in_sum2 tensor");
                }
            }
            return new ImatrixFile(path, false, entries, datasets, chunkCount, chunkSize);
        }
    }

    private static float[] floats(TensorView t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** The legacy binary format of llama-imatrix before the GGUF one. */
    public static ImatrixFile readLegacy(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) {
            throw new MalformedFileException(path, 0, "too short for an imatrix file (" + bytes.length
                    + " bytes): neither GGUF nor the legacy .dat format");
        }
        int n = b.getInt();
        if (n < 1) {
            throw new MalformedFileException(path, 0, "no data in file: the legacy imatrix entry count is " + n);
        }
        Map<String, ImatrixEntry> entries = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            long at = b.position();
            String where = "entry " + i + " of " + n;
            int len = readInt(path, b, where + ": name length");
            if (len < 0 || len > b.remaining()) {
                throw new MalformedFileException(path, at, where + ": name length " + len + " exceeds the "
                        + b.remaining() + " bytes left (not a legacy imatrix file, or truncated)");
            }
            byte[] nb = new byte[len];
            b.get(nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            long at2 = b.position();
            int ncall = readInt(path, b, where + " ('" + name + "'): ncall");
            int nval = readInt(path, b, where + " ('" + name + "'): number of values");
            if (nval < 1) {
                throw new MalformedFileException(path, name, at2, where + ": failed reading number of values ("
                        + nval + ")");
            }
            if ((long) nval * 4 > b.remaining()) {
                throw new MalformedFileException(path, name, b.position(), where + ": " + nval + " values need "
                        + (long) nval * 4 + " bytes but only " + b.remaining() + " are left (truncated file)");
            }
            float[] v = new float[nval];
            b.asFloatBuffer().get(v);
            b.position(b.position() + nval * 4);
            if (entries.put(name, new ImatrixEntry(name, v, new float[] {ncall})) != null) {
                throw new MalformedFileException(path, name, at, where + ": duplicate entry name");
            }
        }
        int lastChunk = 0;
        List<String> datasets = List.of();
        if (b.hasRemaining()) {
            lastChunk = readInt(path, b, "trailer: last chunk");
            int dl = readInt(path, b, "trailer: dataset name length");
            if (dl < 0 || dl > b.remaining()) {
                throw new MalformedFileException(path, b.position() - 4, "trailer: dataset name length " + dl
                        + " exceeds the " + b.remaining() + " bytes left");
            }
            byte[] db = new byte[dl];
            b.get(db);
            datasets = List.of(new String(db, StandardCharsets.UTF_8));
        }
        return new ImatrixFile(path, true, entries, datasets, lastChunk, 0);
    }

    private static int readInt(Path path, ByteBuffer b, String what) throws MalformedFileException {
        if (b.remaining() < 4) {
            throw new MalformedFileException(path, b.position(), what + ": unexpected end of file");
        }
        return b.getInt();
    }
}
