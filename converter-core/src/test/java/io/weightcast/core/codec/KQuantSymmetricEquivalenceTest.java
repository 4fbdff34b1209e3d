package io.weightcast.core.codec;

import static io.weightcast.core.codec.CodecTestSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Q6_K, Q3_K, IQ4_NL, IQ4_XS: the Vector API kernels against the scalar references, byte for byte, over 1..9
 * super-blocks (so every lane-group tail occurs) and awkward values, without and with an importance matrix.
 * Reuses {@link ScalarVectorEquivalenceTest#GENERATORS} plus k-quant ties and outliers.
 */
@Tag("kernels")
class KQuantSymmetricEquivalenceTest {

    static final List<DType> TYPES = List.of(DType.Q6_K, DType.Q3_K, DType.IQ4_NL, DType.IQ4_XS);

    static List<Object[]> generators() {
        // Not the shared "NaN and inf sprinkled" rows: they mix NaNs of different payloads (and inf arithmetic's default
        // NaN), and when two NaNs meet in a sum, x86 keeps the first operand's payload while C2 may swap the operands
        // of a commutative add, so neither twin's bytes are defined by the source there (ggml's are not either; the
        // GPU sends such blocks to the CPU). One kind of NaN per row keeps every NaN path comparable.
        List<Object[]> g = new ArrayList<>(ScalarVectorEquivalenceTest.GENERATORS.stream()
                .filter(x -> !x[0].equals("NaN and inf sprinkled")).toList());
        g.add(ScalarVectorEquivalenceTest.gen("NaN sprinkled", (r, n) -> ScalarVectorEquivalenceTest.fill(n,
                i -> r.nextInt(16) == 0 ? Float.NaN : (float) r.nextGaussian())));
        g.add(ScalarVectorEquivalenceTest.gen("inf sprinkled", (r, n) -> ScalarVectorEquivalenceTest.fill(n,
                i -> r.nextInt(16) == 0 ? (r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY)
                        : (float) r.nextGaussian())));
        g.add(ScalarVectorEquivalenceTest.gen("k ties", (r, n) -> ScalarVectorEquivalenceTest.fill(n,
                i -> (r.nextInt(64) - 32 + 0.5f) * (float) Math.scalb(1.0, r.nextInt(-8, 8)))));
        g.add(ScalarVectorEquivalenceTest.gen("constants per 16", (r, n) -> {
            float[] x = new float[n];
            for (int b = 0; b < n; b += 16) {
                Arrays.fill(x, b, Math.min(n, b + 16), (float) r.nextGaussian() * (r.nextBoolean() ? 1 : 1e-16f));
            }
            return x;
        }));
        g.add(ScalarVectorEquivalenceTest.gen("outliers", (r, n) -> ScalarVectorEquivalenceTest.fill(n,
                i -> (float) r.nextGaussian() * (r.nextInt(50) == 0 ? 1e4f : 1f))));
        g.add(ScalarVectorEquivalenceTest.gen("gaussian*1e19", (r, n) -> ScalarVectorEquivalenceTest.fill(n,
                i -> (float) r.nextGaussian() * 1e19f)));
        return g;
    }

    static List<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (DType t : TYPES) {
            for (Object[] g : generators()) {
                l.add(Arguments.of(t, g[0], g[1], false));
                l.add(Arguments.of(t, g[0], g[1], true));
            }
        }
        return l;
    }

    @ParameterizedTest(name = "{0} {1} imatrix={3}")
    @MethodSource("cases")
    void vectorEqualsScalar(DType type, String gen, BiFunction<Random, Integer, float[]> g, boolean imatrix) {
        Codec scalar = Codecs.scalar(type);
        Codec vector = Codecs.vector(type).orElse(null);
        assumeTrue(vector != null, "no Vector API in this JVM");
        Random r = new Random(type.ordinal() * 1000L + gen.hashCode() + (imatrix ? 7 : 0));
        for (int sb = 1; sb <= 9; sb++) {
            int n = sb * 256;
            float[] x = g.apply(r, n);
            float[] im = null;
            if (imatrix) {
                im = new float[n];
                for (int i = 0; i < n; i++) {
                    im[i] = (float) Math.exp(r.nextGaussian() * 2);
                }
            }
            // two rows of n/2 when possible, to exercise the per-row importance offsets
            int rows = n % (2 * type.blockSize()) == 0 ? 2 : 1;
            byte[] s = new byte[(int) type.byteSize(n)];
            byte[] v = new byte[s.length + 3];
            scalar.encodeRows(x, 0, rows, n / rows, im, MemorySegment.ofArray(s), 0);
            vector.encodeRows(x, 0, rows, n / rows, im, MemorySegment.ofArray(v), 3);
            v = Arrays.copyOfRange(v, 3, v.length);
            int i = Arrays.mismatch(s, v);
            int bb = type.blockBytes();
            assertThat(i).as("%s %s n=%d imatrix=%s: byte %d: scalar [%s] vector [%s]", type, gen, n, imatrix, i,
                    hex(s, i / bb * bb, bb), hex(v, i / bb * bb, bb)).isEqualTo(-1);
            float[] a = CodecTestSupport.decode(scalar, s, n);
            float[] b = CodecTestSupport.decodeUnaligned(vector, s, n);
            assertThat(CodecTestSupport.firstBitDifference(a, b)).as("%s %s decode", type, gen).isEqualTo(-1);
            byte[] random = new byte[s.length];
            r.nextBytes(random);
            a = CodecTestSupport.decode(scalar, random, n);
            b = CodecTestSupport.decodeUnaligned(vector, random, n);
            for (int k = 0; k < n; k++) {
                boolean same = Float.floatToRawIntBits(a[k]) == Float.floatToRawIntBits(b[k])
                        || (Float.isNaN(a[k]) && Float.isNaN(b[k]));
                assertThat(same).as("%s random-bytes decode element %d: %s vs %s", type, k, a[k], b[k]).isTrue();
            }
        }
    }
}
