package io.weightcast.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.EngineOptions;
import io.weightcast.core.job.QuantizePlan;
import io.weightcast.core.job.QuantizeRequest;
import io.weightcast.core.job.LlamaQuantizeService;
import io.weightcast.core.plan.TensorJob;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Parity with llama.cpp's own {@code llama_model_quantize} (the peer's libllama, through FFM): on a small llama
 * GGUF (F16 weights, 4 layers, GQA 4, an FFN of 688 that is not a multiple of 256 or 32), every tensor gets the
 * same type, in the same order, with the same metadata in the same order, and the same bytes. Type parity is
 * asserted for every ftype; byte parity needs the codecs of all chosen types and is skipped, naming the missing
 * codec, otherwise.
 */
class LlamaQuantizeParityTest {
    static final int N_LAYER = 4, N_EMBD = 256, N_FF = 688, N_VOCAB = 512, N_HEAD = 8, N_HEAD_KV = 2;

    @TempDir
    static Path dir;
    static Path model;
    static Path imatrix;
    static LlamaPeer peer;

    @BeforeAll
    static void setUp() throws Exception {
        var p = LlamaPeer.load();
        assumeTrue(p.isPresent(), () -> "llama peer unavailable: " + LlamaPeer.unavailableReason());
        peer = p.get();
        model = dir.resolve("synthetic-f16.gguf");
        SyntheticLlama.write(model, N_LAYER, N_EMBD, N_FF, N_VOCAB, N_HEAD, N_HEAD_KV, 42);
        imatrix = dir.resolve("imatrix.gguf");
        try (GgufModel m = GgufReader.open(model)) {
            List<TensorSpec> w = m.tensors().stream().filter(t -> t.rank() == 2 && !t.name().equals(
                    "token_embd.weight")).map(TensorView::spec).toList();
            SyntheticLlama.writeImatrix(imatrix, w, 7);
        }
    }

    /** The ftypes whose type selection is compared (all except those needing an imatrix or IQ2/IQ3 codecs). */
    enum Case {
        Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, IQ4_NL,
        IQ4_XS, TQ1_0, TQ2_0, MXFP4_MOE, F16, BF16, F32
    }

    /** The ftypes the issue asks byte parity for. */
    enum BytesCase {
        Q8_0, Q4_K_M, Q5_K_S, Q6_K, Q3_K_M, Q2_K, IQ4_XS
    }

    private static QuantizeRequest request(LlamaFtype f, Path out, boolean withImatrix) {
        QuantizeRequest r = QuantizeRequest.of(model, out, QuantizeOptions.of(f), EngineOptions.withThreads(2));
        return withImatrix ? r.withImatrix(imatrix) : r;
    }

    private static Path runPeer(LlamaFtype f, boolean withImatrix) throws Exception {
        Path ref = dir.resolve("ref-" + f + (withImatrix ? "-imatrix" : "") + ".gguf");
        if (Files.exists(ref)) {
            return ref;
        }
        LlamaPeer.Params p = LlamaPeer.Params.of(f.id(), 2);
        if (withImatrix) {
            ImportanceMatrix im = ImportanceMatrix.read(imatrix);
            // as tools/quantize passes it: the weights, and the quantize.imatrix.* keys as KV overrides
            p = p.withImatrix(new LinkedHashMap<>(im.weights())).withKvOverrides(List.of(
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_FILE, imatrix.toString()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_DATASET, im.datasets().getFirst()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_ENTRIES, (long) im.size()),
                    new LlamaPeer.KvOverride(LlamaQuantizeService.KV_IMATRIX_CHUNKS, (long) im.chunkCount())));
        }
        int rc = peer.quantize(model, ref, p);
        assertEquals(0, rc, "llama_model_quantize failed for " + f);
        return ref;
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void sameTypesInSameOrderAsLlamaQuantize(Case c) throws Exception {
        LlamaFtype f = LlamaFtype.valueOf(c.name());
        Path ref = runPeer(f, false);
        QuantizePlan plan = LlamaQuantizeService.plan(request(f, dir.resolve("unused.gguf"), false));
        try (GgufModel r = GgufReader.open(ref)) {
            List<String> expected = r.tensors().stream().map(t -> t.name() + ":" + t.dtype()).toList();
            List<String> actual = plan.plan().jobs().stream().map(j -> j.target().name() + ":" + j.target().dtype())
                    .toList();
            assertEquals(expected, actual, "tensor order and types for " + f);
            assertEquals(r.ggufMetadata().keys(), plan.metadata().keys(), "KV order for " + f);
            assertEquals(r.ggufMetadata(), plan.metadata(), "KV values for " + f);
        }
    }

