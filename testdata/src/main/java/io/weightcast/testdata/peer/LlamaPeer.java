package io.weightcast.testdata.peer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * llama.cpp's {@code llama_model_quantize} from the peer's {@code libllama.v0.5.0.so} (same npm package and commit as
 * {@link GgmlPeer}), through FFM: the reference for weightcast's {@code quantize}.
 *
 * <p>{@code struct llama_model_quantize_params} is 64 bytes in this build (peer.md). Its first 56 bytes follow the
 * public llama.h of this era: {@code int32 nthread} @0, {@code int32 ftype} @4, {@code int32 output_tensor_type}
 * @8, {@code int32 token_embedding_type} @12 ({@code GGML_TYPE_COUNT} = unset), bools {@code allow_requantize}
 * @16, {@code quantize_output_tensor} @17, {@code only_copy} @18, {@code pure} @19, {@code keep_split} @20,
 * {@code dry_run} @21, then pointers {@code imatrix} @24 (a {@code {name, data, size}} array ended by a null name),
 * {@code kv_overrides} @32 ({@code llama_model_kv_override[]} ended by an empty key), {@code tt_overrides} @40
 * ({@code {pattern, ggml_type}[]} ended by a null pattern), {@code prune_layers} @48. The binding starts from
 * {@code llama_model_quantize_default_params()} and refuses to load when those defaults do not look as expected.
 */
public final class LlamaPeer {
    public static final String LIBRARY = "libllama.v0.5.0.so";
    static final long PARAMS_SIZE = 64;
    static final long OFF_NTHREAD = 0, OFF_FTYPE = 4, OFF_OUTPUT_TYPE = 8, OFF_TOKEN_EMBD_TYPE = 12,
            OFF_ALLOW_REQUANTIZE = 16, OFF_QUANTIZE_OUTPUT = 17, OFF_ONLY_COPY = 18, OFF_PURE = 19,
            OFF_KEEP_SPLIT = 20, OFF_DRY_RUN = 21, OFF_IMATRIX = 24, OFF_KV_OVERRIDES = 32, OFF_TT_OVERRIDES = 40,
            OFF_PRUNE = 48;
    /** sizeof(struct llama_model_kv_override): tag (4) + key[128] + pad (4) + union (128). */
    static final long KV_OVERRIDE_SIZE = 264;
    public static final int KV_INT = 0, KV_FLOAT = 1, KV_BOOL = 2, KV_STR = 3;

    private static volatile Optional<LlamaPeer> instance;
    private static volatile String reason = "not loaded yet";

    private final Path library;
    private final MethodHandle defaultParams;
    private final MethodHandle quantize;

    /** A {@code --override-kv}; value is a Long (int), Double (float), Boolean or String. */
    public record KvOverride(String key, Object value) {
    }

    /** A {@code --tensor-type}: regex and ggml type id. */
    public record TensorType(String pattern, int ggmlType) {
    }

    /**
     * The parameters a test sets; the rest keep llama.cpp's defaults.
     *
     * @param outputTensorType   ggml type id, or -1 for unset
     * @param tokenEmbeddingType ggml type id, or -1 for unset
     * @param imatrix            tensor name to per-column weights (null: none)
     */
    public record Params(int nthread, int ftype, int outputTensorType, int tokenEmbeddingType, boolean allowRequantize,
                         boolean quantizeOutputTensor, boolean pure, boolean dryRun, Map<String, float[]> imatrix,
                         List<TensorType> tensorTypes, List<KvOverride> kvOverrides) {
        public static Params of(int ftype, int nthread) {
            return new Params(nthread, ftype, -1, -1, false, true, false, false, null, List.of(), List.of());
        }

        public Params withImatrix(Map<String, float[]> m) {
            return new Params(nthread, ftype, outputTensorType, tokenEmbeddingType, allowRequantize,
                    quantizeOutputTensor, pure, dryRun, m, tensorTypes, kvOverrides);
        }

        public Params withKvOverrides(List<KvOverride> kv) {
            return new Params(nthread, ftype, outputTensorType, tokenEmbeddingType, allowRequantize,
                    quantizeOutputTensor, pure, dryRun, imatrix, tensorTypes, kv);
        }

        public Params withTensorTypes(List<TensorType> tt) {
            return new Params(nthread, ftype, outputTensorType, tokenEmbeddingType, allowRequantize,
                    quantizeOutputTensor, pure, dryRun, imatrix, tt, kvOverrides);
        }

        public Params withPure(boolean p) {
            return new Params(nthread, ftype, outputTensorType, tokenEmbeddingType, allowRequantize,
                    quantizeOutputTensor, p, dryRun, imatrix, tensorTypes, kvOverrides);
        }
    }

