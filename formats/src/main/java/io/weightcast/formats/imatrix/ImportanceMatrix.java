package io.weightcast.formats.imatrix;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Per-column quantization weights by tensor name, as llama-quantize derives them from an imatrix file
 * ({@code load_imatrix} + {@code prepare_imatrix} in tools/quantize): GGUF entries are {@code in_sum2 / count}
 * per matrix (1 where a matrix saw no tokens), legacy entries are the stored values divided by {@code ncall}
 * (kept when ncall ≤ 0). For a 3-D expert tensor the vector is {@code n_expert × ne[0]} long.
 *
 * @param file       the imatrix file, as given (recorded in {@code quantize.imatrix.file})
 * @param chunkCount chunks the statistics came from (0 when unknown)
 */
public record ImportanceMatrix(Path file, Map<String, float[]> weights, List<String> datasets, int chunkCount) {

    public ImportanceMatrix {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        datasets = List.copyOf(datasets);
    }

    public static ImportanceMatrix from(ImatrixFile f) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (ImatrixEntry e : f.entries().values()) {
            float[] s = e.sums();
            float[] v = new float[s.length];
            if (!f.legacy()) {
                int nc = e.counts().length;
                int ne0 = s.length / nc;
                for (int j = 0; j < nc; j++) {
                    float count = e.counts()[j];
                    for (int i = 0; i < ne0; i++) {
                        v[j * ne0 + i] = count > 0.0f ? s[j * ne0 + i] / count : 1.0f;
                    }
                }
            } else {
                long ncall = e.counts().length == 0 ? 0 : (long) e.counts()[0];
                for (int i = 0; i < s.length; i++) {
                    v[i] = ncall > 0 ? s[i] / ncall : s[i];
                }
            }
            out.put(e.name(), v);
        }
        return new ImportanceMatrix(f.path(), out, f.datasets(), f.chunkCount());
    }

    public static ImportanceMatrix read(Path path) throws java.io.IOException {
        return from(ImatrixFile.read(path));
    }

    public Optional<float[]> get(String tensor) {
        return Optional.ofNullable(weights.get(tensor));
    }

    public int size() {
        return weights.size();
    }

    /**
     * {@code --include-weights} / {@code --exclude-weights}: keep only, or drop, entries whose name contains one of
     * the strings (substring match, as llama-quantize). Give at most one of the two lists a non-empty value.
     */
    public ImportanceMatrix filter(List<String> include, List<String> exclude) {
        if (!include.isEmpty() && !exclude.isEmpty()) {
            throw new IllegalArgumentException("--include-weights and --exclude-weights cannot be used together");
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : weights.entrySet()) {
            String n = e.getKey();
            boolean keep = include.isEmpty() ? exclude.stream().noneMatch(n::contains)
                    : include.stream().anyMatch(n::contains);
            if (keep) {
                out.put(n, e.getValue());
            }
        }
        return new ImportanceMatrix(file, out, datasets, chunkCount);
    }
}
