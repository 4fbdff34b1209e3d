package io.weightcast.testdata.peer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.weightcast.testdata.SharedTestData;
import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The peer: llama.cpp's {@code libggml-base.so} (npm {@code @node-llama-cpp/linux-x64@3.22.1}, llama.cpp 0ad4a86,
 * x86-64 baseline build) called through the FFM API. Conformance tests and benchmarks compare weightcast's codecs
 * and GGUF files with it. Declarations follow {@code docs/peer.md} (not the public headers, which differ).
 *
 * <p>Types are ggml type ids ({@code int}); this module depends on no other, so callers map them to their own
 * enums. Every call that could make ggml {@code abort()} the whole JVM (unsupported types, missing imatrix,
 * misaligned counts, short buffers, unknown ids) is refused here with {@link IllegalArgumentException} first.
 *
 * <p>Library lookup: system property {@code weightcast.peer.dir}, else environment variable
 * {@code WEIGHTCAST_PEER_DIR}, else {@code <repo root>/.peer/lib} (see {@link SharedTestData#repoRoot()}). When the
 * library is missing, {@link #load()} is empty and {@link #unavailableReason()} says why; tests skip with JUnit
 * assumptions. Fetch it with {@code scripts/fetch-peer.sh}.
 *
 * <p>Thread-safe: the instance holds only method handles; memory is allocated in a confined arena per call.
 */
public final class GgmlPeer {

    /** File name of the library this class binds. */
    public static final String LIBRARY = "libggml-base.so";
    /** GGML_TYPE_COUNT in the peer build: ids 0..42 (40 nvfp4, 41 q1_0, 42 q2_0). */
    public static final int GGML_TYPE_COUNT = 43;

    // ggml type ids (ggml.h); only those used often are named
    public static final int F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
            Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, IQ2_XXS = 16, IQ2_XS = 17,
            IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25,
            I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40,
            Q1_0 = 41, Q2_0 = 42;

    /** gguf_type ids (gguf.h) used in {@link GgufPeerView.Kv#type()}. */
    public static final int GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3, GGUF_UINT32 = 4,
            GGUF_INT32 = 5, GGUF_FLOAT32 = 6, GGUF_BOOL = 7, GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_UINT64 = 10,
            GGUF_INT64 = 11, GGUF_FLOAT64 = 12;

    /** Offsets in {@code struct ggml_type_traits} of this build (peer.md): name, blck, interleave, size, is_q, to_float. */
    static final long TRAITS_TYPE_NAME = 0, TRAITS_BLCK_SIZE = 8, TRAITS_BLCK_INTERLEAVE = 16,
            TRAITS_TYPE_SIZE = 24, TRAITS_IS_QUANTIZED = 32, TRAITS_TO_FLOAT = 40, TRAITS_FROM_FLOAT_REF = 48,
            TRAITS_READ_SIZE = 56;

    /** {@code struct gguf_init_params { bool no_alloc; struct ggml_context ** ctx; }}: 16 bytes, passed by value. */
    static final StructLayout GGUF_INIT_PARAMS = MemoryLayout.structLayout(
            JAVA_BOOLEAN.withName("no_alloc"), MemoryLayout.paddingLayout(7), ADDRESS.withName("ctx"));

    private static final int GGML_MAX_DIMS = 4;
    private static final AddressLayout C_STRING = ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, JAVA_BYTE));
    private static final VarHandle NO_ALLOC = GGUF_INIT_PARAMS.varHandle(MemoryLayout.PathElement.groupElement("no_alloc"));
    private static final VarHandle CTX = GGUF_INIT_PARAMS.varHandle(MemoryLayout.PathElement.groupElement("ctx"));

    private static final Object LOCK = new Object();
    private static volatile Optional<GgmlPeer> instance;
    private static volatile String reason = "not loaded yet";

    private final Path library;
    private final SymbolLookup lookup;
    // ggml
    private final MethodHandle quantizeChunk, getTypeTraits, typeSize, blckSize, rowSize, typeName, quantizeInit,
            requiresImatrix, toFloatPtr;
    // gguf
    private final MethodHandle ggufInitFromFile, ggufFree, ggufVersion, ggufNTensors, ggufNKv, ggufKey, ggufKvType,
            ggufTensorName, ggufTensorOffset, ggufTensorType, ggufTensorSize, ggufTensorNe, ggufDataOffset,
            ggufAlignment, ggufArrType, ggufArrN, ggufArrData, ggufArrStr, ggufValU8, ggufValI8, ggufValU16,
            ggufValI16, ggufValU32, ggufValI32, ggufValF32, ggufValU64, ggufValI64, ggufValF64, ggufValBool,
            ggufValStr;

    private GgmlPeer(Path library, SymbolLookup lookup) {
        this.library = library;
        this.lookup = lookup;
        Linker linker = Linker.nativeLinker();
        Binder b = new Binder(linker, lookup);
        quantizeChunk = b.bind("ggml_quantize_chunk",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        getTypeTraits = b.bind("ggml_get_type_traits", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        typeSize = b.bind("ggml_type_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        blckSize = b.bind("ggml_blck_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        rowSize = b.bind("ggml_row_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG));
        typeName = b.bind("ggml_type_name", FunctionDescriptor.of(C_STRING, JAVA_INT));
        quantizeInit = b.bind("ggml_quantize_init", FunctionDescriptor.ofVoid(JAVA_INT));
        requiresImatrix = b.bind("ggml_quantize_requires_imatrix", FunctionDescriptor.of(JAVA_BOOLEAN, JAVA_INT));
        // void (*to_float)(const void * x, float * y, int64_t k): called through the pointer read from the traits
        toFloatPtr = linker.downcallHandle(FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));

        ggufInitFromFile = b.bind("gguf_init_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, GGUF_INIT_PARAMS));
        ggufFree = b.bind("gguf_free", FunctionDescriptor.ofVoid(ADDRESS));
        ggufVersion = b.bind("gguf_get_version", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ggufNTensors = b.bind("gguf_get_n_tensors", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        ggufNKv = b.bind("gguf_get_n_kv", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        ggufKey = b.bind("gguf_get_key", idFn(C_STRING));
        ggufKvType = b.bind("gguf_get_kv_type", idFn(JAVA_INT));
        ggufTensorName = b.bind("gguf_get_tensor_name", idFn(C_STRING));
        ggufTensorOffset = b.bind("gguf_get_tensor_offset", idFn(JAVA_LONG));
        ggufTensorType = b.bind("gguf_get_tensor_type", idFn(JAVA_INT));
        ggufTensorSize = b.bind("gguf_get_tensor_size", idFn(JAVA_LONG));
        ggufTensorNe = b.bind("gguf_get_tensor_ne", idFn(ADDRESS));
        ggufDataOffset = b.bind("gguf_get_data_offset", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        ggufAlignment = b.bind("gguf_get_alignment", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        ggufArrType = b.bind("gguf_get_arr_type", idFn(JAVA_INT));
        ggufArrN = b.bind("gguf_get_arr_n", idFn(JAVA_LONG));
        ggufArrData = b.bind("gguf_get_arr_data", idFn(ADDRESS));
        ggufArrStr = b.bind("gguf_get_arr_str", FunctionDescriptor.of(C_STRING, ADDRESS, JAVA_LONG, JAVA_LONG));
        ggufValU8 = b.bind("gguf_get_val_u8", idFn(JAVA_BYTE));
        ggufValI8 = b.bind("gguf_get_val_i8", idFn(JAVA_BYTE));
        ggufValU16 = b.bind("gguf_get_val_u16", idFn(JAVA_SHORT));
        ggufValI16 = b.bind("gguf_get_val_i16", idFn(JAVA_SHORT));
        ggufValU32 = b.bind("gguf_get_val_u32", idFn(JAVA_INT));
        ggufValI32 = b.bind("gguf_get_val_i32", idFn(JAVA_INT));
        ggufValF32 = b.bind("gguf_get_val_f32", idFn(JAVA_FLOAT));
        ggufValU64 = b.bind("gguf_get_val_u64", idFn(JAVA_LONG));
        ggufValI64 = b.bind("gguf_get_val_i64", idFn(JAVA_LONG));
        ggufValF64 = b.bind("gguf_get_val_f64", idFn(JAVA_DOUBLE));
        ggufValBool = b.bind("gguf_get_val_bool", idFn(JAVA_BOOLEAN));
        ggufValStr = b.bind("gguf_get_val_str", idFn(C_STRING));
    }

    /** {@code R f(const struct gguf_context * ctx, int64_t id)}. */
    private static FunctionDescriptor idFn(MemoryLayout ret) {
        return FunctionDescriptor.of(ret, ADDRESS, JAVA_LONG);
    }

    private record Binder(Linker linker, SymbolLookup lookup) {
        MethodHandle bind(String name, FunctionDescriptor fd) {
            MemorySegment sym = lookup.find(name)
                    .orElseThrow(() -> new UnsatisfiedLinkError(LIBRARY + " has no symbol " + name));
            return linker.downcallHandle(sym, fd);
        }
    }

    // ------------------------------------------------------------------------------------------------ loading

    /**
     * The peer, loaded once per JVM; empty when the library is absent or cannot be loaded on this platform
     * ({@link #unavailableReason()} says why).
     */
    public static Optional<GgmlPeer> load() {
        Optional<GgmlPeer> p = instance;
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

    /** Why {@link #load()} is empty, or {@code ""} once loaded. */
    public static String unavailableReason() {
        load();
        return reason;
    }

    /** The folder searched for {@value #LIBRARY} (see the class comment), or empty when no repo root is found. */
    public static Optional<Path> libraryDir() {
        String dir = System.getProperty("weightcast.peer.dir");
        if (dir == null || dir.isBlank()) {
            dir = System.getenv("WEIGHTCAST_PEER_DIR");
        }
        if (dir != null && !dir.isBlank()) {
            return Optional.of(Path.of(dir).toAbsolutePath().normalize());
        }
        return SharedTestData.repoRoot().map(r -> r.resolve(".peer").resolve("lib"));
    }

    private static Optional<GgmlPeer> tryLoad() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            reason = "the peer library is a linux-x64 build; this is " + os + "/" + arch;
            return Optional.empty();
        }
        Optional<Path> dir = libraryDir();
        if (dir.isEmpty()) {
            reason = "no peer dir: set -Dweightcast.peer.dir or WEIGHTCAST_PEER_DIR, or run inside the repository";
            return Optional.empty();
        }
        Path lib = dir.get().resolve(LIBRARY);
        if (!Files.isRegularFile(lib)) {
            reason = lib + " is missing (run scripts/fetch-peer.sh)";
            return Optional.empty();
        }
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            GgmlPeer peer = new GgmlPeer(lib, lookup);
            reason = "";
            return Optional.of(peer);
        } catch (IllegalArgumentException | UnsatisfiedLinkError | IllegalCallerException e) {
            reason = "cannot load " + lib + ": " + e;
            return Optional.empty();
        }
    }

    /** The library file that was loaded. */
    public Path library() {
        return library;
    }

    // ------------------------------------------------------------------------------------------------ types

    /** True for ids 4, 5, 31–33, 36–38: removed types whose block size is 0 (division by zero in ggml). */
    public static boolean isRemovedType(int type) {
        return type == 4 || type == 5 || (type >= 31 && type <= 33) || (type >= 36 && type <= 38);
    }

    /** True when {@code ggml_quantize_chunk(type, …, imatrix = NULL)} returns normally for whole blocks. */
    public static boolean quantizesWithoutImatrix(int type) {
        return quantizable(type) && !(type == IQ2_XXS || type == IQ2_XS || type == IQ1_S);
    }

    /** True when {@code ggml_quantize_chunk} handles the type at all (with an imatrix where one is required). */
    public static boolean quantizable(int type) {
        return type >= 0 && type < GGML_TYPE_COUNT && !isRemovedType(type) && type != Q8_1 && type != Q8_K
                && !(type >= I8 && type <= F64);
    }

    private static void checkId(int type) {
        if (type < 0 || type >= GGML_TYPE_COUNT) {
            throw new IllegalArgumentException("ggml type id " + type + " is outside 0.." + (GGML_TYPE_COUNT - 1));
        }
    }

    /** {@code ggml_type_name(type)}; removed ids give {@code "DEPRECATED"}. */
    public String typeName(int type) {
        checkId(type);
        try {
            return ((MemorySegment) typeName.invokeExact(type)).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ggml_blck_size(type)}: elements per block (0 for removed ids). */
    public long blockSize(int type) {
        checkId(type);
        try {
            return (long) blckSize.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ggml_type_size(type)}: bytes per block. */
    public long typeSize(int type) {
        checkId(type);
        try {
            return (long) typeSize.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ggml_row_size(type, ne)}; refuses removed ids and counts that are not whole blocks. */
    public long rowSize(int type, long ne) {
        long blck = checkedBlockSize(type);
        if (ne < 0 || ne % blck != 0) {
            throw new IllegalArgumentException(ne + " elements are not whole " + typeName(type) + " blocks of " + blck);
        }
        try {
            return (long) rowSize.invokeExact(type, ne);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private long checkedBlockSize(int type) {
        checkId(type);
        if (isRemovedType(type)) {
            throw new IllegalArgumentException("ggml type id " + type + " was removed (block size 0)");
        }
        return blockSize(type);
    }

    /** {@code ggml_quantize_requires_imatrix(type)}. */
    public boolean requiresImatrix(int type) {
        checkId(type);
        try {
            return (boolean) requiresImatrix.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ggml_quantize_init(type)}: builds the iq grids; {@code ggml_quantize_chunk} also calls it itself. */
    public void quantizeInit(int type) {
        checkId(type);
        try {
            quantizeInit.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The first fields of {@code struct ggml_type_traits} for one type (layout per peer.md). */
    public record TypeTraits(int type, String name, long blockSize, long blockSizeInterleave, long typeSize,
            boolean isQuantized, boolean hasToFloat, boolean hasFromFloatRef) {}

    /** {@code ggml_get_type_traits(type)}, read field by field. */
    public TypeTraits traits(int type) {
        MemorySegment t = traitsStruct(type);
        MemorySegment name = t.get(C_STRING, TRAITS_TYPE_NAME);
        return new TypeTraits(type, name.equals(MemorySegment.NULL) ? null : name.getString(0),
                t.get(JAVA_LONG, TRAITS_BLCK_SIZE), t.get(JAVA_LONG, TRAITS_BLCK_INTERLEAVE),
                t.get(JAVA_LONG, TRAITS_TYPE_SIZE), t.get(JAVA_BOOLEAN, TRAITS_IS_QUANTIZED),
                !t.get(ADDRESS, TRAITS_TO_FLOAT).equals(MemorySegment.NULL),
                !t.get(ADDRESS, TRAITS_FROM_FLOAT_REF).equals(MemorySegment.NULL));
    }

    private MemorySegment traitsStruct(int type) {
        checkId(type);
        try {
            MemorySegment p = (MemorySegment) getTypeTraits.invokeExact(type);
            if (p.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ggml_get_type_traits(" + type + ") returned NULL");
            }
            return p.reinterpret(TRAITS_READ_SIZE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------------------------------------ quantize

    /**
     * {@code ggml_quantize_chunk(type, src, dst, start, nrows, n_per_row, imatrix)}: quantizes rows
     * {@code start / nPerRow ..} of {@code src} (floats from element {@code start}) into {@code dst} (bytes from
     * row {@code start / nPerRow} times the row size). Both pointers are the bases, as in C. Segments must be
     * native; {@code imatrix} may be {@code null} or {@link MemorySegment#NULL}.
     *
     * @return the bytes written, as ggml reports them
     * @throws IllegalArgumentException for any call ggml would abort on (see the class comment)
     */
    public long quantizeChunk(int type, MemorySegment src, MemorySegment dst, long start, long nrows, long nPerRow,
            MemorySegment imatrix) {
        boolean hasImatrix = imatrix != null && !imatrix.equals(MemorySegment.NULL);
        if (!quantizable(type)) {
            throw new IllegalArgumentException("ggml_quantize_chunk aborts for type id " + type
                    + (type >= 0 && type < GGML_TYPE_COUNT ? " (" + typeName(type) + ")" : ""));
        }
        if (!hasImatrix && !quantizesWithoutImatrix(type)) {
            throw new IllegalArgumentException(typeName(type) + " needs an importance matrix (ggml asserts)");
        }
        long blck = blockSize(type);
        if (nPerRow <= 0 || nPerRow % blck != 0) {
            throw new IllegalArgumentException("n_per_row " + nPerRow + " is not a positive multiple of the "
                    + typeName(type) + " block size " + blck);
        }
        if (nrows < 0 || start < 0 || start % nPerRow != 0) {
            throw new IllegalArgumentException("bad chunk: start " + start + ", nrows " + nrows);
        }
        long row = rowSize(type, nPerRow);
        requireNative(src, "src");
        requireNative(dst, "dst");
        long needSrc = Math.multiplyExact(Math.addExact(start, Math.multiplyExact(nrows, nPerRow)), 4L);
        if (src.byteSize() < needSrc) {
            throw new IllegalArgumentException("src holds " + src.byteSize() + " bytes, needs " + needSrc);
        }
        long needDst = Math.multiplyExact(start / nPerRow + nrows, row);
        if (dst.byteSize() < needDst) {
            throw new IllegalArgumentException("dst holds " + dst.byteSize() + " bytes, needs " + needDst);
        }
        if (hasImatrix) {
            requireNative(imatrix, "imatrix");
            if (imatrix.byteSize() < nPerRow * 4) {
                throw new IllegalArgumentException("imatrix needs " + nPerRow + " floats");
            }
        }
        MemorySegment im = hasImatrix ? imatrix : MemorySegment.NULL;
        try {
            return (long) quantizeChunk.invokeExact(type, src, dst, start, nrows, nPerRow, im);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Quantizes all of {@code src} as rows of {@code nPerRow} floats; returns the row data. */
    public byte[] quantize(int type, float[] src, int nPerRow) {
        return quantize(type, src, nPerRow, null);
    }

    /** Quantizes all of {@code src} as rows of {@code nPerRow} floats with an optional imatrix of {@code nPerRow}. */
    public byte[] quantize(int type, float[] src, int nPerRow, float[] imatrix) {
        if (nPerRow <= 0 || src.length % nPerRow != 0) {
            throw new IllegalArgumentException(src.length + " floats are not whole rows of " + nPerRow);
        }
        long nrows = src.length / nPerRow;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate((long) src.length * 4, 64);
            MemorySegment.copy(src, 0, s, JAVA_FLOAT_LE, 0, src.length);
            MemorySegment im = MemorySegment.NULL;
            if (imatrix != null) {
                im = arena.allocate((long) imatrix.length * 4, 64);
                MemorySegment.copy(imatrix, 0, im, JAVA_FLOAT_LE, 0, imatrix.length);
            }
            long need = Math.multiplyExact(nrows, quantizable(type) ? rowSize(type, nPerRow) : 0);
            MemorySegment d = arena.allocate(Math.max(need, 1), 64);
            long written = quantizeChunk(type, s, d, 0, nrows, nPerRow, im);
            if (written != need) {
                throw new IllegalStateException("ggml_quantize_chunk wrote " + written + " bytes, expected " + need);
            }
            return d.asSlice(0, need).toArray(JAVA_BYTE);
        }
    }

    /**
     * {@code quantize_row_<type>_ref(src, dst, k)}, bound by name (e.g. {@code quantize_row_q8_K_ref}, for q8_K, which
     * {@code ggml_quantize_chunk} refuses). The output buffer starts zeroed (q8_K leaves an all-zero block's
     * bsums unwritten).
     */
    public byte[] quantizeRowRef(int type, float[] src) {
        long blck = checkedBlockSize(type);
        if (src.length % blck != 0) {
            throw new IllegalArgumentException(src.length + " floats are not whole " + typeName(type) + " blocks");
        }
        MethodHandle f = rowFunction("quantize_row_" + typeName(type) + "_ref");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Math.max((long) src.length * 4, 4), 64);
            MemorySegment.copy(src, 0, s, JAVA_FLOAT_LE, 0, src.length);
            long need = src.length / blck * typeSize(type);
            MemorySegment d = arena.allocate(Math.max(need, 1), 64);
            f.invokeExact(s, d, (long) src.length);
            return d.asSlice(0, need).toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code dequantize_row_<type>(src, dst, n)}, bound by name (e.g. {@code dequantize_row_q8_K}, not in the traits). */
    public float[] dequantizeRow(int type, byte[] src, int n) {
        long blck = checkedBlockSize(type);
        if (n < 0 || n % blck != 0 || (long) n / blck * typeSize(type) > src.length) {
            throw new IllegalArgumentException(n + " elements are not whole " + typeName(type) + " blocks of the input");
        }
        MethodHandle f = rowFunction("dequantize_row_" + typeName(type));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Math.max(src.length, 1), 64);
            MemorySegment.copy(src, 0, s, JAVA_BYTE, 0, src.length);
            MemorySegment d = arena.allocate(Math.max((long) n * 4, 4), 64);
            f.invokeExact(s, d, (long) n);
            float[] out = new float[n];
            MemorySegment.copy(d, JAVA_FLOAT_LE, 0, out, 0, n);
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code void f(const void * x, void * y, int64_t k)} exported by the library. */
    private MethodHandle rowFunction(String name) {
        MemorySegment sym = lookup.find(name)
                .orElseThrow(() -> new IllegalArgumentException(LIBRARY + " exports no " + name));
        return Linker.nativeLinker().downcallHandle(sym, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
    }

    // ------------------------------------------------------------------------------------------------ dequantize

    /** True when the type's traits have a {@code to_float} function. */
    public boolean hasToFloat(int type) {
        return type >= 0 && type < GGML_TYPE_COUNT && !isRemovedType(type)
                && !traitsStruct(type).get(ADDRESS, TRAITS_TO_FLOAT).equals(MemorySegment.NULL);
    }

    /**
     * {@code ggml_get_type_traits(type)->to_float(src, dst, n)}: decodes {@code n} elements (whole blocks) from
     * native {@code src} into native {@code dst}.
     */
    public void toFloat(int type, MemorySegment src, MemorySegment dst, long n) {
        long blck = checkedBlockSize(type);
        MemorySegment fn = traitsStruct(type).get(ADDRESS, TRAITS_TO_FLOAT);
        if (fn.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException(typeName(type) + " has no to_float in ggml's type traits");
        }
        if (n < 0 || n % blck != 0) {
            throw new IllegalArgumentException(n + " elements are not whole " + typeName(type) + " blocks");
        }
        requireNative(src, "src");
        requireNative(dst, "dst");
        long needSrc = n / blck * typeSize(type);
        if (src.byteSize() < needSrc || dst.byteSize() < n * 4) {
            throw new IllegalArgumentException("buffers too small: src " + src.byteSize() + " (needs " + needSrc
                    + "), dst " + dst.byteSize() + " (needs " + n * 4 + ")");
        }
        try {
            toFloatPtr.invokeExact(fn, src, dst, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Decodes the first {@code n} elements of {@code src} (ggml row data) with {@code to_float}. */
    public float[] dequantize(int type, byte[] src, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Math.max(src.length, 1), 64);
            MemorySegment.copy(src, 0, s, JAVA_BYTE, 0, src.length);
            MemorySegment d = arena.allocate(Math.max((long) n * 4, 4), 64);
            toFloat(type, s.asSlice(0, src.length), d, n);
            float[] out = new float[n];
            MemorySegment.copy(d, JAVA_FLOAT_LE, 0, out, 0, n);
            return out;
        }
    }

    private static final ValueLayout.OfFloat JAVA_FLOAT_LE = JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static void requireNative(MemorySegment s, String what) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " must be a native segment (heap segments cannot be passed to C)");
        }
    }

    // ------------------------------------------------------------------------------------------------ gguf

    /**
     * Reads a GGUF file's header with ggml's own reader ({@code gguf_init_from_file} with {@code no_alloc = true}
     * and no ggml context), then frees it.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException when ggml rejects the file (it returns NULL and prints its reason on stderr)
     */
    public GgufPeerView openGguf(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(GGUF_INIT_PARAMS);
            NO_ALLOC.set(params, 0L, true);
            CTX.set(params, 0L, MemorySegment.NULL);
            MemorySegment name = arena.allocateFrom(file.toAbsolutePath().toString());
            MemorySegment ctx = (MemorySegment) ggufInitFromFile.invokeExact(name, params);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IOException("ggml's gguf_init_from_file rejected " + file + " (its reason is on stderr)");
            }
            try {
                return readView(ctx);
            } finally {
                ggufFree.invokeExact(ctx);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private GgufPeerView readView(MemorySegment ctx) throws Throwable {
        int version = (int) ggufVersion.invokeExact(ctx);
        long alignment = (long) ggufAlignment.invokeExact(ctx);
        long dataOffset = (long) ggufDataOffset.invokeExact(ctx);
        long nKv = (long) ggufNKv.invokeExact(ctx);
        List<GgufPeerView.Kv> kvs = new ArrayList<>();
        for (long i = 0; i < nKv; i++) {
            String key = ((MemorySegment) ggufKey.invokeExact(ctx, i)).getString(0);
            int type = (int) ggufKvType.invokeExact(ctx, i);
            kvs.add(new GgufPeerView.Kv(key, type, value(ctx, i, type)));
        }
        long nTensors = (long) ggufNTensors.invokeExact(ctx);
        List<GgufPeerView.Tensor> tensors = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = ((MemorySegment) ggufTensorName.invokeExact(ctx, i)).getString(0);
            int type = (int) ggufTensorType.invokeExact(ctx, i);
            long offset = (long) ggufTensorOffset.invokeExact(ctx, i);
            long size = (long) ggufTensorSize.invokeExact(ctx, i);
            MemorySegment neP = ((MemorySegment) ggufTensorNe.invokeExact(ctx, i)).reinterpret(8L * GGML_MAX_DIMS);
            long[] ne = neP.toArray(JAVA_LONG);
            tensors.add(new GgufPeerView.Tensor(name, type, offset, size, ne));
        }
        return new GgufPeerView(Integer.toUnsignedLong(version), alignment, dataOffset, List.copyOf(kvs),
                List.copyOf(tensors));
    }

    private Object value(MemorySegment ctx, long i, int type) throws Throwable {
        return switch (type) {
            case GGUF_UINT8 -> (long) Byte.toUnsignedInt((byte) ggufValU8.invokeExact(ctx, i));
            case GGUF_INT8 -> (long) (byte) ggufValI8.invokeExact(ctx, i);
            case GGUF_UINT16 -> (long) Short.toUnsignedInt((short) ggufValU16.invokeExact(ctx, i));
            case GGUF_INT16 -> (long) (short) ggufValI16.invokeExact(ctx, i);
            case GGUF_UINT32 -> Integer.toUnsignedLong((int) ggufValU32.invokeExact(ctx, i));
            case GGUF_INT32 -> (long) (int) ggufValI32.invokeExact(ctx, i);
            case GGUF_UINT64 -> (long) ggufValU64.invokeExact(ctx, i);
            case GGUF_INT64 -> (long) ggufValI64.invokeExact(ctx, i);
            case GGUF_FLOAT32 -> (float) ggufValF32.invokeExact(ctx, i);
            case GGUF_FLOAT64 -> (double) ggufValF64.invokeExact(ctx, i);
            case GGUF_BOOL -> (boolean) ggufValBool.invokeExact(ctx, i);
            case GGUF_STRING -> ((MemorySegment) ggufValStr.invokeExact(ctx, i)).getString(0);
            case GGUF_ARRAY -> array(ctx, i);
            default -> throw new IllegalStateException("unknown gguf_type " + type);
        };
    }

    private GgufPeerView.Array array(MemorySegment ctx, long i) throws Throwable {
        int et = (int) ggufArrType.invokeExact(ctx, i);
        long n = (long) ggufArrN.invokeExact(ctx, i);
        if (et == GGUF_STRING) {
            List<String> strings = new ArrayList<>((int) Math.min(n, Integer.MAX_VALUE));
            for (long j = 0; j < n; j++) {
                strings.add(((MemorySegment) ggufArrStr.invokeExact(ctx, i, j)).getString(0));
            }
            return new GgufPeerView.Array(et, n, null, List.copyOf(strings));
        }
        int width = switch (et) {
            case GGUF_UINT8, GGUF_INT8, GGUF_BOOL -> 1;
            case GGUF_UINT16, GGUF_INT16 -> 2;
            case GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32 -> 4;
            case GGUF_UINT64, GGUF_INT64, GGUF_FLOAT64 -> 8;
            default -> throw new IllegalStateException("gguf array of element type " + et);
        };
        byte[] raw = new byte[0];
        if (n > 0) {
            MemorySegment data = ((MemorySegment) ggufArrData.invokeExact(ctx, i)).reinterpret(n * width);
            raw = data.toArray(JAVA_BYTE);
        }
        return new GgufPeerView.Array(et, n, raw, null);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public String toString() {
        return "GgmlPeer[" + library + "]";
    }
}
