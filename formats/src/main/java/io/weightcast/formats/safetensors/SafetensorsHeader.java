package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.MappedFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of one safetensors file. {@link #read} applies every rule of the reference
 * implementation (the Rust {@code safetensors} crate): length prefix, UTF-8 JSON object, known dtypes, sizes that
 * match shapes, and data offsets that tile the data section exactly, without overlaps or holes.
 *
 * @param headerLength the JSON length N from the 8-byte prefix (padding included)
 * @param dataStart    the absolute file offset of the data section, {@code 8 + N}
 * @param dataSize     bytes in the data section (file size minus {@code dataStart})
 * @param metadata     {@code __metadata__} in file order; empty when absent or JSON null
 * @param entries      tensors in header (key) order, which need not be offset order
 */
public record SafetensorsHeader(Path file, long headerLength, long dataStart, long dataSize,
                                Map<String, Object> metadata, List<HeaderEntry> entries) {

    /** The reference implementation's MAX_HEADER_SIZE: larger prefixes are nearly always truncated or LFS files. */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    public SafetensorsHeader {
        metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        entries = List.copyOf(entries);
    }

    /**
     * Parses and validates the header of {@code file}, whose whole content is {@code bytes}.
     *
     * @throws MalformedFileException naming the file, the tensor and the byte offset of the first problem
     */
    public static SafetensorsHeader read(Path file, MemorySegment bytes) throws MalformedFileException {
        long size = bytes.byteSize();
        if (size < 8) {
            throw new MalformedFileException(file, 0,
                    "file is " + size + " bytes long, shorter than the 8-byte header length prefix");
        }
        long n = bytes.get(MappedFile.I64, 0);
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            throw new MalformedFileException(file, 0, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_LENGTH + " bytes (truncated download or Git LFS pointer?)");
        }
        if (8 + n > size) {
            throw new MalformedFileException(file, 0,
                    "header length " + n + " runs past the end of the file (" + size + " bytes)");
        }
        byte[] json = bytes.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        checkUtf8(file, json);
        HeaderParser.Parsed parsed = HeaderParser.parse(file, new String(json, StandardCharsets.UTF_8), 8);
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        DataLayout.check(file, dataStart, dataSize, parsed.entries());
        return new SafetensorsHeader(file, n, dataStart, dataSize, parsed.metadata(), parsed.entries());
    }

    /** new String() would replace bad sequences silently, so UTF-8 is checked strictly first, with its offset. */
    private static void checkUtf8(Path file, byte[] json) throws MalformedFileException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer out = CharBuffer.allocate(Math.min(json.length, 1 << 16) + 1);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isError()) {
                throw new MalformedFileException(file, 8L + in.position(), "header is not valid UTF-8");
            }
            if (r.isUnderflow()) {
                break;
            }
            out.clear();
        }
    }
}
