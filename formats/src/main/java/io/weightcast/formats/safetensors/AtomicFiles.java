package io.weightcast.formats.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Temporary siblings and rename-into-place. The temporary file lives in the target's folder so that the final
 * rename stays on one file system and is atomic there; readers never see a half-written model.
 */
final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /** {@code <target>.tmp-<16 hex digits>}, in the target's folder. */
    static Path tempSibling(Path target) {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return target.resolveSibling(target.getFileName() + ".tmp-" + HexFormat.of().formatHex(r));
    }

    /** Opens a new temporary sibling for writing; CREATE_NEW so that two writers can never share one. */
    static FileChannel createTemp(Path temp) throws IOException {
        return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** Renames atomically where the file system can, else replaces the target in a plain move. */
    static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes a small file completely (temp, fsync, rename); on failure the target is left as it was. */
    static void write(Path target, byte[] content) throws IOException {
        Path temp = tempSibling(target);
        try {
            try (FileChannel ch = createTemp(temp)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            moveIntoPlace(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
