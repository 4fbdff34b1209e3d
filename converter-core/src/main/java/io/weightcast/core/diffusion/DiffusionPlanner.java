package io.weightcast.core.diffusion;

import io.weightcast.core.layout.GgufLayout;
import io.weightcast.core.layout.LlamaFileType;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.GgufTypeRules;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufValue;
import io.weightcast.formats.gguf.GgufValueType;
import io.weightcast.formats.gguf.ReaderOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plans a diffusion model (UNet or DiT) → GGUF conversion with {@link DiffusionTypeRules}. */
public final class DiffusionPlanner {
    /** The metadata key prefix ComfyUI-GGUF's loader reads the true shape of a reshaped tensor from. */
    public static final String ORIG_SHAPE_PREFIX = "comfy.gguf.orig_shape.";

    private DiffusionPlanner() {
    }

    /**
     * @param tensors   the checkpoint's tensors, original names
     * @param detection the family, layout and prefix (from {@link ArchDetector}, or given by the user)
     * @param target    the loader; null picks {@link DiffusionTarget#auto}
     * @param requested the type asked for, or null for the base type (BF16 for BF16 sources, else F16)
     */
    public static DiffusionPlan plan(List<TensorView> tensors, ArchDetector.Detection detection,
                                     DiffusionTarget target, DType requested) {
        DiffusionArch arch = detection.arch();
        DiffusionTarget t = target != null ? target : DiffusionTarget.auto(detection);
        if (requested != null) {
            t.requireLoadable(requested);
            GgufTypeRules.requireWritable(requested);
        }
        List<String> notes = new ArrayList<>();
        if (detection.layout() == KeyLayout.DIFFUSERS && !arch.shapeFix()) {
            if (t == DiffusionTarget.COMFYUI) {
                throw new IllegalArgumentException("this " + arch.ggufName() + " checkpoint uses diffusers' key "
                        + "layout, which ComfyUI-GGUF does not load (its convert.py refuses it: ComfyUI re-fuses q/k/v "
                        + "on load, which fails on quantized tensors). Convert the original single-file checkpoint for "
                        + "ComfyUI, or use --target diffusers and load it with from_single_file(..., config=...)");
            }
            if (t == DiffusionTarget.DIFFUSERS) {
                notes.add("diffusers layout: load with " + "from_single_file(path, config=<repo>, subfolder="
                        + "\"transformer\", quantization_config=GGUFQuantizationConfig(compute_dtype=...))");
            }
        }
        Map<String, TensorView> byName = new LinkedHashMap<>();
        for (TensorView v : tensors) {
            byName.put(v.name(), v);
        }
        Map<String, String> stripped = ArchDetector.strip(byName.keySet(), detection.prefix());
        int left = byName.size() - stripped.size();
        if (left > 0) {
            notes.add(left + " tensors without the prefix '" + detection.prefix() + "' left out (VAE/text encoders of a"
                    + " full checkpoint)");
        }
        List<TensorJob> jobs = new ArrayList<>();
        List<TensorDecision> decisions = new ArrayList<>();
        GgufMetadata kv = new GgufMetadata();
        kv.putString(GgufMetadata.ARCHITECTURE, arch.ggufName());
        Map<DType, Integer> sourceTypes = new EnumMap<>(DType.class);
        List<String> longNames = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        Map<String, long[]> origShapes = new LinkedHashMap<>();
        for (var e : stripped.entrySet()) {
            String name = e.getKey();
            TensorView v = byName.get(e.getValue());
            if (arch.keysIgnore().stream().anyMatch(name::contains)) {
                ignored.add(name);
                continue;
            }
            checkName(name, t, longNames);
            sourceTypes.merge(v.dtype(), 1, Integer::sum);
            TensorDecision d = DiffusionTypeRules.decide(name, v, arch, t, requested);
            decisions.add(d);
            jobs.add(new TensorJob(v, new TensorSpec(name, d.shape(), d.type())));
            if (d.reshaped()) {
                origShapes.put(name, d.originalShape());
            }
        }
        if (!ignored.isEmpty()) {
            notes.add(ignored.size() + " tensors left out as convert.py does (" + String.join(", ",
                    ignored.subList(0, Math.min(3, ignored.size()))) + (ignored.size() > 3 ? ", ..." : "") + ")");
        }
        if (!longNames.isEmpty()) {
            notes.add(longNames.size() + " tensor names are longer than 63 bytes (e.g. '" + longNames.getFirst()
                    + "'): ComfyUI-GGUF and diffusers read them, stock llama.cpp refuses the file");
        }
        ConversionPlan plan = new ConversionPlan(jobs);
        kv.putUint32("general.quantization_version", GgufLayout.GGML_QUANTIZATION_VERSION);
        DType fileType = requested != null ? requested : mainBaseType(sourceTypes);
        LlamaFileType.of(fileType).ifPresent(f -> kv.putUint32("general.file_type", f));
        origShapes.forEach((name, shape) -> kv.put(ORIG_SHAPE_PREFIX + name, origShapeValue(shape)));
        if (!origShapes.isEmpty() && t == DiffusionTarget.COMFYUI) {
            notes.add(origShapes.size() + " tensors stored as rows of 256 (or 2-D) with comfy.gguf.orig_shape.*");
        }
        return new DiffusionPlan(arch.ggufName(), t, plan, kv, decisions, notes);
    }

    /** {@code comfy.gguf.orig_shape.<name>}: ARRAY of INT32 in PyTorch order, the only form the loader accepts. */
    public static GgufValue origShapeValue(long[] shape) {
        int[] dims = new int[shape.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = Math.toIntExact(shape[i]);
        }
        return GgufValue.int32Array(dims);
    }

    /** The original shapes recorded in a GGUF's metadata, by tensor name (ARRAY of INT32 only). */
    public static Map<String, long[]> origShapes(GgufMetadata kv) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (var e : kv.asMap().entrySet()) {
            if (e.getKey().startsWith(ORIG_SHAPE_PREFIX)) {
                GgufValue v = e.getValue();
                if (!v.isArray() || v.elementType() != GgufValueType.INT32) {
                    throw new IllegalStateException("bad original shape metadata for " + e.getKey()
                            + ": expected ARRAY of INT32, got " + v.describeType());
                }
                out.put(e.getKey().substring(ORIG_SHAPE_PREFIX.length()), kv.getLongArray(e.getKey()).orElseThrow());
            }
        }
        return out;
    }

    /** convert.py's file type: MOSTLY_BF16 when BF16 is the most common source dtype, else MOSTLY_F16. */
    static DType mainBaseType(Map<DType, Integer> counts) {
        DType main = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(DType.F16);
        return main == DType.BF16 ? DType.BF16 : DType.F16;
    }

    static void checkName(String name, DiffusionTarget target, List<String> longNames) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > target.maxNameLength()) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + bytes + " bytes; " + (target
                    == DiffusionTarget.LLAMA_CPP ? "llama.cpp's limit is 63 (use --target comfyui or diffusers, which "
                    + "allow 127)" : "ComfyUI-GGUF's limit is 127 (its convert.py refuses such names too)"));
        }
        if (bytes > ReaderOptions.LLAMA_CPP_MAX_NAME) {
            longNames.add(name);
        }
    }
}
