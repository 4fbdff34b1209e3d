package io.weightcast.cli;

/** The process exit codes every command uses. */
final class ExitCodes {
    static final int OK = 0;
    static final int VERIFY_FAILED = 1;
    static final int BAD_INPUT = 2;
    static final int INTERNAL_ERROR = 3;

    private ExitCodes() {
    }
}