    private LlamaPeer(Path library, SymbolLookup lookup) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        // struct returned by value (> 16 bytes: through a hidden pointer on x86-64): describe it as 64 bytes
        var paramsLayout = java.lang.foreign.MemoryLayout.structLayout(
                java.lang.foreign.MemoryLayout.sequenceLayout(PARAMS_SIZE / 8, JAVA_LONG));
        defaultParams = linker.downcallHandle(lookup.find("llama_model_quantize_default_params").orElseThrow(),
                FunctionDescriptor.of(paramsLayout));
        quantize = linker.downcallHandle(lookup.find("llama_model_quantize").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /** The binding, or empty when the library is missing ({@link #unavailableReason()} says why). */
    public static synchronized Optional<LlamaPeer> load() {
        if (instance != null) {
            return instance;
        }
        Optional<Path> dir = GgmlPeer.libraryDir();
        if (GgmlPeer.load().isEmpty()) {
            reason = GgmlPeer.unavailableReason();
            instance = Optional.empty();
            return instance;
        }
        Path lib = dir.orElseThrow().resolve(LIBRARY);
        if (!Files.isRegularFile(lib)) {
            reason = lib + " is missing (run scripts/fetch-peer.sh)";
            instance = Optional.empty();
            return instance;
        }
        try {
            LlamaPeer p = new LlamaPeer(lib, SymbolLookup.libraryLookup(lib, Arena.global()));
            byte[] d = p.defaultParamBytes();
            MemorySegment s = MemorySegment.ofArray(d);
            int ftype = s.get(JAVA_INT.withByteAlignment(1), OFF_FTYPE);
            int out = s.get(JAVA_INT.withByteAlignment(1), OFF_OUTPUT_TYPE);
            if (ftype != 7 || out != GgmlPeer.GGML_TYPE_COUNT || d[(int) OFF_QUANTIZE_OUTPUT] != 1
                    || d[(int) OFF_ALLOW_REQUANTIZE] != 0) {
                reason = lib + ": llama_model_quantize_default_params() does not have the expected layout "
                        + "(ftype " + ftype + ", output_tensor_type " + out + ")";
                instance = Optional.empty();
                return instance;
            }
            reason = "";
            instance = Optional.of(p);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            reason = "cannot load " + lib + ": " + e;
            instance = Optional.empty();
        }
        return instance;
    }

    public static String unavailableReason() {
        load();
        return reason;
    }

    public Path library() {
        return library;
    }

    /** The 64 bytes of {@code llama_model_quantize_default_params()}. */
    public byte[] defaultParamBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = (MemorySegment) defaultParams.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            return s.toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Runs {@code llama_model_quantize(in, out, params)}; returns its status (0 = success). */
    public int quantize(Path in, Path out, Params p) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
            params.copyFrom(MemorySegment.ofArray(defaultParamBytes()));
            params.set(JAVA_INT, OFF_NTHREAD, p.nthread());
            params.set(JAVA_INT, OFF_FTYPE, p.ftype());
            if (p.outputTensorType() >= 0) {
                params.set(JAVA_INT, OFF_OUTPUT_TYPE, p.outputTensorType());
            }
            if (p.tokenEmbeddingType() >= 0) {
                params.set(JAVA_INT, OFF_TOKEN_EMBD_TYPE, p.tokenEmbeddingType());
            }
            params.set(JAVA_BYTE, OFF_ALLOW_REQUANTIZE, (byte) (p.allowRequantize() ? 1 : 0));
            params.set(JAVA_BYTE, OFF_QUANTIZE_OUTPUT, (byte) (p.quantizeOutputTensor() ? 1 : 0));
            params.set(JAVA_BYTE, OFF_PURE, (byte) (p.pure() ? 1 : 0));
            params.set(JAVA_BYTE, OFF_DRY_RUN, (byte) (p.dryRun() ? 1 : 0));
            if (p.imatrix() != null && !p.imatrix().isEmpty()) {
                MemorySegment arr = arena.allocate(24L * (p.imatrix().size() + 1), 8);
                long i = 0;
                for (var e : p.imatrix().entrySet()) {
                    MemorySegment data = arena.allocate(4L * e.getValue().length, 4);
                    MemorySegment.copy(e.getValue(), 0, data, JAVA_FLOAT, 0, e.getValue().length);
                    arr.set(ADDRESS, i * 24, arena.allocateFrom(e.getKey()));
                    arr.set(ADDRESS, i * 24 + 8, data);
                    arr.set(JAVA_LONG, i * 24 + 16, e.getValue().length);
                    i++;
                }
                params.set(ADDRESS, OFF_IMATRIX, arr);
            }
            if (!p.kvOverrides().isEmpty()) {
                MemorySegment arr = arena.allocate(KV_OVERRIDE_SIZE * (p.kvOverrides().size() + 1), 8);
                long i = 0;
                for (KvOverride o : p.kvOverrides()) {
                    long base = i * KV_OVERRIDE_SIZE;
                    byte[] key = o.key().getBytes(StandardCharsets.UTF_8);
                    if (key.length > 127) {
                        throw new IllegalArgumentException("key too long: " + o.key());
                    }
                    MemorySegment.copy(key, 0, arr, JAVA_BYTE, base + 4, key.length);
                    switch (o.value()) {
                        case Long l -> {
                            arr.set(JAVA_INT, base, KV_INT);
                            arr.set(JAVA_LONG, base + 136, l);
                        }
                        case Double d -> {
                            arr.set(JAVA_INT, base, KV_FLOAT);
                            arr.set(JAVA_DOUBLE, base + 136, d);
                        }
                        case Boolean b -> {
                            arr.set(JAVA_INT, base, KV_BOOL);
                            arr.set(JAVA_BYTE, base + 136, (byte) (b ? 1 : 0));
                        }
                        case String s -> {
                            arr.set(JAVA_INT, base, KV_STR);
                            byte[] v = s.getBytes(StandardCharsets.UTF_8);
                            MemorySegment.copy(v, 0, arr, JAVA_BYTE, base + 136, Math.min(127, v.length));
                        }
                        default -> throw new IllegalArgumentException("override value " + o.value());
                    }
                    i++;
                }
                params.set(ADDRESS, OFF_KV_OVERRIDES, arr);
            }
            if (!p.tensorTypes().isEmpty()) {
                MemorySegment arr = arena.allocate(16L * (p.tensorTypes().size() + 1), 8);
                long i = 0;
                for (TensorType t : p.tensorTypes()) {
                    arr.set(ADDRESS, i * 16, arena.allocateFrom(t.pattern()));
                    arr.set(JAVA_INT, i * 16 + 8, t.ggmlType());
                    i++;
                }
                arr.set(JAVA_INT, i * 16 + 8, GgmlPeer.GGML_TYPE_COUNT);
                params.set(ADDRESS, OFF_TT_OVERRIDES, arr);
            }
            return (int) quantize.invokeExact(arena.allocateFrom(in.toString()), arena.allocateFrom(out.toString()),
                    params);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public String toString() {
        return "LlamaPeer[" + library + "]";
    }
}
