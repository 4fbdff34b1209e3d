package io.weightcast.bench;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.cuda.CudaBnb4Bit;
import io.weightcast.core.codec.cuda.CudaBnbInt8;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaKernels;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.core.job.RecipeService;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.core.layout.Recipe;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * GPU benchmark (run on the GPU machine by {@code scripts/gpu-suite.sh}; writes a Markdown report):
 * <ol>
 *   <li>device and its memory bandwidth: a device-to-device copy (bytes read + written), and the theoretical figure
 *       from the memory clock and bus width where the driver reports them;</li>
 *   <li>every CUDA kernel on device-resident data (no PCIe): GB/s of f32 input (encode) or output (decode), GB/s of
 *       bytes moved (f32 + encoded), and the share of the measured copy bandwidth, with a bit-exactness check of
 *       the kernel's output against the scalar codec on a sample;</li>
 *   <li>the host pipeline ({@link CudaDevice#transcode}: pinned buffers, two streams) from host F16/BF16 bytes;</li>
 *   <li>end to end: a synthetic F16 safetensors model of {@code --model-gb} GB written to {@code --workdir}
 *       (streaming), converted on the GPU and on the CPU (all cores) to each {@code --targets} type; the outputs
 *       must be identical files. The target {@code NF4} is the bitsandbytes checkpoint the CLI's
 *       {@code convert --recipe} writes for transformers' default 4-bit config (NF4, blocksize 64, double quant):
 *       the same recipe through {@link RecipeService}, every output file compared. Then the same model through
 *       the quantize service (the CLI's {@code quantize}) for
 *       each {@code --hf-layouts} Hugging Face layout ({@code fp8-block}, {@code fp8-block-direct}, {@code ct-fp8},
 *       {@code ct-w4a16}, {@code ct-w8a16}), GPU vs CPU, every output file compared ({@link HfLayoutBench}).</li>
 * </ol>
 *
 * <pre>GpuBenchmark [--out report.md] [--workdir DIR] [--model-gb 4.3] [--elements 134217728]
 *              [--targets Q8_0,F8_E4M3,...] [--hf-layouts fp8-block,ct-w4a16] [--threads N] [--skip-e2e] [--skip-kernels]</pre>
 */
public final class GpuBenchmark {

    private final PrintStream out;
    private final StringBuilder md = new StringBuilder();

    private GpuBenchmark(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Path report = null;
        Path workdir = Path.of(System.getProperty("java.io.tmpdir"), "weightcast-gpu-bench");
        double modelGb = 4.3;
        long elements = 1L << 27;
        String targets = "Q4_K,Q6_K,IQ4_XS,F8_E4M3,Q8_0," + BNB_NF4;
        String hfLayouts = "fp8-block";
        int threads = Runtime.getRuntime().availableProcessors();
        boolean e2e = true;
        boolean kernelsToo = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> report = Path.of(args[++i]);
                case "--workdir" -> workdir = Path.of(args[++i]);
                case "--model-gb" -> modelGb = Double.parseDouble(args[++i]);
                case "--elements" -> elements = Long.parseLong(args[++i]);
                case "--targets" -> targets = args[++i];
                case "--hf-layouts" -> hfLayouts = args[++i];
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--skip-e2e" -> e2e = false;
                case "--skip-kernels" -> kernelsToo = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        GpuBenchmark b = new GpuBenchmark(System.out);
        b.hfLayouts = hfLayouts;
        b.kernelsToo = kernelsToo;
        try {
            b.run(elements, e2e, workdir, modelGb, targets, threads);
        } finally {
            if (report != null) {
                Files.writeString(report, b.md.toString());
            }
        }
    }

    /** {@code --skip-kernels}: only the end-to-end part (kernel and host-pipeline tables are left out). */
    private boolean kernelsToo = true;

    private void failed(String what, Throwable e) {
        line("");
        line("**" + what + " failed**: " + e);
        e.printStackTrace(out);
    }

    private void line(String s) {
        out.println(s);
        out.flush();
        md.append(s).append('\n');
    }

    private void run(long elements, boolean e2e, Path workdir, double modelGb, String targets, int threads)
            throws Exception {
        line("# weightcast GPU benchmark");
        line("");
        line("java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPU cores, codec impl "
                + io.weightcast.core.codec.KernelProvider.selected());
        if (!CudaRuntime.available()) {
            line("no CUDA device: " + CudaRuntime.unavailableReason());
            return;
        }
        for (CudaDevice d : CudaRuntime.devices()) {
            line("- " + d);
        }
        CudaDevice dev = CudaRuntime.devices().getFirst();
        moduleLoads(dev);
        double copyBw = 0;
        if (kernelsToo) {
            try {
                copyBw = kernels(dev, elements);
            } catch (RuntimeException | Error e) {
                failed("kernels", e);
            }
            try {
                hostPipeline(dev);
            } catch (RuntimeException | Error e) {
                failed("host pipeline", e);
            }
        }
        if (e2e) {
            endToEnd(workdir, modelGb, targets, threads, copyBw);
        }
    }

    /**
     * The one-off cost of loading each PTX module (the driver's JIT compile for this GPU; a machine that ran
     * weightcast before finds it in the driver's compute cache), kept out of every later figure.
     */
    private void moduleLoads(CudaDevice dev) {
        StringBuilder sb = new StringBuilder("PTX module loads (JIT on first use per machine):");
        for (String m : CudaKernels.MODULES) {
            long t0 = System.nanoTime();
            try {
                dev.preload(m);
                sb.append(String.format(Locale.ROOT, " %s %.2f s,", m, (System.nanoTime() - t0) / 1e9));
            } catch (RuntimeException | Error e) {
                sb.append(" ").append(m).append(" FAILED (").append(e).append("),");
            }
        }
        line("");
        line(sb.substring(0, sb.length() - 1));
        line("");
    }

    // ---------------------------------------------------------------------------------------------- kernels

    private static float[] gaussianish(long n, long seed) {
        float[] x = new float[Math.toIntExact(n)];
        java.util.stream.IntStream.range(0, 64).parallel().forEach(part -> {
            int from = (int) ((long) x.length * part / 64);
            int to = (int) ((long) x.length * (part + 1) / 64);
            long s = seed * 0x9E3779B97F4A7C15L + part;
            for (int i = from; i < to; i++) {
                s ^= s << 13;
                s ^= s >>> 7;
                s ^= s << 17;
                // sum of four uniforms: roughly Gaussian, sd ~0.02, with rare outliers
                float u = ((s & 0xFFFF) + ((s >>> 16) & 0xFFFF) + ((s >>> 32) & 0xFFFF) + ((s >>> 48) & 0xFFFF))
                        / 65536f - 2f;
                x[i] = (i % 4099 == 0) ? u * 3f : u * 0.035f;
            }
        });
        return x;
    }

    private double kernels(CudaDevice dev, long n) {
        dev.makeCurrent();
        CUstream stream = new CUstream();
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
        float[] host = gaussianish(n, 42);
        CUdeviceptr x = new CUdeviceptr();
        CUdeviceptr y = new CUdeviceptr();
        CUdeviceptr z = new CUdeviceptr();
        cuMemAlloc(x, 4 * n);
        cuMemAlloc(y, 4 * n);
        cuMemAlloc(z, 4 * n);
        try {
            cuMemcpyHtoD(x, Pointer.to(host), 4 * n);
            // bandwidth reference: device-to-device copy, counting bytes read and written
            double copyMs = time(stream, start, stop, 10, () -> cuMemcpyDtoDAsync(z, x, 4 * n, stream));
            double copyBw = 2.0 * 4 * n / (copyMs * 1e-3);
            double theo = dev.theoreticalBandwidth();
            line("");
            line(String.format(Locale.ROOT, "## Kernels on %s, %d Mi f32 elements resident on the device", dev.name(),
                    n >> 20));
            line("");
            line(String.format(Locale.ROOT, "device-to-device copy: %.0f GB/s (read + written)%s", copyBw / 1e9,
                    theo > 0 ? String.format(Locale.ROOT, "; theoretical %.0f GB/s", theo / 1e9) : ""));
            line("");
            line("| kernel | ms | GB/s f32 | GB/s moved | % of copy bandwidth | bit-exact (sample) |");
            line("|---|---|---|---|---|---|");
            CUdeviceptr flags = new CUdeviceptr();
            cuMemAlloc(flags, n / 32 + 1);
            CUdeviceptr qw = new CUdeviceptr();
            int qwLength = 4096;
            float[] importance = gaussianish(qwLength, 5);
            for (int i = 0; i < qwLength; i++) {
                importance[i] = importance[i] * importance[i] * 1000;
            }
            cuMemAlloc(qw, 4L * qwLength);
            cuMemcpyHtoD(qw, Pointer.to(importance), 4L * qwLength);
            for (DType t : CudaKernels.types().stream().sorted().toList()) {
                CudaKernels.Spec spec = CudaKernels.spec(t);
                long m = n - n % t.blockSize();
                long encBytes = t.byteSize(m);
                long nb = m / t.blockSize();
                if (!spec.encodes()) {
                    // decode-only (IQ grid types): decode random bytes (any grid index, NaN/inf scales included)
                    byte[] rnd = new byte[(int) encBytes];
                    new java.util.SplittableRandom(t.ordinal()).nextBytes(rnd);
                    cuMemcpyHtoD(y, Pointer.to(rnd), encBytes);
                    double decMs = time(stream, start, stop, 10, () -> dev.launch(spec.decode(), nb, y, z, stream));
                    row("decode " + t + " (random blocks)", decMs, 4.0 * m, 4.0 * m + encBytes, copyBw,
                            checkDecode(t, y, z));
                    continue;
                }
                int reps = spec.encode().searching() ? 3 : 10;
                double encMs = time(stream, start, stop, reps, () -> {
                    if (spec.encode().searching()) {
                        dev.launchSearching(spec.encode(), nb, x, y, null, 1, 0, flags, stream);
                    } else {
                        dev.launch(spec.encode(), nb, x, y, stream);
                    }
                });
                String exact = checkEncode(t, host, y, null);
                row("encode " + t, encMs, 4.0 * m, 4.0 * m + encBytes, copyBw, exact);
                if (spec.encode().searching()) {
                    double wMs = time(stream, start, stop, reps, () -> dev.launchSearching(spec.encode(), nb, x, y,
                            qw, qwLength / t.blockSize(), 0, flags, stream));
                    row("encode " + t + " + imatrix", wMs, 4.0 * m, 4.0 * m + encBytes, copyBw,
                            checkEncode(t, host, y, importance));
                }
                for (var alt : spec.encoders().entrySet()) {
                    if (alt.getKey() == CudaKernels.Variant.STAGED) {
                        continue;
                    }
                    CudaKernels.Kernel g = alt.getValue();
                    String v = alt.getKey().name().toLowerCase(Locale.ROOT);
                    double gMs = time(stream, start, stop, reps,
                            () -> dev.launchSearching(g, nb, x, y, null, 1, 0, flags, stream));
                    row("encode " + t + " (" + v + ")", gMs, 4.0 * m, 4.0 * m + encBytes, copyBw,
                            checkEncode(t, host, y, null));
                    double gwMs = time(stream, start, stop, reps, () -> dev.launchSearching(g, nb, x, y, qw,
                            qwLength / t.blockSize(), 0, flags, stream));
                    row("encode " + t + " + imatrix (" + v + ")", gwMs, 4.0 * m, 4.0 * m + encBytes, copyBw,
                            checkEncode(t, host, y, importance));
                }
                double decMs = time(stream, start, stop, 10,
                        () -> dev.launch(spec.decode(), m / t.blockSize(), y, z, stream));
                row("decode " + t, decMs, 4.0 * m, 4.0 * m + encBytes, copyBw, checkDecode(t, y, z));
            }
            bnb4(dev, n, host, x, y, z, stream, start, stop, copyBw);
            hfLayoutKernels(dev, n, host, x, y, z, stream, start, stop, copyBw);
            cuMemFree(flags);
            cuMemFree(qw);
            return copyBw;
        } finally {
            cuMemFree(x);
            cuMemFree(y);
            cuMemFree(z);
        }
    }

    /** bitsandbytes 4-bit (NF4, FP4, blocksize 64): the fused absmax + encode kernel and the decoder. */
    private void bnb4(CudaDevice dev, long n, float[] host, CUdeviceptr x, CUdeviceptr y, CUdeviceptr z,
            CUstream stream, CUevent start, CUevent stop, double copyBw) {
        int bs = 64;
        CudaBnb4Bit bnb = new CudaBnb4Bit(dev);
        CUdeviceptr am = new CUdeviceptr();
        long nb = (n + bs - 1) / bs;
        cuMemAlloc(am, 4 * nb);
        try {
            for (boolean nf4 : new boolean[] {true, false}) {
                String t = (nf4 ? "NF4" : "FP4") + " (bnb, blocksize " + bs + ")";
                double encMs = time(stream, start, stop, 10, () -> bnb.launchEncode(nf4, x, am, y, n, bs, stream));
                int m = SAMPLE;
                byte[] got = new byte[m / 2];
                cuMemcpyDtoH(Pointer.to(got), y, got.length);
                float[] amv = new float[m / bs];
                Bnb.absmax(host, 0, m, bs, amv, 0);
                byte[] want = new byte[m / 2];
                Bnb4BitKernel.scalar().quantize4(nf4, host, 0, m, bs, amv, 0, MemorySegment.ofArray(want), 0);
                float[] gotAm = new float[m / bs];
                cuMemcpyDtoH(Pointer.to(gotAm), am, 4L * gotAm.length);
                int at = Arrays.mismatch(want, got);
                String exact = at >= 0 ? "NO (byte " + at + ")"
                        : !Arrays.equals(amv, gotAm) ? "NO (absmax)" : "yes";
                row("encode " + t, encMs, 4.0 * n, 4.0 * n + n / 2 + 4.0 * nb, copyBw, exact);
                // quantize against a given absmax (what a double-quant layout band runs): the encoder's absmax in
                double qMs = time(stream, start, stop, 10, () -> bnb.launchQuantize(nf4, x, am, y, n, bs, stream));
                byte[] q = new byte[m / 2];
                cuMemcpyDtoH(Pointer.to(q), y, q.length);
                int qat = Arrays.mismatch(want, q);
                row("quantize " + t + " (given absmax)", qMs, 4.0 * n, 4.0 * n + n / 2 + 4.0 * nb, copyBw,
                        qat >= 0 ? "NO (byte " + qat + ")" : "yes");
                double decMs = time(stream, start, stop, 10, () -> bnb.launchDecode(nf4, y, am, z, n, bs, stream));
                float[] dec = new float[m];
                cuMemcpyDtoH(Pointer.to(dec), z, 4L * m);
                float[] wantDec = new float[m];
                Bnb.dequantize4(MemorySegment.ofArray(want), nf4 ? Bnb.NF4 : Bnb.FP4, amv, bs, 0, m, wantDec, 0);
                String decExact = "yes";
                for (int i = 0; i < m; i++) {
                    if (Float.floatToIntBits(dec[i]) != Float.floatToIntBits(wantDec[i])) {
                        decExact = "NO (element " + i + ")";
                        break;
                    }
                }
                row("decode " + t, decMs, 4.0 * n, 4.0 * n + n / 2 + 4.0 * nb, copyBw, decExact);
            }
            int8(dev, n, host, x, y, am, stream, start, stop, copyBw);
        } finally {
            cuMemFree(am);
        }
    }

    /**
     * The Hugging Face layout kernels ({@link HfLayoutBench}): FP8 block and compressed-tensors encoders, then the
     * decoders of every pre-quantized layout (hfdecode.cu), rows of 8192.
     */
    private void hfLayoutKernels(CudaDevice dev, long n, float[] host, CUdeviceptr x, CUdeviceptr y, CUdeviceptr z,
            CUstream stream, CUevent start, CUevent stop, double copyBw) {
        try {
            for (HfLayoutBench.KernelRow r : HfLayoutBench.kernels(dev, n, host, x, y, z,
                    launch -> time(stream, start, stop, 10, () -> launch.accept(stream)))) {
                row(r.name(), r.ms(), r.f32Bytes(), r.moved(), copyBw, r.exact());
            }
        } catch (RuntimeException | Error e) {
            failed("HF layout kernels", e);
        }
        try {
            for (HfLayoutBench.KernelRow r : HfLayoutBench.decoders(dev, n, x, y, z,
                    launch -> time(stream, start, stop, 10, () -> launch.accept(stream)))) {
                row(r.name(), r.ms(), r.f32Bytes(), r.moved(), copyBw, r.exact());
            }
        } catch (RuntimeException | Error e) {
            failed("HF layout decoders", e);
        }
    }

    /** {@code --hf-layouts}: the Hugging Face layouts of the end-to-end run (comma-separated, empty for none). */
    private String hfLayouts = "fp8-block";

    /** End to end through the quantize service for each Hugging Face layout of {@code --hf-layouts}. */
    private void hfLayoutsEndToEnd(Path model, Path workdir, String layouts, int threads) {
        if (layouts.isBlank()) {
            return;
        }
        line("");
        line("### Hugging Face layouts through the quantize service (the CLI's `quantize`), GPU vs CPU x" + threads);
        line("");
        line("| layout | GPU s | CPU s | GB/s of source (GPU) | speed-up | every output file identical |");
        line("|---|---|---|---|---|---|");
        for (String name : layouts.split(",")) {
            try {
                HfLayoutBench.EndToEnd r = HfLayoutBench.endToEnd(model, workdir, name.trim(), threads);
                line(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.1fx | %s |", r.layout(), r.gpuSeconds(),
                        r.cpuSeconds(), r.sourceBytes() / 1e9 / r.gpuSeconds(), r.cpuSeconds() / r.gpuSeconds(),
                        r.identical()));
            } catch (IOException | RuntimeException e) {
                failed("HF layout end to end " + name, e);
            }
        }
    }

    /** LLM.int8 (bnb 8-bit, rows of 4096): the row-wise SCB + int8 kernel; SCB goes to {@code scb}. */
    private void int8(CudaDevice dev, long n, float[] host, CUdeviceptr x, CUdeviceptr y, CUdeviceptr scb,
            CUstream stream, CUevent start, CUevent stop, double copyBw) {
        int cols = 4096;
        long rows = n / cols;
        CudaBnbInt8 int8 = new CudaBnbInt8(dev);
        double ms = time(stream, start, stop, 10, () -> int8.launchEncode(x, scb, y, rows, cols, stream));
        int sampleRows = SAMPLE / cols;
        byte[] got = new byte[sampleRows * cols];
        cuMemcpyDtoH(Pointer.to(got), y, got.length);
        float[] gotScb = new float[sampleRows];
        cuMemcpyDtoH(Pointer.to(gotScb), scb, 4L * sampleRows);
        float[] copy = Arrays.copyOf(host, sampleRows * cols);
        byte[] want = new byte[got.length];
        float[] wantScb = new float[sampleRows];
        for (int r = 0; r < sampleRows; r++) {
            wantScb[r] = Bnb.int8Row(copy, r * cols, cols, MemorySegment.ofArray(want), (long) r * cols);
        }
        int at = Arrays.mismatch(want, got);
        String exact = at >= 0 ? "NO (byte " + at + ")" : !Arrays.equals(wantScb, gotScb) ? "NO (SCB)" : "yes";
        row("encode LLM.int8 (bnb, rows of " + cols + ")", ms, 4.0 * rows * cols, 5.0 * rows * cols + 4.0 * rows,
                copyBw, exact);
    }

    private void row(String name, double ms, double f32Bytes, double moved, double copyBw, String exact) {
        double movedBw = moved / (ms * 1e-3);
        line(String.format(Locale.ROOT, "| %s | %.3f | %.0f | %.0f | %.0f %% | %s |", name, ms,
                f32Bytes / (ms * 1e-3) / 1e9, movedBw / 1e9, 100 * movedBw / copyBw, exact));
    }

    private static final int SAMPLE = 1 << 20;

    private static String checkEncode(DType t, float[] host, CUdeviceptr y, float[] importance) {
        int m = SAMPLE - SAMPLE % t.blockSize();
        byte[] got = new byte[(int) t.byteSize(m)];
        cuMemcpyDtoH(Pointer.to(got), y, got.length);
        byte[] want = new byte[got.length];
        if (importance == null) {
            Codecs.scalar(t).encode(host, 0, m, MemorySegment.ofArray(want), 0);
        } else {
            Codecs.scalar(t).encodeRows(host, 0, m / importance.length, importance.length, importance,
                    MemorySegment.ofArray(want), 0);
        }
        int at = Arrays.mismatch(want, got);
        return at < 0 ? "yes" : "NO (byte " + at + ")";
    }

    private static String checkDecode(DType t, CUdeviceptr y, CUdeviceptr z) {
        int m = SAMPLE - SAMPLE % t.blockSize();
        byte[] enc = new byte[(int) t.byteSize(m)];
        cuMemcpyDtoH(Pointer.to(enc), y, enc.length);
        float[] got = new float[m];
        cuMemcpyDtoH(Pointer.to(got), z, 4L * m);
        float[] want = new float[m];
        Codecs.scalar(t).decode(MemorySegment.ofArray(enc), 0, m, want, 0);
        for (int i = 0; i < m; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                return "NO (element " + i + ")";
            }
        }
        return "yes";
    }

    private static double time(CUstream stream, CUevent start, CUevent stop, int reps, Runnable launch) {
        launch.run();
        launch.run();
        cuStreamSynchronize(stream);
        cuEventRecord(start, stream);
        for (int i = 0; i < reps; i++) {
            launch.run();
        }
        cuEventRecord(stop, stream);
        cuEventSynchronize(stop);
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, stop);
        return ms[0] / reps;
    }

    // ---------------------------------------------------------------------------------------------- host pipeline

    private void hostPipeline(CudaDevice dev) {
        long n = 1L << 29; // 512 Mi elements: 1 GiB of f16
        line("");
        line("## Host pipeline (CudaDevice.transcode: host bytes -> pinned -> GPU -> pinned -> host, two streams)");
        line("");
        line("| conversion | s | G elements/s | GB/s source read | GB/s over PCIe (both ways) |");
        line("|---|---|---|---|---|");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(2 * n, 64);
            float[] pool = gaussianish(1 << 22, 7);
            byte[] poolF16 = new byte[2 << 22];
            Codecs.scalar(DType.F16).encode(pool, 0, pool.length, MemorySegment.ofArray(poolF16), 0);
            for (long off = 0; off < 2 * n; off += poolF16.length) {
                MemorySegment.copy(MemorySegment.ofArray(poolF16), 0, src, off, Math.min(poolF16.length, 2 * n - off));
            }
            for (DType[] p : new DType[][] {{DType.F16, DType.Q8_0}, {DType.F16, DType.F8_E4M3},
                    {DType.BF16, DType.Q4_0}, {DType.F32, DType.Q8_0}, {DType.F16, DType.Q6_K},
                    {DType.F16, DType.IQ4_XS}}) {
                if (!CudaKernels.canTranscode(p[0], p[1])) {
                    continue;
                }
                long count = p[0] == DType.F32 ? n / 2 : n;
                MemorySegment dst = arena.allocate(p[1].byteSize(count), 64);
                dev.transcode(p[0], src, 0, p[1], dst, 0, CudaDevice.LANE_ELEMENTS); // warm-up
                long t0 = System.nanoTime();
                dev.transcode(p[0], src, 0, p[1], dst, 0, count);
                double s = (System.nanoTime() - t0) / 1e9;
                double in = p[0].byteSize(count);
                double outB = p[1].byteSize(count);
                line(String.format(Locale.ROOT, "| %s -> %s | %.3f | %.2f | %.1f | %.1f |", p[0], p[1], s,
                        count / s / 1e9, in / s / 1e9, (in + outB) / s / 1e9));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- end to end

    private void endToEnd(Path workdir, double modelGb, String targets, int threads, double copyBw)
            throws IOException {
        Files.createDirectories(workdir);
        Path model = workdir.resolve("synthetic-f16.safetensors");
        int rows = 8192;
        int cols = 8192;
        long perTensor = 2L * rows * cols;
        int tensors = (int) Math.ceil(modelGb * 1e9 / perTensor);
        line("");
        line(String.format(Locale.ROOT, "## End to end: synthetic F16 model, %d tensors of %dx%d (%.2f GB), %d CPU"
                + " threads", tensors, rows, cols, tensors * (double) perTensor / 1e9, threads));
        line("");
        long t0 = System.nanoTime();
        writeModel(model, tensors, rows, cols);
        line(String.format(Locale.ROOT, "generated %s in %.1f s", model, (System.nanoTime() - t0) / 1e9));
        line("");
        line("| target | device | s | GB/s of source | speed-up | output identical to CPU |");
        line("|---|---|---|---|---|---|");
        for (String name : targets.split(",")) {
            if (name.trim().equalsIgnoreCase(BNB_NF4)) {
                bnbEndToEnd(model, workdir, threads);
                continue;
            }
            DType type = DType.parse(name.trim()).orElse(null);
            if (type == null || !Codecs.supports(type)) {
                line("| " + name + " | - | - | - | - | not available in this build |");
                continue;
            }
            boolean st = type == DType.F8_E4M3 || type == DType.F8_E5M2;
            TargetFormat fmt = st ? TargetFormat.SAFETENSORS : TargetFormat.GGUF;
            String ext = st ? ".safetensors" : ".gguf";
            Path gpuOut = workdir.resolve("out-gpu-" + type + ext);
            Path cpuOut = workdir.resolve("out-cpu-" + type + ext);
            EngineOptions base = EngineOptions.withThreads(threads);
            double gpuS;
            double cpuS;
            boolean same;
            try {
                gpuS = convert(model, gpuOut, fmt, type, base.withDevice(DeviceChoice.parse("cuda")));
                cpuS = convert(model, cpuOut, fmt, type, base.withDevice(DeviceChoice.CPU));
                same = Files.mismatch(gpuOut, cpuOut) < 0;
            } catch (IOException | RuntimeException e) {
                failed("end to end " + type, e);
                Files.deleteIfExists(gpuOut);
                Files.deleteIfExists(cpuOut);
                continue;
            }
            double gb = Files.size(model) / 1e9;
            line(String.format(Locale.ROOT, "| %s | GPU (%s) | %.2f | %.2f | %.1fx | %s |", type,
                    CudaKernels.canEncode(type) ? "kernel" : "no kernel: CPU codec", gpuS, gb / gpuS, cpuS / gpuS,
                    same ? "yes" : "NO"));
            line(String.format(Locale.ROOT, "| %s | CPU x%d | %.2f | %.2f | 1.0x | - |", type, threads, cpuS,
                    gb / cpuS));
            Files.deleteIfExists(gpuOut);
            Files.deleteIfExists(cpuOut);
        }
        engineOnly(model, threads);
        hfLayoutsEndToEnd(model, workdir, hfLayouts, threads);
        Files.deleteIfExists(model);
    }

    /** The {@code --targets} name of the bitsandbytes NF4 end-to-end case. */
    static final String BNB_NF4 = "NF4";

    /** transformers' {@code BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", double quant)}. */
    private static final Map<String, Object> BNB_NF4_RECIPE = Map.of("quant_backend", "bitsandbytes_4bit",
            "quant_kwargs", Map.of("load_in_4bit", true, "bnb_4bit_quant_type", "nf4",
                    "bnb_4bit_use_double_quant", true, "bnb_4bit_compute_dtype", "bfloat16"));

    /**
     * bitsandbytes NF4 (blocksize 64, double quant) of the synthetic model, as {@code weightcast convert --recipe}
     * writes it (the same {@link RecipeService} call), on the GPU and on the CPU: times and identical folders.
     */
    private void bnbEndToEnd(Path model, Path workdir, int threads) throws IOException {
        Recipe recipe = Recipe.parse(BNB_NF4_RECIPE);
        String what = "NF4 (bnb, bs 64, double quant)";
        Path gpuOut = workdir.resolve("out-gpu-bnb-nf4");
        Path cpuOut = workdir.resolve("out-cpu-bnb-nf4");
        EngineOptions base = EngineOptions.withThreads(threads);
        double gpuS;
        double cpuS;
        String same;
        try {
            gpuS = recipe(model, gpuOut, recipe, base.withDevice(DeviceChoice.parse("cuda")));
            cpuS = recipe(model, cpuOut, recipe, base.withDevice(DeviceChoice.CPU));
            same = sameFolders(gpuOut, cpuOut);
        } catch (IOException | RuntimeException e) {
            failed("end to end " + what, e);
            return;
        } finally {
            deleteTree(gpuOut);
            deleteTree(cpuOut);
        }
        double gb = Files.size(model) / 1e9;
        line(String.format(Locale.ROOT, "| %s | GPU (kernel) | %.2f | %.2f | %.1fx | %s |", what, gpuS, gb / gpuS,
                cpuS / gpuS, same));
        line(String.format(Locale.ROOT, "| %s | CPU x%d | %.2f | %.2f | 1.0x | - |", what, threads, cpuS,
                gb / cpuS));
        // Both runs include the plan's first pass (CPU, parallel): double quant needs mean(absmax) in the header.
        try (var source = io.weightcast.formats.ModelFiles.open(model)) {
            long t0 = System.nanoTime();
            QuantizeService.plan(QuantizedCheckpoint.of(source), recipe.layoutFor(""));
            line(String.format(Locale.ROOT, "| %s: plan alone (absmax first pass, CPU) | - | %.2f | - | - | - |",
                    what, (System.nanoTime() - t0) / 1e9));
        }
    }

    private static double recipe(Path in, Path out, Recipe recipe, EngineOptions engine) throws IOException {
        deleteTree(out);
        long t0 = System.nanoTime();
        RecipeService.run(in, out, recipe, engine, 0, ProgressListener.NONE);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** "yes" when both folders hold the same file names with the same bytes, else what differs. */
    private static String sameFolders(Path a, Path b) throws IOException {
        List<String> names;
        try (var s = Files.list(a)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (var s = Files.list(b)) {
            if (!names.equals(s.map(p -> p.getFileName().toString()).sorted().toList())) {
                return "NO (file names)";
            }
        }
        for (String n : names) {
            if (Files.mismatch(a.resolve(n), b.resolve(n)) >= 0) {
                return "NO (" + n + ")";
            }
        }
        return "yes (" + names.size() + " files)";
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /**
     * The engine alone (no output file: a CRC32C of the bytes instead), with an importance matrix, for the
     * weighted types: what an imatrix quantization costs on the GPU vs the CPU once the disk is out of the way.
     */
    private void engineOnly(Path model, int threads) {
        line("");
        line("### Engine only, with an importance matrix (first 8 tensors, 1.07 GB; bytes checksummed, not written)");
        line("");
        line("| target | GPU s | CPU x" + threads + " s | GB/s of source (GPU) | speed-up | identical |");
        line("|---|---|---|---|---|---|");
        for (DType type : new DType[] {DType.Q4_K, DType.Q6_K, DType.IQ4_XS}) {
            if (!Codecs.supports(type) || !CudaKernels.encodesImportance(type)) {
                continue;
            }
            try (var source = io.weightcast.formats.ModelFiles.open(model)) {
                List<io.weightcast.core.plan.TensorJob> jobs = new ArrayList<>();
                for (var t : source.tensors().subList(0, Math.min(8, source.tensors().size()))) {
                    int cols = (int) t.rowLength();
                    float[] imp = gaussianish(cols, t.name().hashCode());
                    for (int i = 0; i < cols; i++) {
                        imp[i] = imp[i] * imp[i] * 1000 + 1e-3f;
                    }
                    jobs.add(new io.weightcast.core.plan.TensorJob(t, new TensorSpec(t.name(), t.shape(), type),
                            null, io.weightcast.core.plan.SourceTransform.NONE, imp));
                }
                var plan = new io.weightcast.core.plan.ConversionPlan(jobs);
                EngineOptions base = EngineOptions.withThreads(threads);
                long[] gpuSum = new long[1];
                long[] cpuSum = new long[1];
                double gpuS = runEngine(plan, base.withDevice(DeviceChoice.parse("cuda")), gpuSum);
                double cpuS = runEngine(plan, base.withDevice(DeviceChoice.CPU), cpuSum);
                double gb = plan.sourceBytes() / 1e9;
                line(String.format(Locale.ROOT, "| %s + imatrix | %.2f | %.2f | %.2f | %.1fx | %s |", type, gpuS,
                        cpuS, gb / gpuS, cpuS / gpuS, gpuSum[0] == cpuSum[0] ? "yes (CRC32C)" : "NO"));
            } catch (IOException | RuntimeException e) {
                failed("engine only " + type, e);
            }
        }
    }

    private static double runEngine(io.weightcast.core.plan.ConversionPlan plan, EngineOptions options, long[] sum)
            throws IOException {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        io.weightcast.formats.tensor.TensorSink sink = new io.weightcast.formats.tensor.TensorSink() {
            @Override
            public void write(MemorySegment bytes) {
                crc.update(bytes.asByteBuffer());
            }

            @Override
            public void commit() {
            }

            @Override
            public void close() {
            }
        };
        long t0 = System.nanoTime();
        new io.weightcast.core.engine.ConversionEngine(options).run(plan, sink, ProgressListener.NONE);
        double s = (System.nanoTime() - t0) / 1e9;
        sum[0] = crc.getValue();
        return s;
    }

    private static double convert(Path in, Path out, TargetFormat fmt, DType type, EngineOptions engine)
            throws IOException {
        Files.deleteIfExists(out);
        long t0 = System.nanoTime();
        ConvertService.convert(new ConvertRequest(in, out, fmt, type, engine, 0), ProgressListener.NONE);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Streams a synthetic F16 model to disk: rows x cols weights, pseudo-Gaussian values from a rotating pool. */
    private static void writeModel(Path path, int tensors, int rows, int cols) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            specs.add(new TensorSpec("model.layers." + i + ".mlp.up_proj.weight", new long[] {rows, cols},
                    DType.F16));
        }
        int poolElements = 1 << 24; // 32 MiB of f16
        float[] pool = gaussianish(poolElements + 8192, 3);
        byte[] poolF16 = new byte[2 * (poolElements + 8192)];
        Codecs.forType(DType.F16).encode(pool, 0, pool.length, MemorySegment.ofArray(poolF16), 0);
        MemorySegment poolSeg = MemorySegment.ofArray(poolF16);
        long perTensor = 2L * rows * cols;
        try (SafetensorsWriter w = SafetensorsWriter.create(path, specs, Map.of("format", "pt"))) {
            for (int i = 0; i < tensors; i++) {
                long shift = 2L * ((i * 1031L) % 8192);
                for (long off = 0; off < perTensor; off += 2L * poolElements) {
                    long len = Math.min(2L * poolElements, perTensor - off);
                    w.write(poolSeg.asSlice(shift, len));
                }
            }
            w.commit();
        }
    }
}
