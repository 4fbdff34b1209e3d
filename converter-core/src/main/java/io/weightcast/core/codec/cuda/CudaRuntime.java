package io.weightcast.core.codec.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the CUDA devices once per JVM through JCuda's driver API. Optional by design: when JCuda's natives cannot
 * load (no {@code libcuda.so.1}, another OS), the driver reports no device, or initialisation fails, one INFO line
 * says why and {@link #devices()} is empty, so the engine converts on the CPU. Nothing here throws for a missing
 * GPU.
 *
 * <p>The system property {@value #DISABLE_PROPERTY}{@code =true} hides every device (for tests and bug reports).
 */
public final class CudaRuntime {

    /** Set to {@code true} to behave as if no GPU were present. */
    public static final String DISABLE_PROPERTY = "weightcast.cuda.disable";

    private static final System.Logger LOG = System.getLogger(CudaRuntime.class.getName());

    private CudaRuntime() {}

    private record State(List<CudaDevice> devices, String problem) {}

    private static final class Holder {
        static final State STATE = init();
    }

    private static State init() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return new State(List.of(), DISABLE_PROPERTY + "=true");
        }
        try {
            List<CudaDevice> devices = Driver.open();
            if (devices.isEmpty()) {
                return unavailable("the CUDA driver reports no device");
            }
            for (CudaDevice d : devices) {
                LOG.log(System.Logger.Level.DEBUG, "CUDA device " + d);
            }
            return new State(List.copyOf(devices), null);
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, CudaException...
            String why = t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": "
                    + t.getMessage().lines().findFirst().orElse("");
            return unavailable(why);
        }
    }

    private static State unavailable(String why) {
        LOG.log(System.Logger.Level.INFO, "CUDA unavailable (" + why + "); the CPU codecs are used");
        return new State(List.of(), why);
    }

    /** JCuda calls live in their own class so that a missing JCuda jar surfaces as a catchable error above. */
    private static final class Driver {
        static List<CudaDevice> open() {
            jcuda.driver.JCudaDriver.setExceptionsEnabled(true);
            jcuda.driver.JCudaDriver.cuInit(0);
            int[] count = new int[1];
            jcuda.driver.JCudaDriver.cuDeviceGetCount(count);
            List<CudaDevice> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                devices.add(new CudaDevice(i));
            }
            return devices;
        }
    }

    /** Whether at least one CUDA device can be used. */
    public static boolean available() {
        return !Holder.STATE.devices().isEmpty();
    }

    /** The usable devices, in driver order; empty without a GPU. */
    public static List<CudaDevice> devices() {
        return Holder.STATE.devices();
    }

    /** Why no device is usable, or null when one is. */
    public static String unavailableReason() {
        return Holder.STATE.problem();
    }

    /**
     * The device of a driver ordinal.
     *
     * @throws IllegalArgumentException when CUDA is unavailable or the ordinal does not exist (the message says why)
     */
    public static CudaDevice device(int ordinal) {
        List<CudaDevice> d = devices();
        if (d.isEmpty()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " requested but CUDA is unavailable ("
                    + unavailableReason() + ")");
        }
        if (ordinal < 0 || ordinal >= d.size()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist; this machine has " + d.size()
                    + " CUDA device(s): cuda:0.." + (d.size() - 1));
        }
        return d.get(ordinal);
    }
}
