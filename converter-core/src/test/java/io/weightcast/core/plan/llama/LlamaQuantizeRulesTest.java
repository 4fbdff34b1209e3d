package io.weightcast.core.plan.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weightcast.formats.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LlamaQuantizeRulesTest {

    /** A llama with the given layers, in llama-quantize's order, F16 weights. */
    static List<QuantTensor> llama(int nLayer, int nEmbd, int kv, int nFf, boolean tied) {
        List<QuantTensor> t = new ArrayList<>();
        t.add(new QuantTensor("token_embd.weight", new long[] {nEmbd, 32000}, DType.F16));
        t.add(new QuantTensor("output_norm.weight", new long[] {nEmbd}, DType.F32));
        if (!tied) {
            t.add(new QuantTensor("output.weight", new long[] {nEmbd, 32000}, DType.F16));
        }
        for (int l = 0; l < nLayer; l++) {
            String p = "blk." + l + ".";
            t.add(new QuantTensor(p + "attn_k.weight", new long[] {nEmbd, kv}, DType.F16));
            t.add(new QuantTensor(p + "attn_norm.weight", new long[] {nEmbd}, DType.F32));
            t.add(new QuantTensor(p + "attn_output.weight", new long[] {nEmbd, nEmbd}, DType.F16));
            t.add(new QuantTensor(p + "attn_q.weight", new long[] {nEmbd, nEmbd}, DType.F16));
            t.add(new QuantTensor(p + "attn_v.weight", new long[] {nEmbd, kv}, DType.F16));
            t.add(new QuantTensor(p + "ffn_down.weight", new long[] {nFf, nEmbd}, DType.F16));
            t.add(new QuantTensor(p + "ffn_gate.weight", new long[] {nEmbd, nFf}, DType.F16));
            t.add(new QuantTensor(p + "ffn_norm.weight", new long[] {nEmbd}, DType.F32));
            t.add(new QuantTensor(p + "ffn_up.weight", new long[] {nEmbd, nFf}, DType.F16));
        }
        return t;
    }

    static Map<String, DType> select(List<QuantTensor> t, ModelHparams hp, QuantizeOptions o) {
        Map<String, DType> m = new TreeMap<>();
        LlamaQuantizeRules.select(t, hp, o, false).forEach(d -> m.put(d.tensor().name(), d.target()));
        return m;
    }

    @Test
    void q4KMOn32LayersGivesQ6KToUseMoreBitsLayers() {
        ModelHparams hp = new ModelHparams("llama", 32, 32, 8, 0);
        var m = select(llama(32, 4096, 1024, 14336, false), hp, QuantizeOptions.of(LlamaFtype.Q4_K_M));
        List<Integer> more = List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
        for (int l = 0; l < 32; l++) {
            DType want = more.contains(l) ? DType.Q6_K : DType.Q4_K;
            assertEquals(want, m.get("blk." + l + ".ffn_down.weight"), "ffn_down " + l);
            assertEquals(want, m.get("blk." + l + ".attn_v.weight"), "attn_v " + l);
            assertEquals(DType.Q4_K, m.get("blk." + l + ".attn_q.weight"));
            assertEquals(DType.F32, m.get("blk." + l + ".ffn_norm.weight"));
        }
        assertEquals(DType.Q6_K, m.get("output.weight"));
        assertEquals(DType.Q4_K, m.get("token_embd.weight"));
    }

    @Test
    void tiedEmbeddingsAreTreatedAsTheOutput() {
        ModelHparams hp = new ModelHparams("llama", 4, 32, 8, 0);
        var m = select(llama(4, 4096, 1024, 14336, true), hp, QuantizeOptions.of(LlamaFtype.Q4_K_M));
        assertEquals(DType.Q6_K, m.get("token_embd.weight"));
        var q8 = select(llama(4, 4096, 1024, 14336, true), hp, QuantizeOptions.of(LlamaFtype.Q8_0));
        assertEquals(DType.Q8_0, q8.get("token_embd.weight"));
    }

    @Test
    void q2KAttnVDependsOnGqaAnd70BBumpsAttnV() {
        var o = QuantizeOptions.of(LlamaFtype.Q2_K);
        assertEquals(DType.Q4_K, select(llama(4, 4096, 1024, 14336, false), new ModelHparams("llama", 4, 32, 8, 0), o)
                .get("blk.0.attn_v.weight"));
        var m = select(llama(4, 4096, 4096, 14336, false), new ModelHparams("llama", 4, 32, 32, 0), o);
        assertEquals(DType.Q3_K, m.get("blk.0.attn_v.weight"));
        assertEquals(DType.Q3_K, m.get("blk.0.ffn_down.weight"));
        assertEquals(DType.Q3_K, m.get("blk.0.attn_output.weight"));
        assertEquals(DType.Q2_K, m.get("blk.0.attn_q.weight"));
        var big = select(llama(80, 8192, 1024, 28672, false), new ModelHparams("llama", 80, 64, 8, 0),
                QuantizeOptions.of(LlamaFtype.Q3_K_S));
        assertEquals(DType.Q5_K, big.get("blk.40.attn_v.weight"));
    }

    @Test
    void overridesPureAndLeaveOutput() {
        ModelHparams hp = new ModelHparams("llama", 4, 32, 8, 0);
        var o = QuantizeOptions.of(LlamaFtype.Q4_K_M).withTensorTypes(List.of(TensorTypeOverride.parse("attn_v=q8_0"),
                TensorTypeOverride.parse("ATTN=q5_0"))).withOutputTensorType(DType.Q8_0)
                .withTokenEmbeddingType(DType.Q6_K);
        var m = select(llama(4, 4096, 1024, 14336, false), hp, o);
        assertEquals(DType.Q8_0, m.get("blk.3.attn_v.weight"), "first match wins");
        assertEquals(DType.Q5_0, m.get("blk.3.attn_q.weight"), "pattern lower-cased");
        assertEquals(DType.Q8_0, m.get("output.weight"));
        assertEquals(DType.Q6_K, m.get("token_embd.weight"));
        var pure = select(llama(4, 4096, 1024, 14336, false), hp, QuantizeOptions.of(LlamaFtype.Q4_K_M).withPure(true));
        assertEquals(DType.Q4_K, pure.get("blk.0.ffn_down.weight"));
        assertEquals(DType.Q4_K, pure.get("output.weight"));
        var leave = select(llama(4, 4096, 1024, 14336, false), hp,
                QuantizeOptions.of(LlamaFtype.Q4_K_M).withLeaveOutputTensor(true));
        assertEquals(DType.F16, leave.get("output.weight"));
    }

    @Test
    void fallbacks() {
        assertEquals(DType.Q5_0, LlamaQuantizeRules.fallback(4096 + 32, DType.Q4_K));
        assertEquals(DType.Q5_1, LlamaQuantizeRules.fallback(96, DType.Q5_K));
        assertEquals(DType.Q8_0, LlamaQuantizeRules.fallback(96, DType.Q6_K));
        assertEquals(DType.Q4_0, LlamaQuantizeRules.fallback(96, DType.Q2_K));
        assertEquals(DType.Q4_0, LlamaQuantizeRules.fallback(96, DType.Q3_K));
        assertEquals(DType.IQ4_NL, LlamaQuantizeRules.fallback(96, DType.IQ4_XS));
        assertEquals(DType.F16, LlamaQuantizeRules.fallback(688, DType.Q4_K));
        assertEquals(DType.F16, LlamaQuantizeRules.fallback(688, DType.Q8_0));
        assertEquals(DType.Q4_K, LlamaQuantizeRules.fallback(512, DType.Q4_K));
        assertThrows(IllegalArgumentException.class, () -> LlamaQuantizeRules.fallback(48, DType.NVFP4));
    }

    @Test
    void whichTensorsAreQuantized() {
        var o = QuantizeOptions.of(LlamaFtype.Q8_0);
        assertFalse(LlamaQuantizeRules.allowsQuantization(new QuantTensor("blk.0.attn_norm.weight",
                new long[] {4096}, DType.F32), o));
        assertFalse(LlamaQuantizeRules.allowsQuantization(new QuantTensor("blk.0.ffn_gate_inp.weight",
                new long[] {4096, 8}, DType.F32), o));
        assertFalse(LlamaQuantizeRules.allowsQuantization(new QuantTensor("blk.0.attn_q.bias",
                new long[] {4096, 2}, DType.F32), o));
        assertFalse(LlamaQuantizeRules.allowsQuantization(new QuantTensor("x.weight", new long[] {4096, 1},
                DType.F32), o), "n_dims counts trailing ones out");
        assertTrue(LlamaQuantizeRules.allowsQuantization(new QuantTensor("blk.0.ffn_down_exps.weight",
                new long[] {1024, 4096, 8}, DType.F16), o));
        assertTrue(LlamaQuantizeRules.requiresImatrix("blk.0.ffn_up.weight", DType.Q2_K, LlamaFtype.Q2_K_S));
        assertFalse(LlamaQuantizeRules.requiresImatrix("blk.0.ffn_up.weight", DType.Q2_K, LlamaFtype.Q2_K));
        assertFalse(LlamaQuantizeRules.requiresImatrix("output.weight", DType.IQ2_XXS, LlamaFtype.IQ2_XXS));
    }

    @Test
    void moeUsesLayerFromNameAndMxfp4() {
        ModelHparams hp = new ModelHparams("llama", 8, 32, 8, 8);
        var t = List.of(new QuantTensor("blk.7.ffn_down_exps.weight", new long[] {1024, 4096, 8}, DType.F16),
                new QuantTensor("blk.7.attn_v.weight", new long[] {4096, 1024}, DType.F16),
                new QuantTensor("blk.0.ffn_down_exps.weight", new long[] {1024, 4096, 8}, DType.F16));
        var m = select(t, hp, QuantizeOptions.of(LlamaFtype.Q4_K_M));
        assertEquals(DType.Q6_K, m.get("blk.7.ffn_down_exps.weight"));
        assertEquals(DType.Q8_0, m.get("blk.7.attn_v.weight"), "8 experts: attn_v Q8_0");
        var mx = select(t, hp, QuantizeOptions.of(LlamaFtype.MXFP4_MOE));
        assertEquals(DType.MXFP4, mx.get("blk.0.ffn_down_exps.weight"));
        assertEquals(DType.Q8_0, mx.get("blk.7.attn_v.weight"));
    }

    @Test
    void weightOrderIsByLayerThenBytes() {
        List<String> names = new ArrayList<>(List.of("blk.10.attn_q.weight", "output.weight", "blk.9.ffn_up.weight",
                "blk.9.attn_k.weight", "token_embd.weight", "blk.2.x"));
        names.sort(LlamaQuantizeRules.WEIGHT_ORDER);
        assertEquals(List.of("output.weight", "token_embd.weight", "blk.2.x", "blk.9.attn_k.weight",
                "blk.9.ffn_up.weight", "blk.10.attn_q.weight"), names);
    }

    @Test
    void ftypeParsing() {
        assertEquals(LlamaFtype.Q4_K_M, LlamaFtype.parse("q4_k").orElseThrow());
        assertEquals(LlamaFtype.Q5_K_S, LlamaFtype.parse("16").orElseThrow());
        assertEquals(15, LlamaFtype.Q4_K_M.id());
        assertEquals(38, LlamaFtype.MXFP4_MOE.id());
        assertTrue(LlamaFtype.parse("Q4_K_X").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> TensorTypeOverride.parse("attn_v"));
        assertThrows(IllegalArgumentException.class, () -> TensorTypeOverride.parse("attn_v=q9_9"));
    }

    @Test
    void kvOverrides() {
        assertEquals(io.weightcast.formats.gguf.GgufValue.uint32(5), KvOverride.parse("a.b=int:-5").value());
        assertEquals(io.weightcast.formats.gguf.GgufValue.bool(false), KvOverride.parse("a=bool:false").value());
        assertEquals(io.weightcast.formats.gguf.GgufValue.string("x:y"), KvOverride.parse("a=str:x:y").value());
        assertThrows(IllegalArgumentException.class, () -> KvOverride.parse("a=long:1"));
    }
}
