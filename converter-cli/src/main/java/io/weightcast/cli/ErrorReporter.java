package io.weightcast.cli;

import io.weightcast.core.engine.TensorConversionException;
import io.weightcast.core.plan.UnsupportedTargetException;
import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns exceptions into one clear line on stderr and an exit code: 2 for problems with the input or the
 * arguments (the user can fix them), 3 for bugs (with the stack trace, so it can be reported).
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        String message = userMessage(t);
        if (message != null) {
            cl.getErr().println("weightcast: error: " + message);
            return ExitCodes.BAD_INPUT;
        }
        cl.getErr().println("weightcast: internal error: " + t);
        t.printStackTrace(cl.getErr());
        return ExitCodes.INTERNAL_ERROR;
    }

    /** The message to show for a problem the user can fix, or null for a bug. */
    static String userMessage(Throwable t) {
        return switch (t) {
            case MalformedFileException m -> m.getMessage();
            case NoSuchFileException n -> "no such file or folder: " + n.getFile();
            case AccessDeniedException a -> "permission denied: " + a.getFile();
            case FileAlreadyExistsException f -> "already exists: " + f.getFile();
            case UnsupportedTargetException u -> u.getMessage();
            case TensorConversionException c -> c.getMessage();
            case UserInputException u -> u.getMessage();
            case IllegalArgumentException i -> i.getMessage();
            case UnsupportedOperationException u -> u.getMessage();
            case IOException io -> io.getMessage() == null ? io.toString() : io.getMessage();
            default -> null;
        };
    }
}
