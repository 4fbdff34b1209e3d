package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.MappedFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one safetensors file into a temporary sibling: the length prefix and header when opened, then the
 * data as it streams in. Knows nothing about tensors, only how many data bytes the file must end up with.
 */
final class ShardFileWriter {
    /** FileChannel.write takes ByteBuffers, which stop at 2 GiB; write big segments in pieces. */
    private static final long CHUNK = 1L << 30;
    /** Heap segments over non-byte arrays (float[]...) have no ByteBuffer view; they are copied through this much. */
    private static final int STAGING = 1 << 20;

    private final Path target;
    private final byte[] header;
    private final long dataBytes;
    private Path temp;
    private FileChannel channel;
    private long written;

    ShardFileWriter(Path target, byte[] header, long dataBytes) {
        this.target = target;
        this.header = header;
        this.dataBytes = dataBytes;
    }

    Path target() {
        return target;
    }

    boolean isOpen() {
        return channel != null;
    }

    long remaining() {
        return dataBytes - written;
    }

    void open() throws IOException {
        temp = AtomicFiles.tempSibling(target);
        channel = AtomicFiles.createTemp(temp);
        ByteBuffer prefix = ByteBuffer.allocate(8);
        MemorySegment.ofBuffer(prefix).set(MappedFile.I64, 0, header.length);
        writeFully(prefix);
        writeFully(ByteBuffer.wrap(header));
    }

    /** Appends data; the caller never passes more than {@link #remaining()}. */
    void write(MemorySegment bytes) throws IOException {
        boolean byteBacked = bytes.isNative() || bytes.heapBase().map(b -> b instanceof byte[]).orElse(false);
        for (long at = 0; at < bytes.byteSize(); ) {
            long n = Math.min(bytes.byteSize() - at, byteBacked ? CHUNK : STAGING);
            MemorySegment piece = bytes.asSlice(at, n);
            if (byteBacked) {
                writeFully(piece.asByteBuffer());
            } else {
                byte[] copy = new byte[(int) n];
                MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, 0, copy, 0, (int) n);
                writeFully(ByteBuffer.wrap(copy));
            }
            at += n;
        }
        written += bytes.byteSize();
    }

    /** Flushes to disk and closes; the file waits under its temporary name for {@link #moveIntoPlace()}. */
    void finish() throws IOException {
        channel.force(true);
        channel.close();
    }

    void moveIntoPlace() throws IOException {
        AtomicFiles.moveIntoPlace(temp, target);
        temp = null;
    }

    /** Closes and deletes the temporary file, if any. */
    void discard() throws IOException {
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
                temp = null;
            }
        }
    }

    private void writeFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
