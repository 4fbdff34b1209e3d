package io.weightcast.core.plan;

/**
 * How a tensor's values change between source and target besides the type: a row reordering along the first
 * (PyTorch-order outermost) dimension, and a constant added to every value. Both apply while the source is read,
 * chunk by chunk, so a transformed tensor streams like any other.
 *
 * <p>The row reordering is llama.cpp's rotary permutation ({@code LlamaModel.permute} in convert_hf_to_gguf):
 * Hugging Face stores the query/key rows of each head in "rotate half" order, llama.cpp's LLAMA graph expects
 * interleaved pairs. With {@code hd = rows / heads}, target row {@code h·hd + 2i + j} is source row
 * {@code h·hd + j·hd/2 + i}. The addend is Gemma's {@code +1} on norm weights (Gemma's RMSNorm multiplies by
 * {@code 1 + w}).
 *
 * @param rotaryHeads heads of the rotary permutation; 0 for none
 * @param addend      added to every value (0 for none)
 */
public record SourceTransform(int rotaryHeads, float addend) {
    public static final SourceTransform NONE = new SourceTransform(0, 0f);

    public SourceTransform {
        if (rotaryHeads < 0) {
            throw new IllegalArgumentException("rotaryHeads must be >= 0, got " + rotaryHeads);
        }
    }

    public static SourceTransform rotary(int heads) {
        return new SourceTransform(heads, 0f);
    }

    public static SourceTransform add(float addend) {
        return new SourceTransform(0, addend);
    }

    public boolean isIdentity() {
        return rotaryHeads == 0 && addend == 0f;
    }

    /** The source row that target row {@code row} of {@code rows} comes from. */
    public long sourceRow(long row, long rows) {
        if (rotaryHeads == 0) {
            return row;
        }
        long hd = rows / rotaryHeads;
        long h = row / hd;
        long r = row % hd;
        return h * hd + (r & 1) * (hd / 2) + (r >> 1);
    }

    /** Checks that a tensor with {@code rows} outer rows can be permuted (whole heads of even size). */
    public void requireApplicable(String tensor, long rows) {
        if (rotaryHeads != 0 && (rows % rotaryHeads != 0 || (rows / rotaryHeads) % 2 != 0)) {
            throw new IllegalArgumentException("tensor '" + tensor + "': " + rows + " rows cannot be split into "
                    + rotaryHeads + " heads of even size for the rotary permutation; check num_attention_heads / "
                    + "num_key_value_heads in config.json");
        }
    }

    @Override
    public String toString() {
        if (isIdentity()) {
            return "none";
        }
        String s = rotaryHeads != 0 ? "rotary permutation (" + rotaryHeads + " heads)" : "";
        if (addend != 0f) {
            s += (s.isEmpty() ? "" : ", ") + "+" + addend;
        }
        return s;
    }
}
