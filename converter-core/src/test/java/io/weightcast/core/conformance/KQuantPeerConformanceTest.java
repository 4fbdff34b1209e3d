package io.weightcast.core.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.peer.GgmlPeer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Property tests of the asymmetric k-quant codecs (Q2_K, Q4_K, Q5_K) and Q8_K against the peer: seeded hard rows
 * ({@link RowGenerators} plus k-quant ties), quantized by our scalar and vector codecs and by ggml's
 * {@code ggml_quantize_chunk} without and with an importance matrix (random positive weights, one per column, as
 * llama-quantize passes them), must give identical bytes; decoding ggml's bytes and random bytes must give ggml's
 * floats bit for bit. Q8_K, which {@code ggml_quantize_chunk} refuses, is compared with
 * {@code quantize_row_q8_K_ref} and {@code dequantize_row_q8_K}. Skipped when the peer library is absent.
 */
class KQuantPeerConformanceTest {

    static final int ROW = 512; // two super-blocks: imatrix columns must follow the block within the row
    static final int ROWS = 1200;
    static final long SEED = 0x6B51A7L;

    static GgmlPeer peer;

    @BeforeAll
    static void peer() {
        var p = GgmlPeer.load();
        assumeTrue(p.isPresent(), () -> "peer absent: " + GgmlPeer.unavailableReason());
        peer = p.get();
    }

    static List<Codec> implementations(DType t) {
        List<Codec> l = new ArrayList<>();
        l.add(Codecs.scalar(t));
        Codecs.vector(t).ifPresent(l::add);
        return l;
    }

    /** The shared generators, except those that are built per legacy type, plus ties for the k-quant searches. */
    static final List<RowGenerators.Named> GENERATORS;

    static {
        List<RowGenerators.Named> g = new ArrayList<>();
        for (RowGenerators.Named n : RowGenerators.ALL) {
            if (!n.name().equals("ties") && !n.name().equals("mixed blocks")) {
                g.add(n);
            }
        }
        // sub-blocks of exact multiples of a power of two, offset by a multiple: codes and min land on ties
        g.add(new RowGenerators.Named("k-quant ties", (r, t, x, off, len) -> {
            for (int b = 0; b < len; b += 16) {
                float s = (float) Math.scalb(1.0, r.nextInt(-10, 10));
                int levels = new int[] {3, 15, 31, 63}[r.nextInt(4)];
                float min = -r.nextInt(0, levels + 1) * s;
                for (int i = b; i < b + 16; i++) {
                    x[off + i] = min + (r.nextInt(0, 2 * levels + 1) * 0.5f) * s;
                }
            }
        }));
        g.add(new RowGenerators.Named("sparse blocks", (r, t, x, off, len) -> {
            for (int i = 0; i < len; i++) {
                x[off + i] = r.nextInt(8) == 0 ? (float) r.nextGaussian() : 0f;
            }
        }));
        // no NaN generator: see ScalarVectorEquivalenceTest's NAN_NOTE (NaN payloads reach nearest_int)
        GENERATORS = List.copyOf(g);
    }

