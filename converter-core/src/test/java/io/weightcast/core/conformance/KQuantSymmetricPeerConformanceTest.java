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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property tests of the Q6_K, Q3_K, IQ4_NL and IQ4_XS codecs (scalar and vector) against the peer's
 * {@code ggml_quantize_chunk}, without and with an importance matrix (random positive weights, one per column, the
 * same for every row, as llama-quantize passes them), and of their decoders against ggml's {@code to_float}.
 * Rows of 512 (two super-blocks) check that the imatrix is indexed by column. Skipped without the peer.
 */
class KQuantSymmetricPeerConformanceTest {

    static final int ROW = 512;
    static final int ROWS = 1536;
    static final long SEED = 0x6B5153L;

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

    static List<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (DType t : List.of(DType.Q6_K, DType.Q3_K, DType.IQ4_NL, DType.IQ4_XS)) {
            l.add(Arguments.of(t, false));
            l.add(Arguments.of(t, true));
        }
        return l;
    }

    /** Random positive importance: log-normal over ~6 decades, with some very small and very large columns. */
    static float[] imatrix(SplittableRandom r, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) Math.exp(r.nextGaussian() * 3);
            if (r.nextInt(64) == 0) {
                w[i] = r.nextBoolean() ? 1e-20f : 1e6f;
            }
        }
        return w;
    }

    @ParameterizedTest(name = "{0} imatrix={1}")
    @MethodSource("cases")
    void encodeMatchesGgmlBytes(DType t, boolean withImatrix) {
        float[] x = new float[ROWS * ROW];
        String[] gen = new String[ROWS];
        SplittableRandom rnd = new SplittableRandom(SEED ^ t.ordinal() ^ (withImatrix ? 0x100 : 0));
        for (int r = 0; r < ROWS; r++) {
            RowGenerators.Named g = RowGenerators.ALL.get(r % RowGenerators.ALL.size());
            gen[r] = g.name();
            g.gen().fill(rnd.split(), t, x, r * ROW, ROW);
        }
        float[] im = withImatrix ? imatrix(rnd.split(), ROW) : null;
        byte[] expected = peer.quantize(t.ggmlId(), x, ROW, im);
        int rowBytes = (int) t.byteSize(ROW);
        List<String> failures = new ArrayList<>();
        for (Codec c : implementations(t)) {
            byte[] ours;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = arena.allocate(expected.length);
                c.encodeRows(x, 0, ROWS, ROW, im, dst, 0);
                ours = dst.toArray(ValueLayout.JAVA_BYTE);
            }
            Map<String, Integer> bad = new LinkedHashMap<>();
            String first = null;
            for (int r = 0; r < ROWS; r++) {
                int m = Arrays.mismatch(ours, r * rowBytes, (r + 1) * rowBytes, expected, r * rowBytes,
                        (r + 1) * rowBytes);
                if (m >= 0) {
                    bad.merge(gen[r], 1, Integer::sum);
                    if (first == null) {
                        first = describeBlock(t, x, ours, expected, r, m);
                    }
                }
            }
            if (!bad.isEmpty()) {
                failures.add(c + ": rows differing per generator " + bad + "; first: " + first);
            }
            // one row at a time, odd offsets on both sides
            byte[] heap = new byte[rowBytes + 3];
            for (int r = 0; r < ROWS; r += 41) {
                c.encodeRows(x, r * ROW, 1, ROW, im, MemorySegment.ofArray(heap), 3);
                if (Arrays.mismatch(heap, 3, 3 + rowBytes, expected, r * rowBytes, (r + 1) * rowBytes) >= 0) {
                    failures.add(c + ": row " + r + " (" + gen[r] + ") alone at offsets differs from ggml");
                    break;
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(t + (withImatrix ? " with" : " without") + " imatrix differs from ggml_quantize_chunk:\n  "
                    + String.join("\n  ", failures));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q3_K", "IQ4_NL", "IQ4_XS"})
    void decodeMatchesGgmlFloats(DType t) {
        float[] x = new float[ROWS * ROW];
        SplittableRandom rnd = new SplittableRandom(SEED * 31 + t.ordinal());
        for (int r = 0; r < ROWS; r++) {
            RowGenerators.ALL.get(r % RowGenerators.ALL.size()).gen().fill(rnd.split(), t, x, r * ROW, ROW);
        }
        checkDecode(t, peer.quantize(t.ggmlId(), x, ROW), x.length, "ggml's bytes", false);
        byte[] q = new byte[(int) t.byteSize(1 << 18)];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) rnd.nextInt(256);
        }
        checkDecode(t, q, 1 << 18, "random bytes", true);
    }

    /** As in {@link CodecPeerConformanceTest}: NaN results differing only in payload are tolerated for random bytes. */
    private static void checkDecode(DType t, byte[] q, int n, String what, boolean random) {
        float[] expected = peer.dequantize(t.ggmlId(), q, n);
        List<String> failures = new ArrayList<>();
        for (Codec c : implementations(t)) {
            float[] ours = new float[n + 1];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(q.length + 1);
                MemorySegment.copy(q, 0, src, ValueLayout.JAVA_BYTE, 1, q.length);
                c.decode(src, 1, n, ours, 1);
            }
            long bad = 0;
            long nan = 0;
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(ours[i + 1]) != Float.floatToRawIntBits(expected[i])) {
                    if (Float.isNaN(ours[i + 1]) && Float.isNaN(expected[i])) {
                        nan++;
                    } else {
                        bad++;
                    }
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            if (bad > 0 || (nan > 0 && !random)) {
                failures.add(String.format("%s: %d floats differ (%d more only in NaN payload); first at %d: ours %s,"
                        + " ggml %s", c, bad, nan, first, ours[first + 1], expected[first]));
            }
        }
        if (!failures.isEmpty()) {
            fail(t + " decode of " + what + " differs from ggml:\n  " + String.join("\n  ", failures));
        }
    }

    private static String describeBlock(DType t, float[] x, byte[] ours, byte[] expected, int row, int byteInRow) {
        int rowBytes = (int) t.byteSize(ROW);
        int blockInRow = byteInRow / t.blockBytes();
        int b0 = row * rowBytes + blockInRow * t.blockBytes();
        int e0 = row * ROW + blockInRow * t.blockSize();
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < Math.min(t.blockSize(), 48); i++) {
            in.append(i == 0 ? "" : ", ").append(Float.toHexString(x[e0 + i]));
        }
        return String.format("row %d block %d byte %d: ours %s, ggml %s, input [%s ...]", row, blockInRow,
                byteInRow % t.blockBytes(), HexFormat.of().formatHex(ours, b0, b0 + t.blockBytes()),
                HexFormat.of().formatHex(expected, b0, b0 + t.blockBytes()), in);
    }
}
