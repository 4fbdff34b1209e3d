package io.weightcast.core.codec.cuda;

import io.weightcast.formats.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CUDA kernels weightcast ships: which PTX module holds the encode and decode kernel of each type, and how
 * each is launched. This class touches no JCuda class, so the engine can ask {@link #canEncode}/{@link #canDecode}
 * on machines without JCuda's natives.
 *
 * <p>Every kernel has the signature {@code (const in*, out*, long long nblocks)} and covers
 * {@code itemsPerCta} type blocks per CTA ({@code grid = ceil(nblocks / itemsPerCta)}); the numbers mirror the
 * {@code WC_*} constants of {@code converter-core/src/main/cuda/common.cuh}. The PTX sources are resources in
 * this package, regenerated from the {@code .cu} files by {@code scripts/build-ptx.sh}; they are read once and
 * handed to the driver with the trailing NUL byte {@code cuModuleLoadData} needs.
 *
 * <p>Modules and their types: {@code float} F16, BF16, F8_E4M3, F8_E5M2; {@code legacy} Q8_0, Q4_0, Q4_1, Q5_0,
 * Q5_1, Q8_1; {@code fp4} MXFP4, NVFP4; {@code lowbit} Q1_0, Q2_0; {@code tq} TQ1_0, TQ2_0; {@code kquant} Q2_K,
 * Q3_K, Q4_K, Q5_K, Q6_K (searching, with imatrix) and Q8_K (plain); {@code iq4} IQ4_NL, IQ4_XS (searching);
 * {@code iqgrid} IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M (decoders only: {@link #canDecode} but not
 * {@link #canEncode}, as their CPU codecs); {@code bnb} the bitsandbytes 4-bit kernels ({@link CudaBnb4Bit}, not a
 * ggml type); {@code hfdecode} the decoders of the pre-quantized Hugging Face layouts ({@link CudaHfDecode}).
 */
public final class CudaKernels {

    private CudaKernels() {}

    /**
     * One kernel: its PTX module (resource {@code <module>.ptx}), entry point and launch shape. A {@code searching}
     * encode kernel (k-quants, IQ4) takes {@code (x, y, nblocks, qw, rowBlocks, colBlock0, flags)}: an optional
     * importance matrix and a per-block flag the host must honour (see common.cuh).
     */
    public record Kernel(String module, String function, int itemsPerCta, int threads, boolean searching) {

        Kernel(String module, String function, int itemsPerCta, int threads) {
            this(module, function, itemsPerCta, threads, false);
        }

        /** CTAs for {@code nblocks} type blocks. */
        public int grid(long nblocks) {
            long g = (nblocks + itemsPerCta - 1) / itemsPerCta;
            if (g > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(nblocks + " blocks are too many for one launch of " + function);
            }
            return (int) g;
        }
    }

    /**
     * Encoders of the same bytes that differ in how a CTA shares the work (see common.cuh and kquant.cu):
     * {@code STAGED} stages blocks in shared memory, one thread per block; {@code UNSTAGED} reads from global memory,
     * one thread per block; {@code COOPERATIVE} stages and runs a super-block's sub-block searches on 8 threads;
     * {@code WARP} (Q4_K, Q5_K) does the same on 8 lanes of one warp with register-resident values and float levels
     * (fewer instructions for the same bytes); for IQ4_NL and IQ4_XS, {@code WARP} runs one 32-value block a lane with
     * register-resident values and a branch-free table {@code best_index} (iq4.cu).
     */
    public enum Variant {
        STAGED,
        UNSTAGED,
        COOPERATIVE,
        WARP
    }

    /**
     * The kernels of one type: the encoders by variant (STAGED always there, unless the type is decode-only: then
     * none and {@code preferred} null), the variant used unless one is forced, and the decoder.
     */
    public record Spec(DType type, Map<Variant, Kernel> encoders, Variant preferred, Kernel decode) {
        Spec(DType type, Kernel encode, Kernel decode) {
            this(type, Map.of(Variant.STAGED, encode), Variant.STAGED, decode);
        }

        /** The staged encoder, or null for a decode-only type. */
        public Kernel encode() {
            return encoders.get(Variant.STAGED);
        }

        /** Whether the type has an encoder (the IQ grid types have decoders only). */
        public boolean encodes() {
            return !encoders.isEmpty();
        }
    }

    /**
     * System property {@code staged}, {@code unstaged}, {@code cooperative} or {@code warp}: makes {@link #encoder} use that
     * variant wherever it exists; unset, each type uses the one measured fastest on an H200.
     */
    public static final String VARIANT_PROPERTY = "weightcast.cuda.encoder";
    private static volatile Variant forced = forcedFromProperty();

    private static Variant forcedFromProperty() {
        String v = System.getProperty(VARIANT_PROPERTY);
        return v == null ? null : Variant.valueOf(v.trim().toUpperCase(java.util.Locale.ROOT));
    }

    /** Forces an encoder variant where it exists, or ({@code null}) the per-type choice (tests, benchmarks). */
    public static void useVariant(Variant v) {
        forced = v == null ? forcedFromProperty() : v;
    }

    /** The encode kernel {@link CudaDevice#transcode} launches for a type. */
    public static Kernel encoder(DType t) {
        Spec s = SPECS.get(t);
        if (s == null || !s.encodes()) {
            throw new UnsupportedOperationException("no CUDA encode kernel for " + t);
        }
        Variant f = forced;
        Kernel k = f == null ? null : s.encoders().get(f);
        return k != null ? k : s.encoders().get(s.preferred());
    }

    // Launch shapes, as in common.cuh.
    private static final int ENC_THREADS = 128; // WC_ENC_THREADS: one thread (and one staged block) per type block
    private static final int DEC_ITEMS = 128; // WC_DEC_ITEMS
    private static final int DEC_THREADS = 256; // WC_DEC_THREADS
    private static final int ELEM_ITEMS = 4096; // WC_ELEM_ITEMS
    private static final int ELEM_THREADS = 256; // WC_ELEM_THREADS
    private static final int SEARCH_32 = 128; // WC_SEARCH_THREADS_32: blocks (= threads) per CTA, 32-value blocks
    private static final int SEARCH_256 = 32; // WC_SEARCH_THREADS_256: the same for 256-value super-blocks
    private static final int TQ_BLOCKS = 32; // WC_TQ_BLOCKS: 256-value blocks staged per CTA
    private static final int TQ_THREADS = 128; // WC_TQ_THREADS
    private static final int COOP_SB = 16; // WC_COOP_SB: super-blocks per CTA of the cooperative Q4_K/Q5_K encoders
    private static final int COOP_THREADS = 128; // WC_COOP_THREADS: 8 per super-block
    private static final int WARP_SB = 16; // WC_WARP_SB: super-blocks per CTA of the warp Q4_K/Q5_K encoders
    private static final int WARP_THREADS = 128; // WC_WARP_THREADS: 8 lanes per super-block
    private static final int IQ4W_THREADS = 128; // WC_IQ4W_THREADS (iq4.cu): IQ4_NL blocks per CTA, a lane each
    private static final int IQ4W_XS_SB = 16; // WC_IQ4W_XS_SB (iq4.cu): IQ4_XS super-blocks per CTA, 8 lanes each
    private static final int SEARCH_G = 64; // WC_SEARCH_G_THREADS: unstaged searching encoders, a block per thread
    private static final int Q1_0_BLOCKS = 64; // WC_Q1_0_BLOCKS (lowbit.cu): 128-value blocks (= threads) per CTA
    private static final int Q8_K_BLOCKS = 32; // WC_Q8_K_BLOCKS (kquant.cu): 256-value blocks staged per CTA
    private static final int Q8_K_THREADS = 128; // WC_Q8_K_THREADS

    private static final Map<DType, Spec> SPECS = new EnumMap<>(DType.class);

    static {
        element("float", DType.F16, "f16");
        element("float", DType.BF16, "bf16");
        element("float", DType.F8_E4M3, "f8_e4m3");
        element("float", DType.F8_E5M2, "f8_e5m2");
        block("legacy", DType.Q8_0, "q8_0");
        block("legacy", DType.Q4_0, "q4_0");
        block("legacy", DType.Q4_1, "q4_1");
        block("legacy", DType.Q5_0, "q5_0");
        block("legacy", DType.Q5_1, "q5_1");
        SPECS.put(DType.TQ1_0, new Spec(DType.TQ1_0, new Kernel("tq", "wc_encode_tq1_0", TQ_BLOCKS, TQ_THREADS),
                new Kernel("tq", "wc_decode_tq1_0", DEC_ITEMS, DEC_THREADS)));
        SPECS.put(DType.TQ2_0, new Spec(DType.TQ2_0, new Kernel("tq", "wc_encode_tq2_0", TQ_BLOCKS, TQ_THREADS),
                new Kernel("tq", "wc_decode_tq2_0", DEC_ITEMS, DEC_THREADS)));
        block("legacy", DType.Q8_1, "q8_1");
        block("fp4", DType.MXFP4, "mxfp4");
        block("fp4", DType.NVFP4, "nvfp4");
        block("lowbit", DType.Q2_0, "q2_0");
        SPECS.put(DType.Q1_0, new Spec(DType.Q1_0, new Kernel("lowbit", "wc_encode_q1_0", Q1_0_BLOCKS, Q1_0_BLOCKS),
                new Kernel("lowbit", "wc_decode_q1_0", DEC_ITEMS, DEC_THREADS)));
        SPECS.put(DType.Q8_K, new Spec(DType.Q8_K, new Kernel("kquant", "wc_encode_q8_k", Q8_K_BLOCKS, Q8_K_THREADS),
                new Kernel("kquant", "wc_decode_q8_k", DEC_ITEMS, DEC_THREADS)));
        searching("kquant", DType.Q4_K, "q4_k");
        searching("kquant", DType.Q5_K, "q5_k");
        searching("kquant", DType.Q6_K, "q6_k");
        searching("kquant", DType.Q3_K, "q3_k");
        searching("kquant", DType.Q2_K, "q2_k");
        searching("iq4", DType.IQ4_NL, "iq4_nl");
        searching("iq4", DType.IQ4_XS, "iq4_xs");
        decodeOnly("iqgrid", DType.IQ2_XXS, "iq2_xxs");
        decodeOnly("iqgrid", DType.IQ2_XS, "iq2_xs");
        decodeOnly("iqgrid", DType.IQ2_S, "iq2_s");
        decodeOnly("iqgrid", DType.IQ3_XXS, "iq3_xxs");
        decodeOnly("iqgrid", DType.IQ3_S, "iq3_s");
        decodeOnly("iqgrid", DType.IQ1_S, "iq1_s");
        decodeOnly("iqgrid", DType.IQ1_M, "iq1_m");
    }

    // Measured on an H200 (BENCHMARKS.md, bundles 65401e1, 1d31d4e, 186f581): unstaged 1.2x and 1.26x faster than
    // staged for Q6_K and Q2_K; warp 1.49x/1.56x faster than the best other variant for Q4_K/Q5_K (1.21x/1.25x with
    // an imatrix) and 19x for IQ4_NL/IQ4_XS (16-19x with an imatrix); staged best (within 5 %) for Q3_K.
    private static Variant preferred(DType t) {
        return switch (t) {
            case Q6_K, Q2_K -> Variant.UNSTAGED;
            case Q4_K, Q5_K, IQ4_NL, IQ4_XS -> Variant.WARP;
            default -> Variant.STAGED;
        };
    }

    private static void searching(String module, DType t, String name) {
        int per = t.blockSize() == 32 ? SEARCH_32 : SEARCH_256;
        Map<Variant, Kernel> enc = new EnumMap<>(Variant.class);
        enc.put(Variant.STAGED, new Kernel(module, "wc_encode_" + name, per, per, true));
        if (t.blockSize() == 256) {
            enc.put(Variant.UNSTAGED, new Kernel(module, "wc_encode_" + name + "_g", SEARCH_G, SEARCH_G, true));
        }
        if (t == DType.Q4_K || t == DType.Q5_K) {
            enc.put(Variant.COOPERATIVE, new Kernel(module, "wc_encode_" + name + "_c", COOP_SB, COOP_THREADS, true));
            enc.put(Variant.WARP, new Kernel(module, "wc_encode_" + name + "_w", WARP_SB, WARP_THREADS, true));
        }
        if (t == DType.IQ4_NL || t == DType.IQ4_XS) {
            int items = t == DType.IQ4_NL ? IQ4W_THREADS : IQ4W_XS_SB;
            enc.put(Variant.WARP, new Kernel(module, "wc_encode_" + name + "_w", items, IQ4W_THREADS, true));
        }
        SPECS.put(t, new Spec(t, java.util.Collections.unmodifiableMap(enc), preferred(t),
                new Kernel(module, "wc_decode_" + name, DEC_ITEMS, DEC_THREADS)));
    }

    /** A type weightcast reads but cannot write (as its CPU codec): a decoder and no encoder. */
    private static void decodeOnly(String module, DType t, String name) {
        SPECS.put(t, new Spec(t, Map.of(), null, new Kernel(module, "wc_decode_" + name, DEC_ITEMS, DEC_THREADS)));
    }

    private static void element(String module, DType t, String name) {
        SPECS.put(t, new Spec(t, new Kernel(module, "wc_encode_" + name, ELEM_ITEMS, ELEM_THREADS),
                new Kernel(module, "wc_decode_" + name, ELEM_ITEMS, ELEM_THREADS)));
    }

    private static void block(String module, DType t, String name) {
        SPECS.put(t, new Spec(t, new Kernel(module, "wc_encode_" + name, ENC_THREADS, ENC_THREADS),
                new Kernel(module, "wc_decode_" + name, DEC_ITEMS, DEC_THREADS)));
    }

    /** The PTX modules, one per {@code .cu} file. */
    public static final List<String> MODULES = List.of("bnb", "compressed", "float", "fp4", "fp8block",
            "hfdecode", "iq4", "iqgrid", "kquant", "legacy", "lowbit", "tq");

    /** Types with CUDA kernels, decode-only ones included (F32 needs none: it is copied). */
    public static Set<DType> types() {
        return Collections.unmodifiableSet(EnumSet.copyOf(SPECS.keySet()));
    }

    /** Whether f32 can be encoded to {@code t} on the GPU (F32 itself: trivially). */
    public static boolean canEncode(DType t) {
        Spec s = SPECS.get(t);
        return t == DType.F32 || (s != null && s.encodes());
    }

    /** Whether {@code t} can be decoded to f32 on the GPU (F32 itself: trivially). */
    public static boolean canDecode(DType t) {
        return t == DType.F32 || SPECS.containsKey(t);
    }

    /** Whether the type's GPU encoder takes an importance matrix (as its scalar reference does). */
    public static boolean encodesImportance(DType t) {
        Spec s = SPECS.get(t);
        return s != null && s.encodes() && s.encode().searching();
    }

    /** Whether a {@code from → to} conversion can run entirely on the GPU. */
    public static boolean canTranscode(DType from, DType to) {
        return canDecode(from) && canEncode(to) && !(from == DType.F32 && to == DType.F32);
    }

    /** The kernels of a type, or null. */
    public static Spec spec(DType t) {
        return SPECS.get(t);
    }

    private static final Map<String, byte[]> PTX = new ConcurrentHashMap<>();

    /** The module's PTX text, NUL-terminated (what {@code cuModuleLoadData} needs), read once per JVM. */
    static byte[] ptx(String module) {
        return PTX.computeIfAbsent(module, m -> {
            byte[] text = ptxText(m);
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        });
    }

    /** The module's PTX resource as stored (no NUL). */
    public static byte[] ptxText(String module) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(module + ".ptx")) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + module + ".ptx missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
