package io.weightcast.formats.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for building GGUF headers in memory. */
final class LittleEndianBuffer {
    private ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

    private void ensure(long n) {
        if (buf.remaining() < n) {
            long want = Math.max((long) buf.capacity() * 2, buf.position() + n);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("GGUF header larger than 2 GiB");
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }

    void u8(int v) {
        ensure(1);
        buf.put((byte) v);
    }

    void i16(short v) {
        ensure(2);
        buf.putShort(v);
    }

    void i32(int v) {
        ensure(4);
        buf.putInt(v);
    }

    void i64(long v) {
        ensure(8);
        buf.putLong(v);
    }

    void f32(float v) {
        ensure(4);
        buf.putFloat(v);
    }

    void f64(double v) {
        ensure(8);
        buf.putDouble(v);
    }

    /** {@code gguf_string_t}: u64 length + UTF-8 bytes, no NUL. */
    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        ensure(b.length);
        buf.put(b);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(int alignment) {
        long padded = GgufHeaderParser.pad(buf.position(), alignment);
        int n = (int) (padded - buf.position());
        ensure(n);
        buf.put(new byte[n]);
    }

    int size() {
        return buf.position();
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf.array(), buf.position());
    }
}
