package io.weightcast.testdata.peer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * llama.cpp's {@code libllama.v0.5.0.so} from the peer package (see {@link GgmlPeer}) through FFM: load a GGUF,
 * evaluate token ids and read every position's logits; tokenize text; and {@code llama_model_quantize}.
 *
 * <p>Structs passed or returned by value that are larger than 16 bytes ({@code llama_model_params},
 * {@code llama_context_params}, {@code llama_batch}) go through memory on x86-64; the params structs are bound as
 * generously sized opaque layouts, filled by the library's own {@code *_default_params()} and handed back
 * unchanged (docs/peer.md). {@code llama_batch} is bound with its exact public layout (7 fields, 56 bytes).
 * Before the first model is loaded, {@code ggml_backend_load_all_from_path(<peer dir>)} registers the CPU backend.
 */
public final class LlamaInferencePeer {
    public static final String LIBRARY = "libllama.v0.5.0.so";
    public static final String GGML_LIBRARY = "libggml.v0.5.0.so";

    /** Larger than any version's llama_model_params / llama_context_params (~72 / ~136 bytes). */
    private static final StructLayout OPAQUE_PARAMS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(64, JAVA_LONG));
    /** llama_model_quantize_params: 64 bytes in this build (peer.md); bound larger. */
    private static final long QUANTIZE_PARAMS_BYTES = 256;
    /** struct llama_batch { int32 n_tokens; token*; embd*; pos*; n_seq_id*; seq_id**; logits*; }. */
    static final StructLayout BATCH = MemoryLayout.structLayout(JAVA_INT.withName("n_tokens"),
            MemoryLayout.paddingLayout(4), ADDRESS.withName("token"), ADDRESS.withName("embd"),
            ADDRESS.withName("pos"), ADDRESS.withName("n_seq_id"), ADDRESS.withName("seq_id"),
            ADDRESS.withName("logits"));

    private static final Object LOCK = new Object();
    private static volatile Optional<LlamaInferencePeer> instance;
    private static volatile String reason = "not loaded yet";

    private final MethodHandle modelDefaultParams, modelLoad, modelFree, contextDefaultParams, initFromModel, free,
            decode, getLogitsIth, modelGetVocab, tokenize, quantize, quantizeDefaultParams, nVocab;

    private LlamaInferencePeer(SymbolLookup llama) {
        Linker linker = Linker.nativeLinker();
        modelDefaultParams = bind(linker, llama, "llama_model_default_params", FunctionDescriptor.of(OPAQUE_PARAMS));
        modelLoad = bind(linker, llama, "llama_model_load_from_file",
                FunctionDescriptor.of(ADDRESS, ADDRESS, OPAQUE_PARAMS));
        modelFree = bind(linker, llama, "llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        contextDefaultParams = bind(linker, llama, "llama_context_default_params",
                FunctionDescriptor.of(OPAQUE_PARAMS));
        initFromModel = bind(linker, llama, "llama_init_from_model",
                FunctionDescriptor.of(ADDRESS, ADDRESS, OPAQUE_PARAMS));
        free = bind(linker, llama, "llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        decode = bind(linker, llama, "llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        getLogitsIth = bind(linker, llama, "llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        modelGetVocab = bind(linker, llama, "llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        nVocab = bind(linker, llama, "llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        tokenize = bind(linker, llama, "llama_tokenize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
        quantize = bind(linker, llama, "llama_model_quantize",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        quantizeDefaultParams = bind(linker, llama, "llama_model_quantize_default_params",
                FunctionDescriptor.of(MemoryLayout.structLayout(MemoryLayout.sequenceLayout(
                        QUANTIZE_PARAMS_BYTES / 8, JAVA_LONG))));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lookup.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError(LIBRARY + " has no symbol " + name)), fd);
    }

    /** The peer, loaded once per JVM; empty when the libraries are absent ({@link #unavailableReason()}). */
    public static Optional<LlamaInferencePeer> load() {
        Optional<LlamaInferencePeer> p = instance;
        if (p != null) {
            return p;
        }
        synchronized (LOCK) {
            if (instance == null) {
                instance = tryLoad();
            }
            return instance;
        }
    }

    public static String unavailableReason() {
        load();
        return reason;
    }

    private static Optional<LlamaInferencePeer> tryLoad() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            reason = "the peer libraries are a linux-x64 build; this is " + os + "/" + arch;
            return Optional.empty();
        }
        Optional<Path> dir = GgmlPeer.libraryDir();
        if (dir.isEmpty() || !Files.isRegularFile(dir.get().resolve(LIBRARY))
                || !Files.isRegularFile(dir.get().resolve(GGML_LIBRARY))) {
            reason = LIBRARY + " not found in " + dir.map(Path::toString).orElse("(no repo root)")
                    + "; run scripts/fetch-peer.sh";
            return Optional.empty();
        }
        try {
            Arena global = Arena.global();
            SymbolLookup ggml = SymbolLookup.libraryLookup(dir.get().resolve(GGML_LIBRARY), global);
            SymbolLookup llama = SymbolLookup.libraryLookup(dir.get().resolve(LIBRARY), global);
            MethodHandle loadAll = Linker.nativeLinker().downcallHandle(ggml.find("ggml_backend_load_all_from_path")
                    .orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));
            try (Arena a = Arena.ofConfined()) {
                loadAll.invokeExact(a.allocateFrom(dir.get().toString()));
            }
            LlamaInferencePeer peer = new LlamaInferencePeer(llama);
            reason = "";
            return Optional.of(peer);
        } catch (Throwable e) {
            reason = "cannot load " + LIBRARY + ": " + e;
            return Optional.empty();
        }
    }

    /** A loaded model with one context; close it to free both. Not thread-safe. */
    public final class Model implements AutoCloseable {
        private final MemorySegment model;
        private final MemorySegment ctx;

        private Model(MemorySegment model, MemorySegment ctx) {
            this.model = model;
            this.ctx = ctx;
        }

        public int vocabSize() {
            try {
                return (int) nVocab.invokeExact((MemorySegment) modelGetVocab.invokeExact(model));
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }

        /**
         * Evaluates {@code ids} as one sequence from position 0, every position's logits requested, and returns
         * them as {@code [ids.length][vocab]}. The context must be fresh (call once per model).
         */
        public float[][] logits(int[] ids) {
            int n = ids.length;
            int vocab = vocabSize();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tokens = a.allocateFrom(JAVA_INT, ids);
                MemorySegment pos = a.allocate(JAVA_INT, n);
                MemorySegment nSeq = a.allocate(JAVA_INT, n);
                MemorySegment seqIds = a.allocate(ADDRESS, n);
                MemorySegment seq0 = a.allocate(JAVA_INT);
                MemorySegment wantLogits = a.allocate(JAVA_BYTE, n);
                for (int i = 0; i < n; i++) {
                    pos.setAtIndex(JAVA_INT, i, i);
                    nSeq.setAtIndex(JAVA_INT, i, 1);
                    seqIds.setAtIndex(ADDRESS, i, seq0);
                    wantLogits.set(JAVA_BYTE, i, (byte) 1);
                }
                MemorySegment batch = a.allocate(BATCH);
                batch.set(JAVA_INT, 0, n);
                batch.set(ADDRESS, 8, tokens);
                batch.set(ADDRESS, 16, MemorySegment.NULL);
                batch.set(ADDRESS, 24, pos);
                batch.set(ADDRESS, 32, nSeq);
                batch.set(ADDRESS, 40, seqIds);
                batch.set(ADDRESS, 48, wantLogits);
                int rc = (int) decode.invokeExact(ctx, batch);
                if (rc != 0) {
                    throw new IllegalStateException("llama_decode returned " + rc);
                }
                float[][] out = new float[n][];
                for (int i = 0; i < n; i++) {
                    MemorySegment row = (MemorySegment) getLogitsIth.invokeExact(ctx, i);
                    if (row.equals(MemorySegment.NULL)) {
                        throw new IllegalStateException("llama_get_logits_ith(" + i + ") returned NULL");
                    }
                    out[i] = row.reinterpret((long) vocab * 4).toArray(JAVA_FLOAT);
                }
                return out;
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }

        /** llama_tokenize with the model's vocabulary. */
        public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
            try (Arena a = Arena.ofConfined()) {
                byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                MemorySegment str = a.allocate(utf8.length + 1L);
                str.copyFrom(MemorySegment.ofArray(utf8));
                int max = utf8.length + 8;
                MemorySegment out = a.allocate(JAVA_INT, max);
                MemorySegment vocab = (MemorySegment) modelGetVocab.invokeExact(model);
                int n = (int) LlamaInferencePeer.this.tokenize.invokeExact(vocab, str, utf8.length, out, max, addSpecial,
                        parseSpecial);
                if (n < 0) {
                    throw new IllegalStateException("llama_tokenize needs " + (-n) + " tokens");
                }
                return Arrays.copyOf(out.toArray(JAVA_INT), n);
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }

        @Override
        public void close() {
            try {
                free.invokeExact(ctx);
                modelFree.invokeExact(model);
            } catch (Throwable e) {
                throw rethrow(e);
            }
        }
    }

    /** Offsets of {@code type_k} / {@code type_v} in this build's llama_context_params, found by reading the defaults (n_ctx 512 at 0, four -1 enums at 40..52, cb_eval at 88, type_k = type_v = F16 at 104/108). */
    static final long CTX_TYPE_K = 104, CTX_TYPE_V = 108;
    private static final int GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1;

    /** Loads a GGUF (default model params, CPU) and creates a context with default params. */
    public Model open(Path gguf) {
        return open(gguf, false);
    }

    /**
     * As {@link #open(Path)}; with {@code f32Cache} the KV cache holds F32 instead of the default F16, so that an
     * F32 model is evaluated without rounding its keys and values. The two fields are changed only when they hold
     * the expected F16 defaults at the expected offsets, else an exception says the layout differs.
     */
    public Model open(Path gguf, boolean f32Cache) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mp = (MemorySegment) modelDefaultParams.invokeExact((java.lang.foreign.SegmentAllocator) a);
            MemorySegment model = (MemorySegment) modelLoad.invokeExact(a.allocateFrom(gguf.toString()), mp);
            if (model.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("llama_model_load_from_file failed for " + gguf
                        + " (see llama.cpp's log on stderr)");
            }
            MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact(
                    (java.lang.foreign.SegmentAllocator) a);
            if (f32Cache) {
                if (cp.get(JAVA_INT, CTX_TYPE_K) != GGML_TYPE_F16 || cp.get(JAVA_INT, CTX_TYPE_V) != GGML_TYPE_F16) {
                    modelFree.invokeExact(model);
                    throw new IllegalStateException("llama_context_params layout differs: type_k/type_v not found at "
                            + CTX_TYPE_K + "/" + CTX_TYPE_V);
                }
                cp.set(JAVA_INT, CTX_TYPE_K, GGML_TYPE_F32);
                cp.set(JAVA_INT, CTX_TYPE_V, GGML_TYPE_F32);
            }
            MemorySegment ctx = (MemorySegment) initFromModel.invokeExact(model, cp);
            if (ctx.equals(MemorySegment.NULL)) {
                modelFree.invokeExact(model);
                throw new IllegalStateException("llama_init_from_model failed for " + gguf);
            }
            return new Model(model, ctx);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * llama-quantize as a library call: {@code llama_model_quantize(in, out, params)} with the default params,
     * {@code nthread} (offset 0) and {@code ftype} (offset 4, a llama_ftype id such as 15 for Q4_K_M) changed.
     */
    public void quantize(Path in, Path out, int ftype, int nthread) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = (MemorySegment) quantizeDefaultParams.invokeExact(
                    (java.lang.foreign.SegmentAllocator) a);
            params.set(JAVA_INT, 0, nthread);
            params.set(JAVA_INT, 4, ftype);
            int rc = (int) quantize.invokeExact(a.allocateFrom(in.toString()), a.allocateFrom(out.toString()), params);
            if (rc != 0) {
                throw new IllegalStateException("llama_model_quantize returned " + rc);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof Error err) {
            throw err;
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
}
