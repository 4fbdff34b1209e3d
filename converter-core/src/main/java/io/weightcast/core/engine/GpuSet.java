package io.weightcast.core.engine;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.plan.TensorJob;
import java.util.List;

/**
 * The CUDA devices one engine run uses (empty: CPU only), resolved from a {@link DeviceChoice}. JCuda classes are
 * touched only when the choice is not {@code cpu}.
 */
final class GpuSet {
    private static final System.Logger LOG = System.getLogger(ConversionEngine.class.getName());

    private final List<CudaDevice> devices;

    private GpuSet(List<CudaDevice> devices) {
        this.devices = devices;
    }

    static GpuSet resolve(DeviceChoice choice) {
        return switch (choice.kind()) {
            case CPU -> new GpuSet(List.of());
            case AUTO -> {
                List<CudaDevice> d = CudaRuntime.devices(); // logs once when there is none
                if (!d.isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "converting on " + describe(d) + " (--device auto)");
                }
                yield new GpuSet(d);
            }
            case CUDA -> {
                List<CudaDevice> d = choice.ordinal() >= 0 ? List.of(CudaRuntime.device(choice.ordinal()))
                        : CudaRuntime.devices();
                if (d.isEmpty()) {
                    throw new IllegalArgumentException("--device cuda: no CUDA device is usable ("
                            + CudaRuntime.unavailableReason() + "); use --device cpu or auto");
                }
                LOG.log(System.Logger.Level.INFO, "converting on " + describe(d));
                yield new GpuSet(d);
            }
        };
    }

    private static String describe(List<CudaDevice> d) {
        return d.size() == 1 ? d.getFirst().toString() : d.size() + " CUDA devices " + d;
    }

    boolean isEmpty() {
        return devices.isEmpty();
    }

    /**
     * The device for the {@code index}-th GPU job of the plan (round robin), or null for the CPU: when there is no
     * device or the GPU has no part in the job ({@link ChunkConverter#usesGpu}).
     */
    CudaDevice forTensor(int index, TensorJob job) {
        if (devices.isEmpty() || !ChunkConverter.usesGpu(job)) {
            return null;
        }
        return devices.get(index % devices.size());
    }

    /**
     * The device for the {@code index}-th GPU-encoded layout weight (round robin), or null for the CPU; the weight's
     * encoder decides whether it has kernels ({@link WeightEncoder#onDevice}).
     */
    CudaDevice forLayout(int index) {
        return devices.isEmpty() ? null : devices.get(index % devices.size());
    }
}
