package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.Shapes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Checks that the tensors of one header fit the data section the way the reference implementation demands:
 * each tensor's byte range matches its shape and dtype, and the ranges, sorted by offset, tile the data section
 * from its first to its last byte. Holes are refused as the Rust crate refuses them (they let a file smuggle
 * other content); header order of the ranges does not matter (MLX writes them unordered).
 */
final class DataLayout {
    private DataLayout() {
    }

    static void check(Path file, long dataStart, long dataSize, List<HeaderEntry> entries)
            throws MalformedFileException {
        for (HeaderEntry e : entries) {
            checkEntry(file, dataStart, dataSize, e);
        }
        List<HeaderEntry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(HeaderEntry::begin).thenComparingLong(HeaderEntry::end));
        long cursor = 0;
        HeaderEntry previous = null;
        for (HeaderEntry e : byOffset) {
            if (e.begin() < cursor) {
                throw new MalformedFileException(file, e.name(), dataStart + e.begin(), "data_offsets "
                        + range(e) + " overlap tensor '" + previous.name() + "' at " + range(previous));
            }
            if (e.begin() > cursor) {
                throw new MalformedFileException(file, e.name(), dataStart + cursor, (e.begin() - cursor)
                        + " unused bytes before data_offsets " + range(e) + ", after "
                        + (previous == null ? "the start of the data section" : "tensor '" + previous.name() + "'")
                        + " (safetensors forbids holes between tensors)");
            }
            cursor = e.end();
            previous = e;
        }
        if (cursor != dataSize) {
            throw new MalformedFileException(file, previous == null ? null : previous.name(), dataStart + cursor,
                    (dataSize - cursor) + " trailing bytes after the last tensor's data (the data section holds "
                            + dataSize + " bytes, the tensors " + cursor + ")");
        }
    }

    private static void checkEntry(Path file, long dataStart, long dataSize, HeaderEntry e)
            throws MalformedFileException {
        long at = dataStart + e.begin();
        if (e.begin() > e.end()) {
            throw new MalformedFileException(file, e.name(), at, "data_offsets " + range(e) + " end before they begin");
        }
        if (e.end() > dataSize) {
            throw new MalformedFileException(file, e.name(), at, "data_offsets " + range(e)
                    + " run past the end of the data section (" + dataSize + " bytes)");
        }
        long elements;
        try {
            elements = Shapes.elementCount(e.shape());
        } catch (ArithmeticException ex) {
            throw new MalformedFileException(file, e.name(), at,
                    "shape " + Arrays.toString(e.shape()) + " has more than 2^63-1 elements");
        }
        long expected;
        try {
            expected = e.dtype().byteSize(elements);
        } catch (IllegalArgumentException ex) {
            throw new MalformedFileException(file, e.name(), at, "shape " + Arrays.toString(e.shape()) + " holds "
                    + elements + " " + e.dtype() + " elements, which do not fill whole bytes ("
                    + e.dtype().blockSize() + " elements per " + e.dtype().blockBytes() + " bytes)");
        } catch (ArithmeticException ex) {
            throw new MalformedFileException(file, e.name(), at,
                    "shape " + Arrays.toString(e.shape()) + " of " + e.dtype() + " needs more than 2^63-1 bytes");
        }
        if (e.byteSize() != expected) {
            throw new MalformedFileException(file, e.name(), at, "data_offsets " + range(e) + " span " + e.byteSize()
                    + " bytes but shape " + Arrays.toString(e.shape()) + " of " + e.dtype() + " needs " + expected);
        }
    }

    private static String range(HeaderEntry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }
}
