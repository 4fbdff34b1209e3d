package io.weightcast.testdata.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.weightcast.testdata.SharedTestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the binding: for every type the peer quantizes without an imatrix, {@code ggml_quantize_chunk} through
 * {@link GgmlPeer} on the golden inputs gives the golden bytes that a C program wrote with the same library, and
 * {@code to_float} gives the golden floats bit for bit.
 */
class GgmlPeerGoldenTest {

    /** The types this test covers (the brief's list: quantized by the peer without imatrix). */
    static final Set<String> TYPES = Set.of("f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K",
            "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0", "mxfp4");

    static Stream<GoldenManifest.Entry> entries() throws IOException {
        var dir = SharedTestData.ggmlGolden();
        if (dir.isEmpty()) {
            return Stream.empty();
        }
        return GoldenManifest.read(dir.get()).quantized().stream().filter(e -> TYPES.contains(e.type()));
    }

    @Test
    void manifestCoversEveryTypeAndDistribution() throws IOException {
        Path dir = PeerAssumptions.golden();
        List<GoldenManifest.Entry> all = GoldenManifest.read(dir).quantized();
        assertThat(all.stream().map(GoldenManifest.Entry::type).distinct()).containsAll(TYPES);
        assertThat(entries().count()).isEqualTo(TYPES.size() * 7L);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("entries")
    void quantizeChunkReproducesGoldenBytes(GoldenManifest.Entry e) throws IOException {
        GgmlPeer peer = PeerAssumptions.peer();
        Path dir = PeerAssumptions.golden();
        assertThat(peer.typeName(e.typeId())).isEqualTo(e.type());
        float[] input = floats(Files.readAllBytes(dir.resolve(e.inputFile())));
        assertThat(input).hasSize(e.rows() * e.cols());
        byte[] expected = Files.readAllBytes(dir.resolve(e.file()));
        assertThat(expected.length).isEqualTo(e.rows() * peer.rowSize(e.typeId(), e.cols()));

        byte[] ours = peer.quantize(e.typeId(), input, e.cols());
        int diff = firstDifference(ours, expected);
        if (diff >= 0) {
            fail(e + ": byte " + diff + " differs (peer " + (ours[diff] & 0xFF) + ", golden "
                    + (expected[diff] & 0xFF) + ")");
        }
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("entries")
    void toFloatReproducesGoldenFloats(GoldenManifest.Entry e) throws IOException {
        GgmlPeer peer = PeerAssumptions.peer();
        Path dir = PeerAssumptions.golden();
        byte[] q = Files.readAllBytes(dir.resolve(e.file()));
        float[] expected = floats(Files.readAllBytes(dir.resolve(e.dequantizedFile())));
        float[] got = peer.dequantize(e.typeId(), q, e.rows() * e.cols());
        for (int i = 0; i < got.length; i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(expected[i])) {
                fail(e + ": float " + i + " is " + got[i] + ", golden " + expected[i]);
            }
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static int firstDifference(byte[] a, byte[] b) {
        int m = java.util.Arrays.mismatch(a, b);
        return m;
    }
}
