package io.weightcast.core.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.scalar.MXFP4Scalar;
import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.generators.IqTableGenerator;
import io.weightcast.testdata.peer.GgmlPeer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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
 * Property tests against the peer for the codecs added with issue 3's "misc" part: TQ1_0, TQ2_0, MXFP4, NVFP4,
 * Q1_0, Q2_0 (bytes and decoded floats bitwise, scalar and vector), Q8_1 (against the exported
 * {@code quantize_row_q8_1_ref}, since {@code ggml_quantize_chunk} aborts for it), the importance-weighted
 * encoders of Q4_0/Q4_1/Q5_0/Q5_1 (random positive weights), the read-only IQ decoders (peer bytes and random
 * bytes), the peer-derived IQ tables, and MXFP4's exponent recipe on sampled amax values. Skipped without the peer.
 */
class MiscCodecPeerConformanceTest {

    static final int ROW = 256;
    static final int ROWS = 384;
    static final long SEED = 0x1A2B3C4DL;

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

    /** RowGenerators minus those that only know the legacy types, plus ties for the FP4 and ternary codes. */
    static final List<RowGenerators.Named> GENS = generators();

    private static List<RowGenerators.Named> generators() {
        List<RowGenerators.Named> l = new ArrayList<>();
        for (RowGenerators.Named g : RowGenerators.ALL) {
            if (!g.name().equals("ties") && !g.name().equals("mixed blocks")) {
                l.add(g);
            }
        }
        l.add(new RowGenerators.Named("fp4/ternary ties", (r, t, x, off, len) -> {
            float s = (float) Math.scalb(1.0, r.nextInt(-20, 20));
            for (int i = 0; i < len; i++) {
                x[off + i] = r.nextInt(-16, 17) * 0.0625f * s;
            }
            for (int b = 0; b < len; b += 16) {
                x[off + b + r.nextInt(16)] = (r.nextBoolean() ? 1f : -1f) * s;
            }
        }));
        return List.copyOf(l);
    }