    static float[] input(DType t, long seed, String[] gen) {
        float[] x = new float[ROWS * ROW];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < ROWS; r++) {
            RowGenerators.Named g = GENERATORS.get(r % GENERATORS.size());
            if (gen != null) {
                gen[r] = g.name();
            }
            g.gen().fill(rnd.split(), t, x, r * ROW, ROW);
        }
        return x;
    }

    /** Positive per-column weights of several shapes (as imatrix files hold: mean squared activations). */
    static float[] importance(SplittableRandom r, int variant) {
        float[] w = new float[ROW];
        for (int i = 0; i < ROW; i++) {
            w[i] = switch (variant % 4) {
                case 0 -> (float) Math.exp(r.nextGaussian() * 2);
                case 1 -> (float) (r.nextDouble() * 1e-3 + 1e-12);
                case 2 -> r.nextInt(50) == 0 ? 1e4f * (float) r.nextDouble() : (float) r.nextDouble();
                default -> (float) Math.pow(10, r.nextInt(-8, 8)) * (float) (0.5 + r.nextDouble());
            };
        }
        return w;
    }

    static final int BATCHES = 4;

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q4_K", "Q5_K"})
    void encodeMatchesGgmlBytes(DType t) {
        String[] gen = new String[ROWS];
        float[] x = input(t, SEED ^ t.ordinal(), gen);
        int rowBytes = (int) t.byteSize(ROW);
        List<String> failures = new ArrayList<>();
        // no imatrix: the whole batch in one call
        byte[] expected = peer.quantize(t.ggmlId(), x, ROW);
        for (Codec c : implementations(t)) {
            byte[] ours = encode(c, x, 0, ROWS, null);
            compare(t, c, "no imatrix", x, 0, ROWS, gen, ours, expected, failures);
        }
        // with an imatrix: BATCHES groups of rows, each with its own weights
        SplittableRandom rnd = new SplittableRandom(SEED * 17 + t.ordinal());
        int per = ROWS / BATCHES;
        for (int b = 0; b < BATCHES; b++) {
            float[] w = importance(rnd, b);
            float[] xs = Arrays.copyOfRange(x, b * per * ROW, (b + 1) * per * ROW);
            byte[] exp = peer.quantize(t.ggmlId(), xs, ROW, w);
            for (Codec c : implementations(t)) {
                byte[] ours = encode(c, xs, 0, per, w);
                compare(t, c, "imatrix " + b, xs, b * per, per, gen, ours, exp, failures);
            }
        }
        // offsets honoured: one row at odd source and destination offsets, with and without weights
        float[] w = importance(rnd, 0);
        byte[] exp = peer.quantize(t.ggmlId(), Arrays.copyOfRange(x, 5 * ROW, 6 * ROW), ROW, w);
        for (Codec c : implementations(t)) {
            byte[] heap = new byte[rowBytes + 3];
            c.encodeRows(x, 5 * ROW, 1, ROW, w, MemorySegment.ofArray(heap), 3);
            if (Arrays.mismatch(heap, 3, 3 + rowBytes, exp, 0, rowBytes) >= 0) {
                failures.add(c + ": row 5 with imatrix at src offset " + 5 * ROW + ", dst offset 3 differs");
            }
        }
        if (!failures.isEmpty()) {
            fail(t + " encode differs from ggml_quantize_chunk:\n  " + String.join("\n  ", failures));
        }
    }

    private static byte[] encode(Codec c, float[] x, int firstRow, int rows, float[] w) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(rows * c.type().byteSize(ROW));
            c.encodeRows(x, firstRow * ROW, rows, ROW, w, dst, 0);
            return dst.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void compare(DType t, Codec c, String what, float[] x, int genRow0, int rows, String[] gen,
            byte[] ours, byte[] expected, List<String> failures) {
        int rowBytes = (int) t.byteSize(ROW);
        Map<String, Integer> bad = new LinkedHashMap<>();
        String first = null;
        for (int r = 0; r < rows; r++) {
            int m = Arrays.mismatch(ours, r * rowBytes, (r + 1) * rowBytes, expected, r * rowBytes,
                    (r + 1) * rowBytes);
            if (m >= 0) {
                bad.merge(gen[genRow0 + r], 1, Integer::sum);
                if (first == null) {
                    int blk = m / t.blockBytes();
                    int b0 = r * rowBytes + blk * t.blockBytes();
                    first = String.format("row %d block %d byte %d: ours %s ggml %s", r, blk, m % t.blockBytes(),
                            HexFormat.of().formatHex(ours, b0, b0 + t.blockBytes()),
                            HexFormat.of().formatHex(expected, b0, b0 + t.blockBytes()));
                }
            }
        }
        if (!bad.isEmpty()) {
            failures.add(c + " " + what + ": rows differing per generator " + bad + "; first: " + first);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q4_K", "Q5_K"})
    void decodeMatchesGgmlFloats(DType t) {
        float[] x = input(t, SEED * 31 + t.ordinal(), null);
        byte[] q = peer.quantize(t.ggmlId(), x, ROW);
        checkDecode(t, q, x.length, peer.dequantize(t.ggmlId(), q, x.length), "ggml's bytes", false);
        int n = 1 << 17;
        byte[] random = new byte[(int) t.byteSize(n)];
        new SplittableRandom(SEED + t.ordinal()).nextBytes(random);
        checkDecode(t, random, n, peer.dequantize(t.ggmlId(), random, n), "random bytes", true);
    }

    @Test
    void q8KMatchesGgmlRowFunctions() {
        DType t = DType.Q8_K;
        float[] x = input(t, SEED + 99, null);
        byte[] expected = peer.quantizeRowRef(t.ggmlId(), x);
        List<String> failures = new ArrayList<>();
        for (Codec c : implementations(t)) {
            byte[] ours = encode(c, x, 0, ROWS, null);
            int m = Arrays.mismatch(ours, expected);
            if (m >= 0) {
                failures.add(c + ": first differing byte " + m + " (block " + m / t.blockBytes() + ")");
            }
        }
        if (!failures.isEmpty()) {
            fail("Q8_K encode differs from quantize_row_q8_K_ref:\n  " + String.join("\n  ", failures));
        }
        checkDecode(t, expected, x.length, peer.dequantizeRow(t.ggmlId(), expected, x.length), "ggml's bytes",
                false);
        int n = 1 << 16;
        byte[] random = new byte[(int) t.byteSize(n)];
        new SplittableRandom(SEED + 5).nextBytes(random);
        checkDecode(t, random, n, peer.dequantizeRow(t.ggmlId(), random, n), "random bytes", true);
    }

    /** As {@code CodecPeerConformanceTest.checkDecode}: NaN sign/payload differences on random bytes only noted. */
    private static void checkDecode(DType t, byte[] q, int n, float[] expected, String what, boolean random) {
        List<String> failures = new ArrayList<>();
        for (Codec c : implementations(t)) {
            float[] ours = new float[n + 1];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(q.length + 1);
                MemorySegment.copy(q, 0, src, ValueLayout.JAVA_BYTE, 1, q.length);
                c.decode(src, 1, n, ours, 1);
            }
            long bad = 0, nanPayload = 0;
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(ours[i + 1]) != Float.floatToRawIntBits(expected[i])) {
                    if (Float.isNaN(ours[i + 1]) && Float.isNaN(expected[i])) {
                        nanPayload++;
                    } else {
                        bad++;
                    }
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            if (bad > 0 || (nanPayload > 0 && !random)) {
                failures.add(String.format("%s: %d floats differ (%d more in NaN payload only); first at %d: ours %s,"
                        + " ggml %s", c, bad, nanPayload, first, ours[first + 1], expected[first]));
            }
        }
        if (!failures.isEmpty()) {
            fail(t + " decode of " + what + " differs from ggml:\n  " + String.join("\n  ", failures));
        }
    }
}
