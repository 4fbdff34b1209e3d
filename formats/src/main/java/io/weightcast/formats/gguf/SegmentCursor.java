package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A little-endian read position in a mapped file that never reads past the end: every read first checks that
 * enough bytes are left and otherwise throws a {@link MalformedFileException} naming the file, the offset and what
 * was being read.
 */
final class SegmentCursor {
    private final Path file;
    private final MemorySegment segment;
    private long position;

    SegmentCursor(Path file, MemorySegment segment) {
        this.file = file;
        this.segment = segment;
    }

    Path file() {
        return file;
    }

    long position() {
        return position;
    }

    long size() {
        return segment.byteSize();
    }

    long remaining() {
        return segment.byteSize() - position;
    }

    /** Checks that {@code n} more bytes can be read. */
    void require(long n, String what) throws MalformedFileException {
        if (n < 0 || n > remaining()) {
            throw error("unexpected end of file reading " + what + ": needs " + n + " bytes, " + remaining()
                    + " left (file size " + size() + ")");
        }
    }

    int u8(String what) throws MalformedFileException {
        require(1, what);
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, position++));
    }

    short i16(String what) throws MalformedFileException {
        require(2, what);
        short v = segment.get(MappedFile.I16, position);
        position += 2;
        return v;
    }

    int i32(String what) throws MalformedFileException {
        require(4, what);
        int v = segment.get(MappedFile.I32, position);
        position += 4;
        return v;
    }

    long i64(String what) throws MalformedFileException {
        require(8, what);
        long v = segment.get(MappedFile.I64, position);
        position += 8;
        return v;
    }

    float f32(String what) throws MalformedFileException {
        require(4, what);
        float v = segment.get(MappedFile.F32, position);
        position += 4;
        return v;
    }

    double f64(String what) throws MalformedFileException {
        require(8, what);
        double v = segment.get(MappedFile.F64, position);
        position += 8;
        return v;
    }

    byte[] bytes(long n, String what) throws MalformedFileException {
        require(n, what);
        byte[] out = segment.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE);
        position += n;
        return out;
    }

    /** An error at the current position. */
    MalformedFileException error(String problem) {
        return new MalformedFileException(file, null, position, problem);
    }

    /** An error at a given offset. */
    MalformedFileException error(String tensor, long offset, String problem) {
        return new MalformedFileException(file, tensor, offset, problem);
    }
}
