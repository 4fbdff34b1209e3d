package io.weightcast.core.diffusion;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufModel;
import io.weightcast.formats.gguf.GgufValueType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.function.Predicate;

/**
 * What {@code verify} needs to pair an HF checkpoint with a diffusion GGUF made from it: the GGUF's tensors with the
 * shapes recorded in {@code comfy.gguf.orig_shape.*} (the reshape reversed; the element order is unchanged), and the
 * reference name of each GGUF tensor (the stripped state-dict prefix put back, T5 llama.cpp names mapped back).
 */
public final class DiffusionVerify {
    private DiffusionVerify() {
    }

    /** The candidate's tensors, each reshaped back to its recorded original shape where there is one. */
    public static List<TensorView> withOriginalShapes(ModelFile candidate) {
        if (!(candidate instanceof GgufModel g)) {
            return candidate.tensors();
        }
        Map<String, long[]> orig = origShapes(g);
        if (orig.isEmpty()) {
            return candidate.tensors();
        }
        List<TensorView> out = new ArrayList<>();
        for (TensorView t : candidate.tensors()) {
            long[] shape = orig.get(t.name());
            out.add(shape == null ? t : new TensorView(t.name(), shape, t.dtype(), t.data(), t.file(), t.fileOffset()));
        }
        return out;
    }

    /** The shapes recorded in a GGUF's {@code comfy.gguf.orig_shape.*} keys (empty for other files). */
    public static Map<String, long[]> origShapes(ModelFile candidate) {
        return candidate instanceof GgufModel g ? DiffusionPlanner.origShapes(g.ggufMetadata()) : Map.of();
    }

    /**
     * Which reference tensors a candidate is expected to hold. For a diffusion GGUF (its architecture one of
     * ComfyUI-GGUF's families) made from a checkpoint with a state-dict prefix, the tensors outside the prefix (a full
     * checkpoint's VAE and text encoders) and those convert.py ignores are out of scope; otherwise all of them.
     */
    public static Predicate<String> referenceScope(Collection<String> referenceNames, ModelFile candidate) {
        if (!(candidate instanceof GgufModel g)) {
            return name -> true;
        }
        var arch = g.ggufMetadata().get(GgufMetadata.ARCHITECTURE)
                .filter(v -> v.type() == GgufValueType.STRING)
                .flatMap(v -> DiffusionArch.fromGgufName(v.asString()));
        if (arch.isEmpty()) {
            return name -> true;
        }
        String prefix = ArchDetector.prefix(referenceNames);
        return name -> name.startsWith(prefix) && arch.get().keysIgnore().stream().noneMatch(name::contains);
    }

    /**
     * Maps a candidate tensor name to the reference's: itself when the reference has it, else with one of the
     * prefixes convert.py strips, else (T5 encoders) the original name ComfyUI-GGUF's loader gives it.
     */
    public static UnaryOperator<String> referenceNames(Collection<String> referenceNames) {
        Set<String> refs = Set.copyOf(referenceNames);
        String prefix = ArchDetector.prefix(refs);
        return name -> {
            if (refs.contains(name)) {
                return name;
            }
            if (!prefix.isEmpty() && refs.contains(prefix + name)) {
                return prefix + name;
            }
            String t5 = T5Names.toComfyOriginal(name);
            if (refs.contains(t5)) {
                return t5;
            }
            if (t5.equals("shared.weight") && refs.contains("encoder.embed_tokens.weight")) {
                return "encoder.embed_tokens.weight";
            }
            return name;
        };
    }
}
