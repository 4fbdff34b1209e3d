package io.weightcast.testdata.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The binding's own contract: type traits, refusals of calls that would abort the JVM, the segment API. */
class GgmlPeerTest {

    /** id → {block size, bytes per block} (docs/gguf.md table 2, sizeof of each block struct). */
    static final Map<Integer, long[]> SIZES = new TreeMap<>(Map.ofEntries(
            Map.entry(0, new long[] {1, 4}), Map.entry(1, new long[] {1, 2}), Map.entry(2, new long[] {32, 18}),
            Map.entry(3, new long[] {32, 20}), Map.entry(6, new long[] {32, 22}), Map.entry(7, new long[] {32, 24}),
            Map.entry(8, new long[] {32, 34}), Map.entry(9, new long[] {32, 36}), Map.entry(10, new long[] {256, 84}),
            Map.entry(11, new long[] {256, 110}), Map.entry(12, new long[] {256, 144}),
            Map.entry(13, new long[] {256, 176}), Map.entry(14, new long[] {256, 210}),
            Map.entry(15, new long[] {256, 292}), Map.entry(16, new long[] {256, 66}),
            Map.entry(17, new long[] {256, 74}), Map.entry(18, new long[] {256, 98}),
            Map.entry(19, new long[] {256, 50}), Map.entry(20, new long[] {32, 18}),
            Map.entry(21, new long[] {256, 110}), Map.entry(22, new long[] {256, 82}),
            Map.entry(23, new long[] {256, 136}), Map.entry(24, new long[] {1, 1}), Map.entry(25, new long[] {1, 2}),
            Map.entry(26, new long[] {1, 4}), Map.entry(27, new long[] {1, 8}), Map.entry(28, new long[] {1, 8}),
            Map.entry(29, new long[] {256, 56}), Map.entry(30, new long[] {1, 2}),
            Map.entry(34, new long[] {256, 54}), Map.entry(35, new long[] {256, 66}),
            Map.entry(39, new long[] {32, 17}), Map.entry(40, new long[] {64, 36}),
            Map.entry(41, new long[] {128, 18}), Map.entry(42, new long[] {64, 18})));

    @Test
    void typeTraitsMatchTheTable() {
        GgmlPeer peer = PeerAssumptions.peer();
        for (var e : SIZES.entrySet()) {
            int id = e.getKey();
            long blck = e.getValue()[0], bytes = e.getValue()[1];
            GgmlPeer.TypeTraits t = peer.traits(id);
            assertThat(t.blockSize()).as("blck %d", id).isEqualTo(blck).isEqualTo(peer.blockSize(id));
            assertThat(t.typeSize()).as("size %d", id).isEqualTo(bytes).isEqualTo(peer.typeSize(id));
            assertThat(t.name()).isEqualTo(peer.typeName(id));
            assertThat(t.isQuantized()).as("is_quantized %d", id).isEqualTo(blck > 1);
            assertThat(t.blockSizeInterleave()).isZero();
            assertThat(peer.rowSize(id, blck * 16)).isEqualTo(bytes * 16);
        }
        assertThat(peer.typeName(GgmlPeer.Q4_K)).isEqualTo("q4_K");
        assertThat(peer.typeName(GgmlPeer.Q2_0)).isEqualTo("q2_0");
        assertThat(peer.typeName(4)).isEqualTo("DEPRECATED");
        for (int id = 0; id < GgmlPeer.GGML_TYPE_COUNT; id++) {
            assertThat(peer.requiresImatrix(id)).as("requires imatrix %d", id)
                    .isEqualTo(id == GgmlPeer.IQ2_XXS || id == GgmlPeer.IQ2_XS || id == GgmlPeer.IQ1_S);
            assertThat(SIZES.containsKey(id)).as("known %d", id).isEqualTo(!GgmlPeer.isRemovedType(id));
        }
        // to_float exists for everything we decode, not for q8_1/q8_K/ints
        assertThat(peer.hasToFloat(GgmlPeer.Q8_0)).isTrue();
        assertThat(peer.hasToFloat(GgmlPeer.Q8_1)).isFalse();
        assertThat(peer.hasToFloat(GgmlPeer.Q8_K)).isFalse();
    }

