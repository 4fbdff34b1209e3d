package io.weightcast.core.plan.llama;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufValue;
import java.util.Optional;

/**
 * The hyper-parameters llama-quantize's type rules read from a model's metadata: architecture, layer count
 * ({@code <arch>.block_count}), heads and KV heads (their ratio is {@code n_gqa}), experts, and whether llama.cpp
 * would classify the model as a LLaMA 70B (80 layers with grouped-query attention), which bumps attn_v.
 */
public record ModelHparams(String arch, int nLayer, int nHead, int nHeadKv, int nExpert) {

    /** Reads the keys from GGUF metadata; missing counts read as 0 (heads) or 1 (KV heads = heads). */
    public static ModelHparams from(GgufMetadata kv) {
        String arch = kv.getString(GgufMetadata.ARCHITECTURE).orElse("");
        int nLayer = (int) firstInt(kv, arch + ".block_count").orElse(0L).longValue();
        int nHead = (int) firstInt(kv, arch + ".attention.head_count").orElse(0L).longValue();
        int nHeadKv = (int) firstInt(kv, arch + ".attention.head_count_kv").orElse((long) nHead).longValue();
        int nExpert = (int) firstInt(kv, arch + ".expert_count").orElse(0L).longValue();
        return new ModelHparams(arch, nLayer, nHead, nHeadKv, nExpert);
    }

    /** A scalar integer, or the first element of a per-layer integer array (as llama.cpp's layer 0). */
    private static Optional<Long> firstInt(GgufMetadata kv, String key) {
        Optional<GgufValue> v = kv.get(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.get().isArray()) {
            long[] a = kv.getLongArray(key).orElse(new long[0]);
            return a.length == 0 ? Optional.empty() : Optional.of(a[0]);
        }
        return Optional.of(v.get().asLong());
    }

    /** {@code hparams.n_gqa()}: heads per KV head (0 when there are no KV heads). */
    public int nGqa() {
        return nHeadKv == 0 ? 0 : nHead / nHeadKv;
    }

    /** llama.cpp's {@code LLM_TYPE_70B}: a llama with 80 layers and fewer KV heads than heads. */
    public boolean isLlama70B() {
        return arch.equals("llama") && nLayer == 80 && nHead != nHeadKv;
    }

    public boolean isFalcon() {
        return arch.equals("falcon");
    }
}
