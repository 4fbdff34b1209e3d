package io.weightcast.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Golden vectors written by ggml (llama.cpp 0ad4a86 libggml-base, x86-64 baseline build) and torch FP8/F16/BF16
 * casts, loaded from the classpath ({@code /golden/} and {@code /torch-fp8/}; see each folder's PROVENANCE.md).
 *
 * <p>Every distribution's input is {@link #rows(String)} × {@link #cols(String)} float32 values, row-major; the
 * quantized bytes are those rows back to back ({@code cols} is a multiple of every block size, so a row is whole
 * blocks and the file is just {@code rows*cols/blockSize} blocks). Type names are ggml's lower-case names
 * ({@code q8_0}, {@code f16}, {@code bf16}). Results are fresh arrays; callers may modify them.
 */
public final class GoldenVectors {

    private static final String GOLDEN = "/golden/";
    private static final String TORCH = "/torch-fp8/";

    private GoldenVectors() {}

    /** One input distribution as listed in the manifest. */
    public record Distribution(String name, int rows, int cols, String description) {}

    private static final class Manifest {
        static final Manifest INSTANCE = load();
        final Map<String, Distribution> distributions = new LinkedHashMap<>();
        final List<String> types = new ArrayList<>();

        @SuppressWarnings("unchecked")
        static Manifest load() {
            Manifest m = new Manifest();
            Object root = new Json(new String(resource(GOLDEN + "manifest.json"), StandardCharsets.UTF_8)).parse();
            LinkedHashSet<String> types = new LinkedHashSet<>();
            for (Object o : (List<Object>) ((Map<String, Object>) root).get("files")) {
                Map<String, Object> f = (Map<String, Object>) o;
                String kind = (String) f.get("kind");
                String dist = (String) f.get("dist");
                if ("input".equals(kind)) {
                    m.distributions.put(dist, new Distribution(dist, ((Number) f.get("rows")).intValue(),
                            ((Number) f.get("cols")).intValue(), Objects.toString(f.get("description"), "")));
                } else if ("quantized".equals(kind)) {
                    types.add((String) f.get("type"));
                }
            }
            m.types.addAll(types);
            return m;
        }
    }

    /** Names of the input distributions, in manifest order (gaussian, heavy_t3, outlier_mix, zero, constant, …). */
    public static List<String> distributions() {
        return List.copyOf(Manifest.INSTANCE.distributions.keySet());
    }

    /** ggml type names with golden files here ({@code f16, bf16, q4_0, …, tq1_0, mxfp4, …, iq2_s, …}). */
    public static List<String> types() {
        return Collections.unmodifiableList(Manifest.INSTANCE.types);
    }

    public static Distribution distribution(String dist) {
        Distribution d = Manifest.INSTANCE.distributions.get(dist);
        if (d == null) {
            throw new IllegalArgumentException("no golden distribution '" + dist + "'; have " + distributions());
        }
        return d;
    }

    public static int rows(String dist) {
        return distribution(dist).rows();
    }

    public static int cols(String dist) {
        return distribution(dist).cols();
    }

    /** The float32 input of a distribution, rows × cols row-major. */
    public static float[] input(String dist) {
        distribution(dist);
        return floats(resource(GOLDEN + "input-" + dist + ".f32"));
    }

    /** ggml's encoded bytes of {@link #input(String)} for a type ({@code ggml_quantize_chunk}). */
    public static byte[] quantized(String type, String dist) {
        distribution(dist);
        return resource(GOLDEN + type + "-" + dist + ".bin");
    }

    /** ggml's {@code to_float} of {@link #quantized(String, String)}. */
    public static float[] dequantized(String type, String dist) {
        distribution(dist);
        return floats(resource(GOLDEN + type + "-" + dist + ".deq.f32"));
    }

    /** torch-fp8 input values (12,307 float32 incl. edge cases, ±inf and NaN). */
    public static float[] torchInput() {
        return floats(resource(TORCH + "input.f32"));
    }

    /**
     * A raw torch cast file: {@code e4m3fn.u8}, {@code e5m2.u8} (one byte per value), {@code f16.i16},
     * {@code bf16.i16} (little-endian 16-bit patterns).
     */
    public static byte[] torchBytes(String file) {
        return resource(TORCH + file);
    }

    /** A torch cast back to float32: {@code e4m3fn.deq.f32} or {@code e5m2.deq.f32}. */
    public static float[] torchFloats(String file) {
        return floats(resource(TORCH + file));
    }

    /** Little-endian float32 values of a byte array. */
    public static float[] floats(byte[] bytes) {
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Little-endian 16-bit values of a byte array, as unsigned ints in a short array. */
    public static short[] shorts(byte[] bytes) {
        short[] out = new short[bytes.length / 2];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    private static byte[] resource(String path) {
        try (InputStream in = GoldenVectors.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("test resource " + path + " not found on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Just enough JSON for the manifest: objects, arrays, strings, numbers, true/false/null. */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing data");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[' -> {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    if (s.startsWith("true", i)) {
                        i += 4;
                        return Boolean.TRUE;
                    }
                    if (s.startsWith("false", i)) {
                        i += 5;
                        return Boolean.FALSE;
                    }
                    if (s.startsWith("null", i)) {
                        i += 4;
                        return null;
                    }
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (start == i) {
                        throw error("unexpected character '" + c + "'");
                    }
                    String num = s.substring(start, i);
                    return num.matches("-?\\d+") ? (Number) Long.parseLong(num) : (Number) Double.parseDouble(num);
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private IllegalStateException error(String msg) {
            return new IllegalStateException("golden manifest.json: " + msg + " at offset " + i);
        }
    }
}