    static float[] rows(DType t, long seed, String[] names) {
        float[] x = new float[ROWS * ROW];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 0; r < ROWS; r++) {
            RowGenerators.Named g = GENS.get(r % GENS.size());
            if (names != null) {
                names[r] = g.name();
            }
            g.gen().fill(rnd.split(), t, x, r * ROW, ROW);
        }
        return x;
    }

    private static byte[] encodeRows(Codec c, float[] x, float[] imatrix) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(c.type().byteSize(x.length) + 3);
            c.encodeRows(x, 0, x.length / ROW, ROW, imatrix, dst, 3);
            return dst.asSlice(3).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void compareRows(DType t, String what, float[] x, String[] gen, byte[] expected,
            float[] imatrix) {
        int rowBytes = (int) t.byteSize(ROW);
        List<String> failures = new ArrayList<>();
        for (Codec c : implementations(t)) {
            byte[] ours = encodeRows(c, x, imatrix);
            Map<String, Integer> bad = new LinkedHashMap<>();
            String first = null;
            for (int r = 0; r < ROWS; r++) {
                int m = Arrays.mismatch(ours, r * rowBytes, (r + 1) * rowBytes, expected, r * rowBytes,
                        (r + 1) * rowBytes);
                if (m >= 0) {
                    bad.merge(gen[r], 1, Integer::sum);
                    if (first == null) {
                        int b0 = r * rowBytes + m / t.blockBytes() * t.blockBytes();
                        first = String.format("row %d byte %d: ours %s ggml %s", r, m,
                                HexFormat.of().formatHex(ours, b0, b0 + t.blockBytes()),
                                HexFormat.of().formatHex(expected, b0, b0 + t.blockBytes()));
                    }
                }
            }
            if (!bad.isEmpty()) {
                failures.add(c + ": rows differing per generator " + bad + "; first: " + first);
            }
        }
        if (!failures.isEmpty()) {
            fail(t + " " + what + " differs from ggml:\n  " + String.join("\n  ", failures));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0"})
    void encodeMatchesGgmlBytes(DType t) {
        String[] gen = new String[ROWS];
        float[] x = rows(t, SEED ^ t.ordinal(), gen);
        compareRows(t, "encode", x, gen, peer.quantize(t.ggmlId(), x, ROW), null);
        // ggml ignores an imatrix for these types; so must we
        float[] im = new float[ROW];
        Arrays.fill(im, 0.5f);
        compareRows(t, "encode with an (ignored) imatrix", x, gen, peer.quantize(t.ggmlId(), x, ROW), im);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void importanceWeightedEncodeMatchesGgml(DType t) {
        String[] gen = new String[ROWS];
        float[] x = rows(t, SEED * 7 + t.ordinal(), gen);
        SplittableRandom rnd = new SplittableRandom(SEED + t.ordinal());
        for (int k = 0; k < 3; k++) {
            float[] im = new float[ROW];
            for (int i = 0; i < ROW; i++) {
                im[i] = switch (k) {
                    case 0 -> (float) Math.exp(rnd.nextGaussian() * 2); // typical imatrix spread
                    case 1 -> (float) rnd.nextDouble(1e-6, 1e4);
                    default -> 1.0f;
                };
            }
            compareRows(t, "imatrix encode (weights " + k + ")", x, gen, peer.quantize(t.ggmlId(), x, ROW, im), im);
        }
    }

    @Test
    void q8_1MatchesQuantizeRowRef() throws Throwable {
        MemorySegment sym = SymbolLookup.libraryLookup(peer.library(), Arena.global()).find("quantize_row_q8_1_ref")
                .orElseThrow();
        MethodHandle ref = Linker.nativeLinker().downcallHandle(sym,
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        String[] gen = new String[ROWS];
        float[] x = rows(DType.Q8_1, SEED + 81, gen);
        byte[] expected;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment dst = arena.allocate(DType.Q8_1.byteSize(x.length));
            ref.invokeExact(src, dst, (long) x.length);
            expected = dst.toArray(ValueLayout.JAVA_BYTE);
        }
        compareRows(DType.Q8_1, "encode (vs quantize_row_q8_1_ref)", x, gen, expected, null);
    }

    @ParameterizedTest
    @EnumSource(names = {"TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0", "IQ2_S", "IQ3_S", "IQ3_XXS", "IQ1_M"})
    void decodeMatchesGgmlOnGgmlBytes(DType t) {
        float[] x = Codecs.canEncode(t) ? rows(t, SEED * 31 + t.ordinal(), null) : gaussianRows(t, 16);
        checkDecode(t, peer.quantize(t.ggmlId(), x, ROW), x.length, "ggml's bytes", false);
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ1_S"})
    void decodeMatchesGgmlOnImatrixOnlyTypes(DType t) {
        float[] x = gaussianRows(t, 8);
        float[] im = new float[ROW];
        SplittableRandom rnd = new SplittableRandom(t.ordinal());
        for (int i = 0; i < ROW; i++) {
            im[i] = (float) Math.exp(rnd.nextGaussian());
        }
        checkDecode(t, peer.quantize(t.ggmlId(), x, ROW, im), x.length, "ggml's bytes", false);
    }

    /**
     * Gaussian rows of varied scale for the IQ quantizers, which are slow and assert on degenerate inputs (NaN,
     * huge values): these tests only need valid ggml bytes to decode.
     */
    static float[] gaussianRows(DType t, int rows) {
        SplittableRandom rnd = new SplittableRandom(SEED + t.ordinal());
        float[] x = new float[rows * ROW];
        for (int r = 0; r < rows; r++) {
            double s = Math.pow(10, rnd.nextInt(-4, 3));
            for (int i = 0; i < ROW; i++) {
                x[r * ROW + i] = (float) (rnd.nextGaussian() * s);
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = {"TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS",
        "IQ3_S", "IQ1_S", "IQ1_M"})
    void decodeMatchesGgmlOnRandomBytes(DType t) {
        int n = 1 << 17;
        byte[] q = new byte[(int) t.byteSize(n)];
        SplittableRandom rnd = new SplittableRandom(SEED + 11 * t.ordinal());
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) rnd.nextInt(256);
        }
        checkDecode(t, q, n, "random bytes", true);
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void readOnlyTypesRefuseToEncode(DType t) {
        assertThat(Codecs.canDecode(t)).isTrue();
        assertThat(Codecs.canEncode(t)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Codecs.forType(t).encode(new float[256], 0, 256,
                MemorySegment.ofArray(new byte[t.blockBytes()]), 0))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("writing " + t);
    }

    @Test
    void iqTablesEqualWhatThePeerDecodes() throws IOException {
        for (Map.Entry<String, byte[]> e : IqTableGenerator.generate(peer).entrySet()) {
            try (InputStream in = Codecs.class.getResourceAsStream("/io/weightcast/core/codec/tables/" + e.getKey())) {
                assertThat(in).as(e.getKey()).isNotNull();
                assertThat(in.readAllBytes()).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    /**
     * MXFP4's {@code floorf(log2f(amax))} on sampled amax values: every float within 48 ulps of each power of two
     * (where glibc's float log2 rounds to the integer) and random positive floats; one block per value, the
     * exponent byte compared. The exhaustive run over all positive finite floats is a one-off (see the report).
     */
    @Test
    void mxfp4ExponentRecipeMatchesGgmlOnSamples() {
        List<Float> v = new ArrayList<>();
        for (int e = -125; e <= 127; e++) {
            int p = Float.floatToRawIntBits(Math.scalb(1.0f, e));
            for (int k = -48; k <= 48; k++) {
                float f = Float.intBitsToFloat(p + k);
                if (f > 0 && Float.isFinite(f)) {
                    v.add(f);
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 20000; i++) {
            v.add(Float.intBitsToFloat(rnd.nextInt(0x01000000, 0x7F800000)));
        }
        float[] x = new float[v.size() * 32];
        for (int i = 0; i < v.size(); i++) {
            x[32 * i + (i % 32)] = (i & 1) == 0 ? v.get(i) : -v.get(i);
        }
        byte[] q = peer.quantize(DType.MXFP4.ggmlId(), x, 32);
        int bad = 0;
        String first = null;
        for (int i = 0; i < v.size(); i++) {
            int ggml = q[17 * i] & 0xFF;
            int ours = MXFP4Scalar.exponent(v.get(i));
            int fast = MXFP4Scalar.exponentFast(v.get(i));
            if (ggml != ours || ggml != fast) {
                bad++;
                if (first == null) {
                    first = Float.toHexString(v.get(i)) + ": ggml " + ggml + ", ours " + ours + ", fast " + fast;
                }
            }
        }
        assertThat(bad).as("exponents differing from ggml's, first %s", first).isZero();
    }

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
                int blk = first / t.blockSize();
                failures.add(String.format("%s: %d floats differ (+%d NaN payloads); first at %d: ours %s, ggml %s;"
                        + " block %s", c, bad, nanPayload, first, ours[first + 1], expected[first],
                        HexFormat.of().formatHex(q, blk * t.blockBytes(), (blk + 1) * t.blockBytes())));
            }
        }
        if (!failures.isEmpty()) {
            fail(t + " decode of " + what + " differs from ggml's to_float:\n  " + String.join("\n  ", failures));
        }
    }
}
