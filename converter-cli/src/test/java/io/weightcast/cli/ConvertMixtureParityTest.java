package io.weightcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.job.LlamaQuantizeService;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.core.plan.llama.LlamaFtype;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufReader;
import io.weightcast.formats.imatrix.ImportanceMatrix;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import io.weightcast.testdata.peer.LlamaPeer;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code convert CHECKPOINT --type Q4_K_M} (one pass) against the two-step path it replaces: convert to the
 * F16/BF16 GGUF ({@code --outtype auto}), then llama.cpp's own {@code llama_model_quantize} (the peer's libllama
 * through FFM). Every tensor gets the same type and the same metadata values; from the bf16 checkpoint (whose
 * values the BF16 intermediate holds exactly) every tensor has the same bytes. From an f32 checkpoint the bytes
 * differ by design: the one pass quantizes the f32 values, llama-quantize their F16 rounding (the logits test
 * measures which is closer to transformers).
 */
class ConvertMixtureParityTest {
    @TempDir
    static Path dir;
    static LlamaPeer peer;
    static Path bf16Checkpoint;
    static Path f32Checkpoint;

    @BeforeAll
    static void setUp() {
        var p = LlamaPeer.load();
        assumeTrue(p.isPresent(), () -> "llama peer unavailable: " + LlamaPeer.unavailableReason());
        peer = p.get();
        bf16Checkpoint = CliFixtures.tinyLlamaBf16();
        f32Checkpoint = CliRun.sampleModel();
    }

    enum Case {
        Q4_K_M, Q4_K_S, Q5_K_S, Q5_K_M, Q3_K_M, Q3_K_L, Q2_K, Q6_K, Q8_0, Q4_0, IQ4_XS, IQ4_NL, TQ2_0, MXFP4_MOE
    }

    static Path convert(Path checkpoint, String label, QuantizeOptions mixture, Path imatrix) throws Exception {
        Path out = dir.resolve(checkpoint.getFileName() + "-" + label + ".gguf");
        if (!Files.exists(out)) {
            ConvertRequest r = new ConvertRequest(checkpoint, out, TargetFormat.GGUF, null, EngineOptions.withThreads(2),
                    0);
            ConvertService.convert(mixture == null ? r : r.withMixture(mixture, imatrix), (a, b, c) -> { });
        }
        return out;
    }

