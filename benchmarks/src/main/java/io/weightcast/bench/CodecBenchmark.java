package io.weightcast.bench;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.peer.GgmlPeer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Side-by-side throughput of weightcast's codecs and ggml's ({@code ggml_quantize_chunk} and the type traits'
 * {@code to_float} in the peer {@code libggml-base.so}, through FFM), single thread, on the same seeded Gaussian
 * input. Every round runs ours and ggml's back to back (the order alternates between rounds) so that both see the
 * same load on a shared machine; the table reports the median round (and the best one). It also checks that our
 * bytes equal ggml's and that our decoded floats equal ggml's bit for bit; any difference is printed as MISMATCH
 * and the exit status is 1.
 *
 * <p>Usage: {@code CodecBenchmark [--elements N] [--rounds R] [--warmup W] [--types F16,Q8_0,...]
 * [--impl best|scalar|vector|all] [--row N] [--no-imatrix]}. Types whose ggml quantizer takes an imatrix get a
 * second row "+ imatrix" (ours {@code encodeRows} with importance vs {@code ggml_quantize_chunk} with the same). Run with {@code --add-modules=jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED} (scripts/bench.sh does).
 */
public final class CodecBenchmark {

    /** Every type weightcast writes to GGUF (the read-only IQ2/IQ3/IQ1 types and Q8_1/Q8_K activations aside). */
    static final List<DType> DEFAULT_TYPES =
            List.of(DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K,
                    DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.IQ4_NL, DType.IQ4_XS, DType.TQ1_0,
                    DType.TQ2_0, DType.MXFP4);

    /** Keeps results observable so that no work can be discarded. */
    static volatile long sink;

    record Options(int elements, int rounds, int warmup, List<DType> types, String impl, int row, boolean imatrix) {}

    record Result(DType type, String impl, double oursQ, double ggmlQ, double oursD, double ggmlD, double oursQBest,
            double ggmlQBest, double oursDBest, double ggmlDBest, String bytes, String floats) {}

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        Optional<GgmlPeer> peerOpt = GgmlPeer.load();
        if (peerOpt.isEmpty()) {
            System.err.println("bench: the peer is not available: " + GgmlPeer.unavailableReason());
            System.exit(2);
        }
        GgmlPeer peer = peerOpt.get();
        printEnvironment(o, peer);

