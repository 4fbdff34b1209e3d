package io.weightcast.formats.tensor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file whose bytes break its format's rules. The message always names the file, and where known the
 * tensor and the byte offset at which the problem was found, so users can tell what to fix or re-download.
 */
public final class MalformedFileException extends IOException {
    private final transient Path file;
    private final String tensor;
    private final long offset;

    public MalformedFileException(Path file, String tensor, long offset, String problem) {
        super(describe(file, tensor, offset, problem));
        this.file = file;
        this.tensor = tensor;
        this.offset = offset;
    }

    public MalformedFileException(Path file, long offset, String problem) {
        this(file, null, offset, problem);
    }

    public MalformedFileException(Path file, String tensor, long offset, String problem, Throwable cause) {
        this(file, tensor, offset, problem);
        initCause(cause);
    }

    private static String describe(Path file, String tensor, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        if (offset >= 0) {
            sb.append(" at byte offset ").append(offset);
        }
        return sb.append(": ").append(problem).toString();
    }

    public Path file() {
        return file;
    }

    /** The tensor concerned, or null when the problem is in the header or metadata. */
    public String tensor() {
        return tensor;
    }

    /** The byte offset in the file, or -1 when not known. */
    public long offset() {
        return offset;
    }
}
