package io.weightcast.bench;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;

import io.weightcast.core.codec.CompressedTensorsQuantizer;
import io.weightcast.core.codec.CompressedTensorsQuantizer.Kind;
import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.cuda.CudaCompressedTensors;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaFp8Block;
import io.weightcast.core.codec.cuda.CudaHfDecode;
import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.core.layout.CompressedTensorsLayout;
import io.weightcast.core.layout.Fp8BlockLayout;
import io.weightcast.core.layout.ModuleRules;
import io.weightcast.core.layout.QuantLayout;
import io.weightcast.formats.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * The Hugging Face layouts on the GPU, for {@link GpuBenchmark}: the kernels of {@code fp8block.cu} (transformers'
 * fine-grained FP8) and {@code compressed.cu} (compressed-tensors) on device-resident data, each checked against
 * the CPU on a sample; and the quantize service (what the CLI's {@code quantize} runs) end to end on the synthetic
 * model, GPU vs CPU, with every output file compared byte for byte; and the decoders of the pre-quantized layouts
 * ({@code hfdecode.cu}, {@link #decoders}).
 */
final class HfLayoutBench {

    private HfLayoutBench() {}

    /** One kernel's timing: f32 bytes read and all bytes moved (input, codes, scales) per launch. */
    record KernelRow(String name, double ms, double f32Bytes, double moved, String exact) {
    }

    /** One layout end to end. */
    record EndToEnd(String layout, double gpuSeconds, double cpuSeconds, long sourceBytes, String identical) {
    }

    /** Times a launch on a stream (milliseconds per launch). */
    @FunctionalInterface
    interface Timer {
        double time(Consumer<CUstream> launch);
    }

    /** Row length of the kernel runs: a 8192-wide Linear weight. */
    static final int COLS = 8192;
    /** Rows compared with the CPU: one row of 128x128 tiles. */
    static final int SAMPLE_ROWS = 128;

    /**
     * Kernel rows over {@code n} f32 values at {@code x} (a copy of {@code host}) seen as rows of {@link #COLS}; codes
     * go to {@code y}, scales to {@code z} (each of {@code 4n} bytes).
     */
    static List<KernelRow> kernels(CudaDevice dev, long n, float[] host, CUdeviceptr x, CUdeviceptr y, CUdeviceptr z,
            Timer timer) {
        int rows = (int) (n / COLS) / SAMPLE_ROWS * SAMPLE_ROWS;
        double m = (double) rows * COLS;
        List<KernelRow> out = new ArrayList<>();
        for (Fp8BlockQuantizer.Mode mode : Fp8BlockQuantizer.Mode.values()) {
            CudaFp8Block k = new CudaFp8Block(dev, mode);
            double ms = timer.time(s -> k.launch(x, y, z, rows, COLS, 128, 128, s));
            long tiles = CudaFp8Block.tiles(rows, COLS, 128, 128);
            out.add(new KernelRow("encode FP8 block 128x128 (" + mode.name().toLowerCase(java.util.Locale.ROOT)
                    + ")", ms, 4 * m, 4 * m + m + 4.0 * tiles, checkFp8Block(mode, host, y, z)));
        }
        record Ct(String name, Kind kind, int bits, int groupSize) {
        }
        for (Ct c : List.of(new Ct("FP8 per channel", Kind.FP8, 8, COLS),
                new Ct("int8 per channel (naive)", Kind.INT8, 8, COLS),
                new Ct("int8 per channel (packed, W8A16)", Kind.PACKED, 8, COLS),
                new Ct("int4 group 128 (packed, W4A16)", Kind.PACKED, 4, 128))) {
            CompressedTensorsQuantizer q = new CompressedTensorsQuantizer(c.kind(), c.bits(), DType.BF16, COLS,
                    c.groupSize(), false, 0f);
            CudaCompressedTensors k = new CudaCompressedTensors(dev, q);
            double ms = timer.time(s -> k.launch(x, y, z, rows, s));
            out.add(new KernelRow("encode compressed-tensors " + c.name() + ", bf16 scales", ms, 4 * m,
                    4 * m + (double) rows * q.rowBytes() + 4.0 * rows * q.scalesPerRow(), checkCt(q, host, y, z)));
        }
        return out;
    }

    /**
     * Decoder rows ({@code hfdecode.cu}, what {@code dequantize}/{@code convert} of a pre-quantized checkpoint runs
     * with a GPU): bnb NF4 (blocksize 64), LLM.int8, FP8 128x128 blocks, compressed-tensors int4 group 128 (packed)
     * and FP8 per channel, over random codes and scales of about {@code n} elements (rows of {@link #COLS}). The codes
     * go to {@code x}, the NaN flag and the vectors to {@code z}, the f32 values to {@code y}; the first
     * {@link #SAMPLE_ROWS} rows are compared with the CPU decode (float bits).
     */
    static List<KernelRow> decoders(CudaDevice dev, long n, CUdeviceptr x, CUdeviceptr y, CUdeviceptr z,
            Timer timer) {
        int rows = (int) (n / COLS) / SAMPLE_ROWS * SAMPLE_ROWS;
        int m = rows * COLS;
        java.util.SplittableRandom r = new java.util.SplittableRandom(6);
        byte[] codes = new byte[m];
        r.nextBytes(codes);
        for (int i = 0; i < m; i++) {
            codes[i] &= (byte) 0xF7; // no e4m3 NaN code (0x7F, 0xFF): NaN values would go back to the CPU
        }
        MemorySegment src = MemorySegment.ofArray(codes);
        float[] perRow = scales(r, rows);
        CudaHfDecode k = new CudaHfDecode(dev);
        List<KernelRow> out = new ArrayList<>();
        record Case(String name, io.weightcast.core.codec.cuda.HfDecode w, long srcBytes, HfDecode.Cpu cpu) {
        }
        float[] absmax = scales(r, m / 64);
        float[] tiles = scales(r, (int) CudaFp8Block.tiles(rows, COLS, 128, 128));
        float[] groups = scales(r, m / 128);
        List<Case> cases = List.of(
                new Case("bnb NF4 blocksize 64", HfDecode.bnb4(src, io.weightcast.core.codec.Bnb.NF4, absmax, 64),
                        m / 2, (f, c, d, o) -> io.weightcast.core.codec.Bnb.dequantize4(src,
                                io.weightcast.core.codec.Bnb.NF4, absmax, 64, f, c, d, o)),
                new Case("LLM.int8 (SCB per row)", HfDecode.int8(src, perRow, COLS), m, (f, c, d, o) -> {
                    for (int i = 0; i < c; i++) {
                        d[o + i] = codes[(int) f + i] * perRow[(int) ((f + i) / COLS)]
                                * io.weightcast.core.codec.Bnb.INV_127;
                    }
                }),
                new Case("FP8 block 128x128", HfDecode.fp8Block(src, tiles, rows, COLS, 128, 128), m,
                        (f, c, d, o) -> Fp8BlockQuantizer.dequantize(src, rows, COLS, 128, 128,
                                MemorySegment.ofArray(tiles), DType.F32, f, c, d, o)),
                new Case("compressed-tensors int4 group 128 (packed)", HfDecode.ctPacked(src, groups, COLS,
                        COLS / 8, 4, COLS / 128, 128), m / 2, (f, c, d, o) -> {
                    for (int i = 0; i < c; i++) {
                        long e = f + i;
                        long row = e / COLS;
                        long col = e - row * COLS;
                        int word = src.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED,
                                row * (COLS / 8) + col / 8);
                        d[o + i] = io.weightcast.core.codec.CompressedTensorsMath.unpack(word, (int) (col % 8), 4)
                                * groups[(int) (row * (COLS / 128) + col / 128)];
                    }
                }),
                new Case("compressed-tensors FP8 per channel", HfDecode.ctPlain(src, true, perRow, null, COLS, 1,
                        COLS), m, (f, c, d, o) -> {
                    for (int i = 0; i < c; i++) {
                        d[o + i] = (io.weightcast.core.codec.Fp8.e4m3ToFloat(codes[(int) f + i]) - 0)
                                * perRow[(int) ((f + i) / COLS)];
                    }
                }));
        for (Case c : cases) {
            HfDecode.Piece p = c.w().piece(0, m);
            long aAt = 256;
            long bAt = aAt + (4L * p.aLen() + 255) / 256 * 256;
            jcuda.driver.JCudaDriver.cuMemcpyHtoD(x, Pointer.to(codes), c.srcBytes());
            jcuda.driver.JCudaDriver.cuMemcpyHtoD(z.withByteOffset(aAt), Pointer.to(c.w().a()), 4L * p.aLen());
            if (p.bLen() > 0) {
                jcuda.driver.JCudaDriver.cuMemcpyHtoD(z.withByteOffset(bAt), Pointer.to(c.w().b()), 4L * p.bLen());
            }
            jcuda.driver.JCudaDriver.cuMemsetD32(z, 0, 1);
            double ms = timer.time(s -> k.launch(c.w(), x, z.withByteOffset(aAt), z.withByteOffset(bAt), y, z, 0, m,
                    s));
            int sample = SAMPLE_ROWS * COLS;
            float[] got = new float[sample];
            cuMemcpyDtoH(Pointer.to(got), y, 4L * sample);
            float[] want = new float[sample];
            c.cpu().decode(0, sample, want, 0);
            String exact = "yes";
            for (int i = 0; i < sample; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                    exact = "NO (element " + i + ")";
                    break;
                }
            }
            out.add(new KernelRow("decode " + c.name(), ms, 4.0 * m, 4.0 * m + c.srcBytes() + 4.0 * (p.aLen()
                    + p.bLen()), exact));
        }
        return out;
    }

    private static float[] scales(java.util.SplittableRandom r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (0.001 + r.nextDouble() * 0.05);
        }
        return f;
    }

    private static String checkFp8Block(Fp8BlockQuantizer.Mode mode, float[] host, CUdeviceptr y, CUdeviceptr z) {
        int n = SAMPLE_ROWS * COLS;
        byte[] got = new byte[n];
        float[] gotInv = new float[COLS / 128];
        cuMemcpyDtoH(Pointer.to(got), y, n);
        cuMemcpyDtoH(Pointer.to(gotInv), z, 4L * gotInv.length);
        byte[] want = new byte[n];
        float[] wantInv = new float[gotInv.length];
        Fp8BlockQuantizer.of(mode).quantizeBand(Arrays.copyOf(host, n), 0, SAMPLE_ROWS, COLS, 128,
                MemorySegment.ofArray(want), 0, wantInv, 0);
        int at = Arrays.mismatch(want, got);
        return at >= 0 ? "NO (byte " + at + ")" : !Arrays.equals(wantInv, gotInv) ? "NO (scale_inv)" : "yes";
    }

    private static String checkCt(CompressedTensorsQuantizer q, float[] host, CUdeviceptr y, CUdeviceptr z) {
        byte[] got = new byte[SAMPLE_ROWS * q.rowBytes()];
        float[] gotScales = new float[SAMPLE_ROWS * q.scalesPerRow()];
        cuMemcpyDtoH(Pointer.to(got), y, got.length);
        cuMemcpyDtoH(Pointer.to(gotScales), z, 4L * gotScales.length);
        byte[] want = new byte[got.length];
        float[] wantScales = new float[gotScales.length];
        q.encodeRows(host, 0, SAMPLE_ROWS, MemorySegment.ofArray(want), 0, wantScales, 0);
        int at = Arrays.mismatch(want, got);
        return at >= 0 ? "NO (byte " + at + ")" : !Arrays.equals(wantScales, gotScales) ? "NO (scales)" : "yes";
    }

    /** The layout of a {@code --hf-layouts} name (a fresh one per run: layouts collect warnings). */
    static QuantLayout layout(String name) {
        return switch (name) {
            case "fp8-block" -> Fp8BlockLayout.defaults();
            case "fp8-block-direct" -> new Fp8BlockLayout(128, 128, ModuleRules.defaults(),
                    Fp8BlockQuantizer.Mode.DIRECT, "dynamic");
            case "ct-fp8" -> CompressedTensorsLayout.fromKwargs(Map.of("scheme", "FP8_DYNAMIC"));
            case "ct-fp8-tensor" -> CompressedTensorsLayout.fromKwargs(Map.of("scheme", "FP8_TENSOR"));
            case "ct-w4a16" -> CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W4A16"));
            case "ct-w8a16" -> CompressedTensorsLayout.fromKwargs(Map.of("scheme", "W8A16"));
            default -> throw new IllegalArgumentException("unknown HF layout " + name + " (fp8-block, "
                    + "fp8-block-direct, ct-fp8, ct-fp8-tensor, ct-w4a16, ct-w8a16)");
        };
    }

    /** The quantize service on the GPU, then on the CPU; every file of the two output folders compared. */
    static EndToEnd endToEnd(Path model, Path workdir, String name, int threads) throws IOException {
        QuantLayout describe = layout(name);
        Path gpuOut = workdir.resolve("hf-gpu-" + name);
        Path cpuOut = workdir.resolve("hf-cpu-" + name);
        deleteTree(gpuOut);
        deleteTree(cpuOut);
        try {
            EngineOptions base = EngineOptions.withThreads(threads);
            double gpuS = quantize(model, gpuOut, layout(name), base.withDevice(DeviceChoice.parse("cuda")));
            double cpuS = quantize(model, cpuOut, layout(name), base.withDevice(DeviceChoice.CPU));
            return new EndToEnd(name + ": " + describe.describe(), gpuS, cpuS, Files.size(model),
                    compare(gpuOut, cpuOut));
        } finally {
            deleteTree(gpuOut);
            deleteTree(cpuOut);
        }
    }

    private static double quantize(Path model, Path out, QuantLayout layout, EngineOptions engine)
            throws IOException {
        long t0 = System.nanoTime();
        QuantizeService.quantize(model, out, layout, engine, 0, ProgressListener.NONE);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** "yes (N files)" when both folders hold the same files with the same bytes, else what differs. */
    static String compare(Path a, Path b) throws IOException {
        List<String> names = names(a);
        if (!names.equals(names(b))) {
            return "NO (files " + names + " vs " + names(b) + ")";
        }
        for (String n : names) {
            long at = Files.mismatch(a.resolve(n), b.resolve(n));
            if (at >= 0) {
                return "NO (" + n + " at byte " + at + ")";
            }
        }
        return "yes (" + names.size() + " files)";
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
