package io.weightcast.bench;

import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.LlamaQuantizeService;
import io.weightcast.core.job.QuantizeRequest;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.tensor.TensorView;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * llama-quantize end to end on the GPU: the whole {@code quantize} job (GGUF in, llama.cpp's type rules, GGUF out)
 * on a synthetic F16 llama of {@code --layers} layers ({@link FileBenchmark#makeModel}: 44 layers are 4.2 GB) with a
 * synthetic importance matrix for every weight (legacy {@code .dat}), run on every GPU, on GPU 0 alone when there
 * are several, and on all CPU cores. Every GPU output is compared with the CPU's ({@link FileBenchmark#compare}:
 * tensors, types, bytes, metadata).
 *
 * <pre>GpuQuantizeBenchmark [--out report.md] [--workdir DIR] [--layers 44] [--threads N] [--ftypes Q4_K_M]</pre>
 */
public final class GpuQuantizeBenchmark {
    private final PrintStream out = System.out;
    private final StringBuilder md = new StringBuilder();

    private GpuQuantizeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path report = null;
        Path workdir = Path.of(System.getProperty("java.io.tmpdir"), "weightcast-gpu-quantize");
        int layers = 44;
        int threads = Runtime.getRuntime().availableProcessors();
        String ftypes = "Q4_K_M";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> report = Path.of(args[++i]);
                case "--workdir" -> workdir = Path.of(args[++i]);
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--ftypes" -> ftypes = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        GpuQuantizeBenchmark b = new GpuQuantizeBenchmark();
        b.run(workdir, layers, threads, ftypes);
        if (report != null) {
            Files.writeString(report, b.md);
        }
    }

    private void line(String s) {
        out.println(s);
        md.append(s).append('\n');
    }

    private void run(Path workdir, int layers, int threads, String ftypes) throws Exception {
        List<CudaDevice> devices = CudaRuntime.devices();
        line("## llama-quantize end to end: synthetic F16 llama, " + layers + " layers, " + threads + " CPU threads");
        line("");
        line("GPUs: " + (devices.isEmpty() ? "none (" + CudaRuntime.unavailableReason() + ")" : devices.toString()));
        if (devices.isEmpty()) {
            return;
        }
        for (CudaDevice d : devices) { // the driver's JIT of the PTX, once per machine: not part of the timings
            io.weightcast.core.codec.cuda.CudaKernels.MODULES.forEach(d::preload);
        }
        Files.createDirectories(workdir);
        Path model = workdir.resolve("synthetic-llama-f16.gguf");
        Path imatrix = workdir.resolve("synthetic.imatrix.dat");
        long t0 = System.nanoTime();
        FileBenchmark.makeModel(model, layers);
        writeImatrix(model, imatrix);
        double gb = Files.size(model) / 1e9;
        line(String.format(Locale.ROOT, "generated %s (%.2f GB) and an importance matrix in %.1f s", model, gb,
                (System.nanoTime() - t0) / 1e9));
        line("");
        line("| ftype | imatrix | device | s | GB/s of source | speed-up vs CPU | output identical to CPU |");
        line("|---|---|---|---|---|---|---|");
        List<String> gpuChoices = new ArrayList<>();
        gpuChoices.add("cuda");
        if (devices.size() > 1) {
            gpuChoices.add("cuda:0");
        }
        for (String name : ftypes.split(",")) {
            LlamaFtype f = LlamaFtype.parse(name.trim()).orElseThrow(() -> new IllegalArgumentException(name));
            for (boolean weighted : new boolean[] {true, false}) {
                Path cpuOut = workdir.resolve("cpu-" + f.name() + ".gguf");
                try {
                    double cpuS = quantize(model, cpuOut, f, weighted ? imatrix : null, threads, DeviceChoice.CPU);
                    for (String g : gpuChoices) {
                        Path gpuOut = workdir.resolve("gpu-" + f.name() + ".gguf");
                        double s = quantize(model, gpuOut, f, weighted ? imatrix : null, threads,
                                DeviceChoice.parse(g));
                        boolean same = FileBenchmark.compare(gpuOut, cpuOut);
                        String label = g.equals("cuda") ? devices.size() + " GPU" + (devices.size() > 1 ? "s" : "")
                                : "GPU 0 only";
                        row(f, weighted, label, s, gb, cpuS, same ? "yes" : "NO");
                        Files.deleteIfExists(gpuOut);
                    }
                    row(f, weighted, "CPU x" + threads, cpuS, gb, cpuS, "-");
                } catch (IOException | RuntimeException e) {
                    line("| " + f.name() + " | " + weighted + " | FAILED: " + e + " | | | | |");
                    e.printStackTrace(out);
                } finally {
                    Files.deleteIfExists(cpuOut);
                }
            }
        }
        // The I/O floor: F16 to F16 copies every tensor (zero-copy slices of the mapped source, no arithmetic), so
        // it only reads the source and writes the output; the quantizing runs cannot beat it by much.
        Path copy = workdir.resolve("copy-F16.gguf");
        try {
            double s = quantize(model, copy, LlamaFtype.F16, null, threads, DeviceChoice.CPU);
            line(String.format(Locale.ROOT, "| F16 (copy: I/O only, %.2f GB written) | no | CPU x%d | %.2f | %.2f | - | - |",
                    Files.size(copy) / 1e9, threads, s, gb / s));
        } catch (IOException | RuntimeException e) {
            line("| F16 copy | no | FAILED: " + e + " | | | | |");
        } finally {
            Files.deleteIfExists(copy);
        }
        for (CudaDevice d : devices) {
            line(String.format(Locale.ROOT, "- %s converted %.2f G elements in this run", d,
                    d.elementsTranscoded() / 1e9));
        }
        Files.deleteIfExists(model);
        Files.deleteIfExists(imatrix);
    }

    private void row(LlamaFtype f, boolean weighted, String device, double s, double gb, double cpuS, String same) {
        line(String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %.1fx | %s |", f.name(),
                weighted ? "yes" : "no", device, s, gb / s, cpuS / s, same));
    }

    private static double quantize(Path in, Path out, LlamaFtype f, Path imatrix, int threads, DeviceChoice device)
            throws IOException {
        Files.deleteIfExists(out);
        QuantizeRequest r = QuantizeRequest.of(in, out, QuantizeOptions.of(f),
                EngineOptions.withThreads(threads).withDevice(device));
        if (imatrix != null) {
            r = r.withImatrix(imatrix);
        }
        long t0 = System.nanoTime();
        LlamaQuantizeService.quantize(r, (t, d, n) -> { });
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * A legacy llama-imatrix file with one entry per 2-D weight of the model: positive per-column statistics (a
     * squared Gaussian plus a floor, like real activations), 100 calls, a trailer naming the dataset.
     */
    static void writeImatrix(Path model, Path out) throws IOException {
        List<TensorView> weights = new ArrayList<>();
        try (GgufModel m = GgufReader.open(model)) {
            for (TensorView t : m.tensors()) {
                if (t.shape().length == 2) {
                    weights.add(t);
                }
            }
            SplittableRandom rnd = new SplittableRandom(42);
            try (OutputStream os = Files.newOutputStream(out);
                    DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(os, 1 << 20))) {
                d.write(le(weights.size()));
                for (TensorView t : weights) {
                    byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
                    int cols = (int) t.rowLength();
                    d.write(le(name.length));
                    d.write(name);
                    d.write(le(100));
                    d.write(le(cols));
                    ByteBuffer v = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
                    for (int c = 0; c < cols; c++) {
                        double g = rnd.nextGaussian();
                        v.putFloat((float) (100 * (g * g + 1e-3)));
                    }
                    d.write(v.array());
                }
                byte[] dataset = "synthetic".getBytes(StandardCharsets.UTF_8);
                d.write(le(10));
                d.write(le(dataset.length));
                d.write(dataset);
            }
        }
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