        float[] input = gaussian(o.elements(), 20260101L);
        List<Result> results = new ArrayList<>();
        boolean mismatch = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) o.elements() * 4, 64);
            MemorySegment.copy(input, 0, src, ValueLayout.JAVA_FLOAT, 0, input.length);
            MemorySegment ggmlDeq = arena.allocate((long) o.elements() * 4, 64);
            float[] oursDeq = new float[o.elements()];
            // one importance weight per column (as an imatrix: mean squared activations, positive), seeded
            float[] importance = importance(o.row(), 20260102L);
            MemorySegment importanceSeg = arena.allocate((long) o.row() * 4, 64);
            MemorySegment.copy(importance, 0, importanceSeg, ValueLayout.JAVA_FLOAT, 0, importance.length);
            for (DType t : o.types()) {
                for (String impl : impls(o.impl())) {
                    Optional<Codec> codec = codec(t, impl);
                    String label = codec.map(c -> impl + " (" + c.getClass().getSimpleName() + ")").orElse(impl);
                    if (codec.isEmpty()) {
                        System.out.printf("(no %s codec for %s)%n", impl, t);
                        continue;
                    }
                    long bytes = t.byteSize(o.elements());
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment oursQ = a.allocate(bytes, 64);
                        MemorySegment ggmlQ = a.allocate(bytes, 64);
                        List<float[]> variants = new ArrayList<>();
                        variants.add(null);
                        if (o.imatrix() && codec.get().usesImportance()) {
                            variants.add(importance);
                        }
                        for (float[] w : variants) {
                            String l = w == null ? label : label + " + imatrix";
                            Result r = run(o, peer, t, codec.get(), l, input, src, oursQ, ggmlQ, oursDeq, ggmlDeq, w,
                                    w == null ? MemorySegment.NULL : importanceSeg);
                            results.add(r);
                            mismatch |= !r.bytes().equals("yes") || !r.floats().equals("yes");
                            System.err.printf(Locale.ROOT, "bench: %-6s %-7s%s done (q %.0f vs %.0f, dq %.0f vs %.0f "
                                    + "Melem/s)%n", t, impl, w == null ? "" : " imatrix", r.oursQ(), r.ggmlQ(),
                                    r.oursD(), r.ggmlD());
                        }
                    }
                }
            }
        }
        printTable(o, results);
        if (mismatch) {
            System.out.println();
            System.out.println("**MISMATCH: our output differs from ggml's for at least one type (see the table).**");
            System.exit(1);
        }
    }

    static Result run(Options o, GgmlPeer peer, DType t, Codec codec, String impl, float[] input, MemorySegment src,
            MemorySegment oursQ, MemorySegment ggmlQ, float[] oursDeq, MemorySegment ggmlDeq, float[] importance,
            MemorySegment importanceSeg) {
        int n = o.elements();
        int id = t.ggmlId();
        int row = o.row();
        // with importance: ours encodeRows (the engine's imatrix path), ggml's ggml_quantize_chunk with the same
        // quant_weights; without: ours encode, ggml's ggml_quantize_chunk(imatrix NULL)
        Runnable ourEncode = importance == null ? () -> codec.encode(input, 0, n, oursQ, 0)
                : () -> codec.encodeRows(input, 0, n / row, row, importance, oursQ, 0);
        Runnable ggmlEncode = () -> {
            long w = peer.quantizeChunk(id, src, ggmlQ, 0, n / row, row, importanceSeg);
            if (w != ggmlQ.byteSize()) {
                throw new IllegalStateException("ggml wrote " + w + " bytes, expected " + ggmlQ.byteSize());
            }
        };
        // both decode ggml's bytes (identical to ours when the check passes)
        Runnable ourDecode = () -> codec.decode(ggmlQ, 0, n, oursDeq, 0);
        Runnable ggmlDecode = () -> peer.toFloat(id, ggmlQ, ggmlDeq, n);

        // correctness first, on a clean output
        oursQ.fill((byte) 0x5A);
        ggmlQ.fill((byte) 0xA5);
        ourEncode.run();
        ggmlEncode.run();
        long diff = oursQ.mismatch(ggmlQ);
        String bytes = "yes";
        if (diff >= 0) {
            long count = 0;
            for (long i = 0; i < oursQ.byteSize(); i++) {
                if (oursQ.get(ValueLayout.JAVA_BYTE, i) != ggmlQ.get(ValueLayout.JAVA_BYTE, i)) {
                    count++;
                }
            }
            bytes = "**NO** (" + count + " bytes differ, first at " + diff + ")";
            System.out.printf("MISMATCH %s (%s): %d of %d bytes differ; first at byte %d (block %d): ours %02x, ggml %02x%n",
                    t, impl, count, oursQ.byteSize(), diff, diff / t.blockBytes(),
                    oursQ.get(ValueLayout.JAVA_BYTE, diff), ggmlQ.get(ValueLayout.JAVA_BYTE, diff));
        }
        ourDecode.run();
        ggmlDecode.run();
        String floats = "yes";
        long fdiff = 0;
        long firstF = -1;
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(oursDeq[i]) != Float.floatToRawIntBits(ggmlDeq.getAtIndex(ValueLayout.JAVA_FLOAT, i))) {
                if (firstF < 0) {
                    firstF = i;
                }
                fdiff++;
            }
        }
        if (fdiff > 0) {
            floats = "**NO** (" + fdiff + " differ)";
            System.out.printf("MISMATCH %s (%s) decode: %d of %d floats differ; first at %d: ours %s, ggml %s%n", t,
                    impl, fdiff, n, firstF, oursDeq[(int) firstF], ggmlDeq.getAtIndex(ValueLayout.JAVA_FLOAT, firstF));
        }

        for (int w = 0; w < o.warmup(); w++) {
            round(w, ourEncode, ggmlEncode, ourDecode, ggmlDecode, null, 0);
        }
        long[][] ns = new long[4][o.rounds()];
        for (int r = 0; r < o.rounds(); r++) {
            round(r, ourEncode, ggmlEncode, ourDecode, ggmlDecode, ns, r);
            sink += oursQ.get(ValueLayout.JAVA_BYTE, (r * 7919L) % oursQ.byteSize())
                    + ggmlQ.get(ValueLayout.JAVA_BYTE, (r * 104729L) % ggmlQ.byteSize())
                    + Float.floatToRawIntBits(oursDeq[(r * 31337) % n])
                    + Float.floatToRawIntBits(ggmlDeq.getAtIndex(ValueLayout.JAVA_FLOAT, (r * 7331L) % n));
        }
        // the timed rounds must not have changed anything
        if (oursQ.mismatch(ggmlQ) != diff) {
            throw new IllegalStateException(t + ": output changed between rounds");
        }
        return new Result(t, impl, melems(n, median(ns[0])), melems(n, median(ns[1])), melems(n, median(ns[2])),
                melems(n, median(ns[3])), melems(n, min(ns[0])), melems(n, min(ns[1])), melems(n, min(ns[2])),
                melems(n, min(ns[3])), bytes, floats);
    }

    /** One round: quantize with both, then dequantize with both; ours first in even rounds, ggml first in odd. */
    private static void round(int r, Runnable oe, Runnable ge, Runnable od, Runnable gd, long[][] out, int slot) {
        boolean oursFirst = (r & 1) == 0;
        long a, b, c, d;
        if (oursFirst) {
            a = time(oe);
            b = time(ge);
            c = time(od);
            d = time(gd);
        } else {
            b = time(ge);
            a = time(oe);
            d = time(gd);
            c = time(od);
        }
        if (out != null) {
            out[0][slot] = a;
            out[1][slot] = b;
            out[2][slot] = c;
            out[3][slot] = d;
        }
    }

    private static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    static double melems(int n, long ns) {
        return n * 1e3 / ns;
    }

    static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static long min(long[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    static List<String> impls(String impl) {
        return impl.equals("all") ? List.of("scalar", "vector") : List.of(impl);
    }

    static Optional<Codec> codec(DType t, String impl) {
        if (!Codecs.canEncode(t)) {
            return Optional.empty();
        }
        return switch (impl) {
            case "best" -> Optional.of(Codecs.forType(t));
            case "scalar" -> Optional.of(Codecs.scalar(t));
            case "vector" -> Codecs.vector(t);
            default -> throw new IllegalArgumentException("--impl must be best, scalar, vector or all: " + impl);
        };
    }

    /** Seeded positive importance weights, log-normal like real imatrix entries. */
    static float[] importance(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) Math.exp(rnd.nextGaussian());
        }
        return w;
    }

    /** Seeded N(0,1) floats (SplittableRandom, Box-Muller via nextGaussian). */
    static float[] gaussian(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    static void printEnvironment(Options o, GgmlPeer peer) {
        boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        System.out.println("# weightcast codec benchmark vs ggml (single thread)");
        System.out.println();
        System.out.printf("- JDK: %s (%s), %d CPUs visible, max heap %d MiB%n", Runtime.version(),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        System.out.println("- CPU: " + cpuModel());
        System.out.println("- Vector API module: " + (vectorModule ? "present" : "ABSENT (scalar codecs only)")
                + "; codecs selected: " + io.weightcast.core.codec.KernelProvider.selected()
                + (vectorModule ? "; species " + io.weightcast.core.codec.vector.VectorCodecs.describe() : ""));
        System.out.println("- peer: " + peer.library());
        System.out.printf("- input: %,d seeded N(0,1) floats; ggml rows of %d; %d warm-up + %d timed rounds, "
                + "ours and ggml's interleaved; Melem/s of the median round (best round in the second table)%n",
                o.elements(), o.row(), o.warmup(), o.rounds());
        System.out.println("- ours = Codecs." + (o.impl().equals("best") ? "forType" : o.impl()) + "(type); ggml = "
                + "ggml_quantize_chunk(imatrix NULL) and type_traits->to_float, called through FFM; \"+ imatrix\" rows: "
                + "ours Codec.encodeRows with one importance weight per column, ggml ggml_quantize_chunk with the "
                + "same weights (same input; decode columns time the same decoders again)");
        System.out.println();
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String target(DType t) {
        return switch (t) {
            case F16, BF16 -> "1×";
            default -> "2×"; // issue 3: ≥ 2× ggml for every quantized type
        };
    }

    static void printTable(Options o, List<Result> rs) {
        System.out.println();
        System.out.println("| type | impl | ours quantize | ggml quantize | ratio | ours dequantize | ggml dequantize "
                + "| ratio | target | bytes identical | floats identical |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---|---|---|");
        for (Result r : rs) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %s | %.0f | %.0f | %s | %s | %s | %s |%n",
                    r.type(), r.impl(), r.oursQ(), r.ggmlQ(), ratio(r.oursQ(), r.ggmlQ(), r.type()), r.oursD(),
                    r.ggmlD(), ratio(r.oursD(), r.ggmlD(), r.type()), "≥ " + target(r.type()), r.bytes(),
                    r.floats());
        }
        System.out.println();
        System.out.println("Best round (Melem/s):");
        System.out.println();
        System.out.println("| type | impl | ours quantize | ggml quantize | ratio | ours dequantize | ggml dequantize | ratio |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (Result r : rs) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× |%n", r.type(),
                    r.impl(), r.oursQBest(), r.ggmlQBest(), r.oursQBest() / r.ggmlQBest(), r.oursDBest(),
                    r.ggmlDBest(), r.oursDBest() / r.ggmlDBest());
        }
        System.out.println();
        System.out.println("Ratios marked * are below the target (quantized types: 2× ggml; F16, BF16: 1×).");
    }

    static String ratio(double ours, double ggml, DType t) {
        double r = ours / ggml;
        double need = target(t).equals("2×") ? 2.0 : 1.0;
        return String.format(Locale.ROOT, "%.2f×%s", r, r >= need ? "" : " *");
    }

    static Options parse(String[] args) {
        int elements = 16 * 1024 * 1024, rounds = 7, warmup = 3, row = 4096;
        boolean imatrix = true;
        List<DType> types = DEFAULT_TYPES;
        String impl = "best";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--elements" -> { elements = Integer.parseInt(need(a, v)); i++; }
                case "--rounds" -> { rounds = Integer.parseInt(need(a, v)); i++; }
                case "--warmup" -> { warmup = Integer.parseInt(need(a, v)); i++; }
                case "--row" -> { row = Integer.parseInt(need(a, v)); i++; }
                case "--impl" -> { impl = need(a, v); i++; }
                case "--no-imatrix" -> imatrix = false;
                case "--types" -> {
                    types = Arrays.stream(need(a, v).split(",")).map(s -> DType.parse(s)
                            .orElseThrow(() -> new IllegalArgumentException("unknown type " + s))).toList();
                    i++;
                }
                case "-h", "--help" -> {
                    System.out.println("CodecBenchmark [--elements N] [--rounds R] [--warmup W] [--types F16,Q8_0,...] "
                            + "[--impl best|scalar|vector|all] [--row N] [--no-imatrix]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (row % 256 != 0 || elements % row != 0 || rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--row must be a multiple of 256 dividing --elements; rounds >= 1");
        }
        return new Options(elements, rounds, warmup, types, impl, row, imatrix);
    }

    private static String need(String opt, String v) {
        if (v == null) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return v;
    }
}