    @Test
    void refusesCallsThatWouldAbort() {
        GgmlPeer peer = PeerAssumptions.peer();
        float[] x = new float[256];
        for (int id : new int[] {GgmlPeer.Q8_1, GgmlPeer.Q8_K, GgmlPeer.I8, GgmlPeer.I16, GgmlPeer.I32, GgmlPeer.I64,
                GgmlPeer.F64, 4, 31, 38, 43, -1}) {
            assertThatThrownBy(() -> peer.quantize(id, x, 256)).as("type %d", id)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (int id : new int[] {GgmlPeer.IQ2_XXS, GgmlPeer.IQ2_XS, GgmlPeer.IQ1_S}) {
            assertThatThrownBy(() -> peer.quantize(id, x, 256)).hasMessageContaining("importance matrix");
        }
        assertThatThrownBy(() -> peer.quantize(GgmlPeer.Q4_K, new float[128], 128))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> peer.quantize(GgmlPeer.Q8_0, new float[48], 48))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> peer.dequantize(GgmlPeer.Q8_1, new byte[36], 32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> peer.dequantize(GgmlPeer.Q8_0, new byte[33], 32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> peer.rowSize(4, 32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> peer.typeName(43)).isInstanceOf(IllegalArgumentException.class);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment heap = MemorySegment.ofArray(new float[32]);
            MemorySegment dst = arena.allocate(34);
            assertThatThrownBy(() -> peer.quantizeChunk(GgmlPeer.Q8_0, heap, dst, 0, 1, 32, null))
                    .hasMessageContaining("native");
            MemorySegment src = arena.allocate(32 * 4);
            assertThatThrownBy(() -> peer.quantizeChunk(GgmlPeer.Q8_0, src, arena.allocate(33), 0, 1, 32, null))
                    .hasMessageContaining("dst");
            assertThatThrownBy(() -> peer.quantizeChunk(GgmlPeer.Q8_0, src, dst, 32, 1, 32, null))
                    .hasMessageContaining("src");
        }
    }

    @Test
    void chunkOffsetsAddressRowsAsInC() {
        GgmlPeer peer = PeerAssumptions.peer();
        int n = 64, rows = 3;
        float[] x = new float[n * rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37) * (1 + i % 7);
        }
        byte[] whole = peer.quantize(GgmlPeer.Q4_0, x, n);
        long row = peer.rowSize(GgmlPeer.Q4_0, n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment dst = arena.allocate(row * rows);
            // only rows 1..2, as a second thread would do it
            long w = peer.quantizeChunk(GgmlPeer.Q4_0, src, dst, n, 2, n, MemorySegment.NULL);
            assertThat(w).isEqualTo(2 * row);
            assertThat(dst.asSlice(row).toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(java.util.Arrays.copyOfRange(whole, (int) row, whole.length));
            assertThat(dst.asSlice(0, row).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
        }
    }

    @Test
    void f32IsACopyAndRoundTrips() {
        GgmlPeer peer = PeerAssumptions.peer();
        float[] x = {1.5f, -0f, Float.MIN_VALUE, 65504f, 1e30f, -3.25f, 0.1f, 7f};
        byte[] b = peer.quantize(GgmlPeer.F32, x, 8);
        float[] back = GgmlPeerGoldenTest.floats(b);
        assertThat(back).containsExactly(x);
        float[] f16 = peer.dequantize(GgmlPeer.F16, peer.quantize(GgmlPeer.F16, x, 8), 8);
        assertThat(f16[3]).isEqualTo(65504f);
        assertThat(f16[4]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(f16[1])).isEqualTo(0x80000000);
    }

    @Test
    void reportsWhyItIsAbsent() {
        if (GgmlPeer.load().isPresent()) {
            assertThat(GgmlPeer.unavailableReason()).isEmpty();
            assertThat(GgmlPeer.load().get().library().getFileName().toString()).isEqualTo(GgmlPeer.LIBRARY);
        } else {
            assertThat(GgmlPeer.unavailableReason()).isNotBlank();
        }
    }
}
