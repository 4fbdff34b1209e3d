package io.weightcast.testdata.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The quantized entries of {@code ggml-golden/manifest.json} (one JSON object per line, read by pattern). */
record GoldenManifest(List<Entry> quantized) {

    record Entry(String file, String dist, String type, int typeId, int rows, int cols, String inputFile,
            String dequantizedFile) {
        @Override
        public String toString() {
            return type + "-" + dist;
        }
    }

    static GoldenManifest read(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("manifest.json"))) {
            if (!line.contains("\"kind\": \"quantized\"")) {
                continue;
            }
            out.add(new Entry(str(line, "file"), str(line, "dist"), str(line, "type"), num(line, "ggml_type_id"),
                    num(line, "rows"), num(line, "cols"), str(line, "input_file"), str(line, "dequantized_file")));
        }
        return new GoldenManifest(List.copyOf(out));
    }

    private static String str(String line, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": \"([^\"]*)\"").matcher(line);
        if (!m.find()) {
            throw new IllegalStateException("no " + key + " in " + line);
        }
        return m.group(1);
    }

    private static int num(String line, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(line);
        if (!m.find()) {
            throw new IllegalStateException("no " + key + " in " + line);
        }
        return Integer.parseInt(m.group(1));
    }
}
