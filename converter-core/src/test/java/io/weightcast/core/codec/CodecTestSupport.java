package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Helpers shared by the codec tests. */
final class CodecTestSupport {

    private CodecTestSupport() {}

    static final List<DType> TYPES = List.of(DType.F32, DType.F16, DType.BF16, DType.F8_E4M3, DType.F8_E5M2,
            DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
            DType.Q2_K, DType.Q4_K, DType.Q5_K, DType.Q8_K);

    /** scalar, plus vector where this JVM has it. */
    static List<Codec> implementations(DType type) {
        List<Codec> l = new ArrayList<>();
        l.add(Codecs.scalar(type));
        Optional<Codec> v = Codecs.vector(type);
        v.ifPresent(l::add);
        return l;
    }

    static byte[] encode(Codec c, float[] x) {
        byte[] out = new byte[(int) c.type().byteSize(x.length)];
        c.encode(x, 0, x.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** Encodes at an odd offset in both source and destination, to exercise unaligned access. */
    static byte[] encodeUnaligned(Codec c, float[] x) {
        float[] src = new float[x.length + 3];
        System.arraycopy(x, 0, src, 3, x.length);
        int n = (int) c.type().byteSize(x.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(n + 5);
            c.encode(src, 3, x.length, seg, 5);
            return seg.asSlice(5, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static float[] decode(Codec c, byte[] bytes, int count) {
        float[] out = new float[count];
        c.decode(MemorySegment.ofArray(bytes), 0, count, out, 0);
        return out;
    }

    static float[] decodeUnaligned(Codec c, byte[] bytes, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(bytes.length + 7);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 7, bytes.length);
            float[] out = new float[count + 2];
            c.decode(seg, 7, count, out, 2);
            float[] r = new float[count];
            System.arraycopy(out, 2, r, 0, count);
            return r;
        }
    }

    /** Index of the first float whose raw bits differ, or -1. */
    static int firstBitDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            return Math.min(a.length, b.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return i;
            }
        }
        return -1;
    }

    static int firstByteDifference(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return Math.min(a.length, b.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return -1;
    }

    static String hex(byte[] b, int from, int len) {
        StringBuilder s = new StringBuilder();
        if (from < 0) {
            return "";
        }
        for (int i = from; i < Math.min(b.length, from + len); i++) {
            s.append(String.format("%02x ", b[i] & 0xFF));
        }
        return s.toString().trim();
    }
}