    @Test
    void sameTypesWithImatrix() throws Exception {
        for (LlamaFtype f : List.of(LlamaFtype.Q4_K_M, LlamaFtype.Q4_0, LlamaFtype.IQ4_XS)) {
            Path ref = runPeer(f, true);
            QuantizePlan plan = LlamaQuantizeService.plan(request(f, dir.resolve("unused.gguf"), true));
            try (GgufModel r = GgufReader.open(ref)) {
                assertEquals(r.tensors().stream().map(t -> t.name() + ":" + t.dtype()).toList(),
                        plan.plan().jobs().stream().map(j -> j.target().name() + ":" + j.target().dtype()).toList(),
                        "types with imatrix for " + f);
                assertEquals(r.ggufMetadata(), plan.metadata(), "KV with imatrix for " + f);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BytesCase.class)
    void sameBytesAsLlamaQuantize(BytesCase c) throws Exception {
        assertSameBytes(LlamaFtype.valueOf(c.name()), false);
    }

    @Test
    void sameBytesWithImatrixQ4KM() throws Exception {
        assertSameBytes(LlamaFtype.Q4_K_M, true);
    }

    private static void assertSameBytes(LlamaFtype f, boolean withImatrix) throws Exception {
        Path ref = runPeer(f, withImatrix);
        QuantizePlan plan = LlamaQuantizeService.plan(request(f, dir.resolve("unused.gguf"), withImatrix));
        TreeSet<String> missing = new TreeSet<>();
        for (TensorJob j : plan.plan().jobs()) {
            if (!Codecs.supports(j.target().dtype())) {
                missing.add(j.target().dtype().displayName());
            }
        }
        assumeTrue(missing.isEmpty(), () -> f + ": codec(s) not in this build yet: " + missing);
        Path ours = dir.resolve("ours-" + f + (withImatrix ? "-imatrix" : "") + ".gguf");
        try {
            LlamaQuantizeService.quantize(request(f, ours, withImatrix), (t, d, n) -> { });
        } catch (UnsupportedOperationException e) {
            assumeTrue(false, () -> f + ": " + e.getMessage());
        }
        try (GgufModel r = GgufReader.open(ref); GgufModel o = GgufReader.open(ours)) {
            assertEquals(r.ggufMetadata().keys(), o.ggufMetadata().keys(), "KV order");
            assertEquals(r.ggufMetadata(), o.ggufMetadata(), "KV values");
            assertEquals(r.tensors().size(), o.tensors().size());
            List<String> diffs = new ArrayList<>();
            for (int i = 0; i < r.tensors().size(); i++) {
                TensorView a = r.tensors().get(i);
                TensorView b = o.tensors().get(i);
                assertEquals(a.name(), b.name(), "tensor order at " + i);
                assertEquals(a.dtype(), b.dtype(), "type of " + a.name());
                assertArrayEquals(a.shape(), b.shape(), "shape of " + a.name());
                byte[] x = a.data().toArray(ValueLayout.JAVA_BYTE);
                byte[] y = b.data().toArray(ValueLayout.JAVA_BYTE);
                if (!java.util.Arrays.equals(x, y)) {
                    int at = java.util.Arrays.mismatch(x, y);
                    diffs.add(a.name() + " (" + a.dtype() + ") first differs at byte " + at);
                }
            }
            assertEquals(List.of(), diffs, f + (withImatrix ? " with imatrix" : "") + ": tensors whose bytes differ");
        }
    }

    /** Summary of which types each ftype uses, for the report. */
    static Map<DType, Long> histogram(QuantizePlan p) {
        return p.plan().jobs().stream().collect(Collectors.groupingBy(j -> j.target().dtype(),
                Collectors.counting()));
    }
}