    static Path llamaQuantize(Path in, LlamaFtype f, Path imatrix) throws Exception {
        Path out = dir.resolve(in.getFileName().toString().replace(".gguf", "") + "-llama-" + f
                + (imatrix != null ? "-imatrix" : "") + ".gguf");
        LlamaPeer.Params p = LlamaPeer.Params.of(f.id(), 2);
        if (imatrix != null) {
            ImportanceMatrix im = ImportanceMatrix.read(imatrix);
            p = p.withImatrix(new LinkedHashMap<>(im.weights())).withKvOverrides(List.of(
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_FILE, imatrix.toString()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_DATASET, im.datasets().getFirst()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_ENTRIES, (long) im.size()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_CHUNKS, (long) im.chunkCount())));
        }
        assertEquals(0, peer.quantize(in, out, p), "llama_model_quantize failed for " + f);
        return out;
    }

    /** Compares per tensor name: types and shapes always, bytes when asked; KV values (not order) always. */
    static void compare(Path expected, Path actual, boolean bytes, String what) throws Exception {
        try (GgufModel e = GgufReader.open(expected); GgufModel a = GgufReader.open(actual)) {
            Map<String, TensorView> byName = new TreeMap<>();
            a.tensors().forEach(t -> byName.put(t.name(), t));
            List<String> types = new ArrayList<>();
            List<String> ours = new ArrayList<>();
            List<String> diffs = new ArrayList<>();
            for (TensorView x : e.tensors()) {
                TensorView y = byName.get(x.name());
                types.add(x.name() + ":" + x.dtype() + Arrays.toString(x.shape()));
                ours.add(y == null ? x.name() + ": missing" : y.name() + ":" + y.dtype() + Arrays.toString(y.shape()));
                if (bytes && y != null && x.dtype() == y.dtype()) {
                    byte[] bx = x.data().toArray(ValueLayout.JAVA_BYTE);
                    byte[] by = y.data().toArray(ValueLayout.JAVA_BYTE);
                    if (!Arrays.equals(bx, by)) {
                        diffs.add(x.name() + " (" + x.dtype() + ") first differs at byte " + Arrays.mismatch(bx, by));
                    }
                }
            }
            assertEquals(types, ours, what + ": types and shapes per tensor");
            assertEquals(e.tensors().size(), a.tensors().size(), what + ": tensor count");
            assertEquals(List.of(), diffs, what + ": tensors whose bytes differ");
            var ek = e.ggufMetadata();
            var ak = a.ggufMetadata();
            assertEquals(new java.util.TreeSet<>(ek.keys()), new java.util.TreeSet<>(ak.keys()), what + ": KV keys");
            for (String k : ek.keys()) {
                assertEquals(ek.get(k), ak.get(k), what + ": KV " + k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void bf16CheckpointSameTypesAndBytesAsConvertThenLlamaQuantize(Case c) throws Exception {
        LlamaFtype f = LlamaFtype.valueOf(c.name());
        Path intermediate = convert(bf16Checkpoint, "auto", null, null);
        try (GgufModel m = GgufReader.open(intermediate)) {
            assertEquals(DType.BF16, m.tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight"))
                    .findFirst().orElseThrow().dtype(), "intermediate of a bf16 checkpoint");
        }
        Path ours = convert(bf16Checkpoint, f.name(), QuantizeOptions.of(f), null);
        compare(llamaQuantize(intermediate, f, null), ours, true, "bf16 -> " + f);
    }

    @Test
    void bf16CheckpointWithImatrixAndOptions() throws Exception {
        Path intermediate = convert(bf16Checkpoint, "auto", null, null);
        Path imatrix = dir.resolve("imatrix.gguf");
        try (GgufModel m = GgufReader.open(intermediate)) {
            List<TensorSpec> w = m.tensors().stream().filter(t -> t.rank() == 2
                    && !t.name().equals("token_embd.weight")).map(TensorView::spec).toList();
            SyntheticLlama.writeImatrix(imatrix, w, 11);
        }
        for (LlamaFtype f : List.of(LlamaFtype.Q4_K_M, LlamaFtype.IQ4_XS, LlamaFtype.Q2_K)) {
            Path ours = convert(bf16Checkpoint, f.name() + "-imatrix", QuantizeOptions.of(f), imatrix);
            compare(llamaQuantize(intermediate, f, imatrix), ours, true, "bf16 -> " + f + " with imatrix");
        }
        // --pure and --leave-output-tensor: the same options in llama_model_quantize_params
        LlamaPeer.Params p = LlamaPeer.Params.of(LlamaFtype.Q5_K_M.id(), 2).withPure(true);
        Path ref = dir.resolve("pure-ref.gguf");
        assertEquals(0, peer.quantize(intermediate, ref, p));
        Path ours = convert(bf16Checkpoint, "Q5_K_M-pure", QuantizeOptions.of(LlamaFtype.Q5_K_M).withPure(true),
                null);
        compare(ref, ours, true, "bf16 -> Q5_K_M --pure");
    }

    @ParameterizedTest
    @EnumSource(value = Case.class, names = {"Q4_K_M", "Q5_K_S", "Q3_K_M", "Q6_K", "IQ4_XS"})
    void f32CheckpointSameTypesAsConvertToF16ThenLlamaQuantize(Case c) throws Exception {
        LlamaFtype f = LlamaFtype.valueOf(c.name());
        Path intermediate = convert(f32Checkpoint, "auto", null, null);
        Path ours = convert(f32Checkpoint, f.name(), QuantizeOptions.of(f), null);
        // bytes differ by design: ours quantizes the f32 values, llama-quantize their F16 rounding
        compare(llamaQuantize(intermediate, f, null), ours, false, "f32 -> " + f);
    }
}
