package io.weightcast.core.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.cuda.CudaRuntime;
import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.engine.ProgressListener;
import io.weightcast.core.job.QuantizeService;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bitsandbytes 4-bit through the layout engine on a GPU ({@code --device cuda}: {@link BnbFourBitEncoder#onDevice},
 * {@code CudaBnb4Bit} per band; LLM.int8: {@link BnbInt8Encoder#onDevice}, {@code CudaBnbInt8}) writes the same files,
 * byte for byte, as on the CPU: NF4 and FP4, with and without double quant, block sizes 32 to 4096, and LLM.int8, on a synthetic model (1024x1024 weights, a weight of more than one GPU
 * band, an odd-sized one with a partial last block, NaN and inf values) and on the transformers-written tiny Llama.
 * The GPU part is skipped without a GPU; the band-wise absmax of the CPU encoder is checked against a whole-tensor
 * {@link Bnb#absmax} everywhere.
 */
class CudaBnbLayoutTest {
    @TempDir
    Path tmp;

    static BnbLayout layout(String type, int blocksize, boolean doubleQuant) {
        return new BnbLayout(BnbLayout.Bits.FOUR, type, blocksize, doubleQuant, "bfloat16", "uint8", 6.0,
                ModuleRules.defaults());
    }

    @Test
    void gpuFilesEqualCpuFiles() throws Exception {
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device (" + CudaRuntime.unavailableReason()
                + "): GPU tests run on a GPU machine through scripts/gpu-suite.sh");
        Path synthetic = syntheticModel(tmp.resolve("synthetic"), true);
        List<Path> models = new ArrayList<>(List.of(synthetic));
        HfFixtures.model("tiny-llama-bf16").ifPresent(models::add);
        List<BnbLayout> layouts = List.of(layout("nf4", 64, true), layout("fp4", 64, false),
                layout("nf4", 32, false), layout("fp4", 512, true), layout("nf4", 4096, false),
                BnbLayout.eightBit());
        int k = 0;
        for (Path model : models) {
            for (BnbLayout l : layouts) {
                Path cpu = tmp.resolve("cpu" + k);
                Path gpu = tmp.resolve("gpu" + k++);
                QuantizeService.quantize(model, cpu, l, EngineOptions.withThreads(4), 0, ProgressListener.NONE);
                QuantizeService.quantize(model, gpu, l, EngineOptions.withThreads(4)
                        .withDevice(DeviceChoice.parse("cuda")), 0, ProgressListener.NONE);
                assertSameFiles(cpu, gpu, model.getFileName() + " " + l.describe());
            }
        }
    }

    /** Without double quant the bands compute the absmax; it must equal the whole tensor's, codes included. */
    @Test
    void bandAbsmaxEqualsWholeTensorAbsmax() throws Exception {
        Path model = syntheticModel(tmp.resolve("small"), false);
        for (boolean nf4 : new boolean[] {true, false}) {
            BnbLayout l = layout(nf4 ? "nf4" : "fp4", 64, false);
            Path out = tmp.resolve("out-" + nf4);
            QuantizeService.quantize(model, out, l, new EngineOptions(3, 4096, 1 << 16), 0, ProgressListener.NONE);
            try (ModelFile src = ModelFiles.open(model); ModelFile m = ModelFiles.open(out)) {
                for (TensorView t : src.tensors()) {
                    if (t.rank() != 2) {
                        continue;
                    }
                    int n = Math.toIntExact(t.elementCount());
                    float[] x = new float[n];
                    Codecs.forType(t.dtype()).decode(t.data(), 0, n, x, 0);
                    float[] am = new float[(n + 63) / 64];
                    Bnb.absmax(x, 0, n, 64, am, 0);
                    byte[] codes = new byte[(n + 1) / 2];
                    Bnb.quantize4(nf4, x, 0, n, 64, am, 0, MemorySegment.ofArray(codes), 0);
                    TensorView a = m.tensor(t.name() + ".absmax").orElseThrow();
                    assertEquals(DType.F32, a.dtype());
                    assertArrayEquals(am, a.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), t.name());
                    assertArrayEquals(codes, m.tensor(t.name()).orElseThrow().data().toArray(ValueLayout.JAVA_BYTE),
                            t.name());
                }
            }
        }
    }

    /**
     * Weights holding NaN and inf make a NaN or infinite double-quant offset, which the quant_state JSON records as
     * Python's json.dumps does ({@code NaN}, {@code Infinity}); the reader must take it back as json.loads does.
     */
    @Test
    void doubleQuantOfNonFiniteWeightsReadsBack() throws Exception {
        Path model = syntheticModel(tmp.resolve("nonfinite"), false);
        Path out = tmp.resolve("nonfinite-nf4");
        QuantizeService.quantize(model, out, layout("nf4", 64, true), new EngineOptions(2, 4096, 1 << 16), 0,
                ProgressListener.NONE);
        try (ModelFile m = ModelFiles.open(out)) {
            QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
            boolean nonFiniteOffset = false;
            for (LogicalTensor t : cp.tensors()) {
                if (t.isPlain()) {
                    continue;
                }
                TensorView qs = m.tensor(t.name() + ".quant_state.bitsandbytes__nf4").orElseThrow();
                String json = new String(qs.data().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                nonFiniteOffset |= json.contains("\"nested_offset\": NaN") || json.contains("Infinity");
                float[] v = new float[(int) Math.min(4096, t.elementCount())];
                t.source().decode(0, v.length, v, 0); // decodes: the absmax was rebuilt from the nested state
            }
            assertTrue(nonFiniteOffset, "the fixture must produce a non-finite nested_offset");
        }
    }

    static void assertSameFiles(Path cpu, Path gpu, String what) throws IOException {
        List<String> names;
        try (Stream<Path> s = Files.list(cpu)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> s = Files.list(gpu)) {
            assertEquals(names, s.map(p -> p.getFileName().toString()).sorted().toList(), what);
        }
        assertTrue(names.stream().anyMatch(n -> n.endsWith(".safetensors")), what);
        for (String n : names) {
            assertEquals(-1L, Files.mismatch(cpu.resolve(n), gpu.resolve(n)), what + ": " + n + " differs");
        }
    }

    /**
     * A folder with {@code model.safetensors}: Linear weights of 1024x1024 (F16, and F32 with NaN and inf values), an
     * odd-sized one (1001x1031: partial last blocks, an odd element count) and a norm; with {@code large}, also
     * one of 4096x4608 (more than one 16 Mi GPU band, several sub-chunks per band).
     */
    static Path syntheticModel(Path folder, boolean large) throws IOException {
        Files.createDirectories(folder);
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec("model.layers.0.mlp.up_proj.weight", new long[] {1024, 1024}, DType.F16));
        specs.add(new TensorSpec("model.layers.0.mlp.down_proj.weight", new long[] {1001, 1031}, DType.F16));
        specs.add(new TensorSpec("model.layers.0.self_attn.q_proj.weight", new long[] {1024, 1024}, DType.F32));
        specs.add(new TensorSpec("model.layers.0.input_layernorm.weight", new long[] {1024}, DType.F16));
        if (large) {
            specs.add(new TensorSpec("model.layers.1.mlp.gate_proj.weight", new long[] {4096, 4608}, DType.F16));
        }
        SplittableRandom r = new SplittableRandom(0xB1B);
        Path file = folder.resolve("model.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                int n = Math.toIntExact(s.elementCount());
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) (r.nextGaussian() * 0.02 * (i % 4099 == 0 ? 50 : 1));
                }
                if (s.name().contains("q_proj")) {
                    x[100] = Float.NaN;
                    x[5000] = Float.intBitsToFloat(0xFFC01234); // a payload: the GPU's NaN absmax would not keep it
                    x[70_000] = Float.POSITIVE_INFINITY;
                    x[90_001] = Float.NEGATIVE_INFINITY;
                }
                byte[] bytes = new byte[(int) s.byteSize()];
                Codecs.forType(s.dtype()).encode(x, 0, n, MemorySegment.ofArray(bytes), 0);
                w.write(MemorySegment.ofArray(bytes));
            }
            w.commit();
        }
        return folder;
    }
}
