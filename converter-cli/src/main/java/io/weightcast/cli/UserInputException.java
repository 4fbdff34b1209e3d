package io.weightcast.cli;

/** A problem with the command's arguments or input that the user can fix; reported without a stack trace. */
final class UserInputException extends RuntimeException {
    UserInputException(String message) {
        super(message);
    }
}
