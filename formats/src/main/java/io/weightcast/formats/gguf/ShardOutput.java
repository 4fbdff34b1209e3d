package io.weightcast.formats.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One output file being written: a temporary file in the target's folder, filled through a {@link FileChannel}
 * and renamed over the target on {@link #commit()}; {@link #abort()} deletes it.
 */
final class ShardOutput {
    private static final int CHUNK = 1 << 30;
    private static final int STAGING = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(4096);

    private final Path target;
    private final Path temp;
    private FileChannel channel;
    private byte[] staging;

    private ShardOutput(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Creates the temporary file next to {@code target} and writes {@code header} at its start. */
    static ShardOutput create(Path target, byte[] header) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path temp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            ShardOutput out = new ShardOutput(abs, temp, ch);
            out.writeFully(ByteBuffer.wrap(header));
            return out;
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    Path target() {
        return target;
    }

    Path temp() {
        return temp;
    }

    /** Appends the bytes of any segment (native, mapped or heap-backed by any array type). */
    void write(MemorySegment bytes) throws IOException {
        for (long off = 0; off < bytes.byteSize(); ) {
            long n = Math.min(CHUNK, bytes.byteSize() - off);
            MemorySegment part = bytes.asSlice(off, n);
            if (part.isNative() || part.heapBase().map(b -> b instanceof byte[]).orElse(false)) {
                writeFully(part.asByteBuffer());
            } else {
                writeCopied(part);
            }
            off += n;
        }
    }

    private void writeCopied(MemorySegment part) throws IOException {
        if (staging == null) {
            staging = new byte[STAGING];
        }
        for (long off = 0; off < part.byteSize(); ) {
            int n = (int) Math.min(STAGING, part.byteSize() - off);
            MemorySegment.copy(part, ValueLayout.JAVA_BYTE, off, staging, 0, n);
            writeFully(ByteBuffer.wrap(staging, 0, n));
            off += n;
        }
    }

    /** Appends {@code n} zero bytes. */
    void zeros(long n) throws IOException {
        while (n > 0) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(n, z.capacity()));
            n -= z.remaining();
            writeFully(z);
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    long size() throws IOException {
        return channel.position();
    }

    /** Flushes and closes the channel (the temp file stays until commit or abort). */
    void finish() throws IOException {
        if (channel != null) {
            channel.force(true);
            channel.close();
            channel = null;
        }
    }

    /** Renames the finished temp file over the target. */
    void commit() throws IOException {
        finish();
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Closes and deletes the temp file; never throws for a missing one. */
    void abort() throws IOException {
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
