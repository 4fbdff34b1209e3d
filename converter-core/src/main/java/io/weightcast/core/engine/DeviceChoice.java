package io.weightcast.core.engine;

import java.util.Locale;

/**
 * Where the engine runs the codecs: {@code auto} (every CUDA device JCuda finds, else the CPU with one log line),
 * {@code cpu}, {@code cuda} (every CUDA device; an error without one) or {@code cuda:N} (device N only). With
 * several devices, tensors are split between them.
 *
 * @param kind    auto, cpu or cuda
 * @param ordinal the CUDA device for {@code cuda:N}, or -1 for all
 */
public record DeviceChoice(Kind kind, int ordinal) {

    public enum Kind {
        AUTO,
        CPU,
        CUDA
    }

    public static final DeviceChoice AUTO = new DeviceChoice(Kind.AUTO, -1);
    public static final DeviceChoice CPU = new DeviceChoice(Kind.CPU, -1);

    public DeviceChoice {
        if (ordinal < -1 || (ordinal >= 0 && kind != Kind.CUDA)) {
            throw new IllegalArgumentException("a device ordinal goes with cuda only");
        }
    }

    /**
     * Parses {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} (any case).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static DeviceChoice parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto" -> {
                return AUTO;
            }
            case "cpu" -> {
                return CPU;
            }
            case "cuda", "gpu" -> {
                return new DeviceChoice(Kind.CUDA, -1);
            }
            default -> {
                if (v.startsWith("cuda:")) {
                    try {
                        int n = Integer.parseInt(v.substring(5));
                        if (n >= 0) {
                            return new DeviceChoice(Kind.CUDA, n);
                        }
                    } catch (NumberFormatException ignored) {
                        // falls through to the error
                    }
                }
                throw new IllegalArgumentException(
                        "device must be auto, cpu, cuda or cuda:N (N = 0, 1, ...), not '" + s + "'");
            }
        }
    }

    @Override
    public String toString() {
        return kind == Kind.CUDA && ordinal >= 0 ? "cuda:" + ordinal : kind.name().toLowerCase(Locale.ROOT);
    }
}
