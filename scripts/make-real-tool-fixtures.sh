#!/usr/bin/env bash
# Produces the folder that scripts/real-tool-check.sh loads with the real libraries on the GPU machine:
# checkpoints written by ./weightcast from tiny-llama-bf16 (the bundled sample's model in
# bfloat16), plus the reference input ids and logits (transformers' own forward pass on the f32 weights) and
# transformers' own FP8 checkpoint for comparison. About 27 MB.
#
#   scripts/make-real-tool-fixtures.sh target/real-tool      # then carry target/real-tool to the GPU machine
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: $0 OUT_DIR}"
configs="$root/testdata/fixtures/hf/tiny-llama-bf16" # its config files; the weights are the sample cast to bf16
sample="$root/testdata/sample/tiny-llama-f32"
wc="$root/weightcast"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "$out exists and is not empty; choose a new folder" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
recipes="$(mktemp -d)"
trap 'rm -rf "$recipes"' EXIT

# the source model (baseline for every comparison; what transformers' own tiny-llama-bf16 holds) and the reference
# forward pass
"$wc" convert "$sample" -o "$out/src-bf16/model.safetensors" --to safetensors --type BF16 -q
cp "$configs"/*.json "$out/src-bf16/"
chmod -R u+w "$out/src-bf16"
src="$out/src-bf16"
cp "$sample/reference_input_ids.npy" "$sample/reference_logits.npy" "$sample/reference_tokenization.json" "$out/"
cp -r "$root/testdata/fixtures/hf/tiny-llama-fp8" "$out/transformers-fp8"
chmod -R u+w "$out/transformers-fp8"

echo '{"quant_backend": "fp8", "quant_kwargs": {"weight_block_size": [128, 128]}}' > "$recipes/fp8.json"
echo '{"quant_backend": "bitsandbytes_4bit", "quant_kwargs": {"load_in_4bit": true, "bnb_4bit_quant_type": "nf4",
  "bnb_4bit_use_double_quant": true, "bnb_4bit_compute_dtype": "bfloat16"}}' > "$recipes/nf4.json"
echo '{"quant_backend": "compressed-tensors", "quant_kwargs": {"scheme": "W4A16", "ignore": ["lm_head"]}}' \
  > "$recipes/ct.json"

"$wc" convert "$src" -o "$out/fp8" --recipe "$recipes/fp8.json" -q
"$wc" convert "$src" -o "$out/bnb-nf4" --recipe "$recipes/nf4.json" -q
"$wc" convert "$src" -o "$out/ct-w4a16" --recipe "$recipes/ct.json" -q

# dequantized checkpoints: a folder with config.json (no quantization_config) + model.safetensors
dequant() { # IN DTYPE OUT TORCH_DTYPE
  mkdir -p "$3"
  "$wc" dequantize "$1" -o "$3/model.safetensors" --dtype "$2" -q
  sed -e "s/\"dtype\": \"bfloat16\"/\"dtype\": \"$4\"/" "$src/config.json" > "$3/config.json"
  cp "$src/generation_config.json" "$3/"
}
dequant "$out/fp8" f32 "$out/dequant-f32-from-fp8" float32
dequant "$out/bnb-nf4" bf16 "$out/dequant-bf16-from-nf4" bfloat16

# GGUF Q8_0 (transformers reads it with gguf_file=, which needs the gguf package), from the float32 sample of the
# same model because it ships tokenizer.json (the GGUF then carries the vocabulary)
mkdir -p "$out/gguf-q8_0"
"$wc" convert "$sample" -o "$out/gguf-q8_0/model-q8_0.gguf" --type Q8_0 -q

"$wc" inspect "$out/fp8" > "$out/fp8.inspect.txt"
"$wc" inspect "$out/bnb-nf4" > "$out/bnb-nf4.inspect.txt"
"$wc" inspect "$out/ct-w4a16" > "$out/ct-w4a16.inspect.txt"
cp "$root/scripts/real-tool-check.py" "$root/scripts/real-tool-check.sh" "$out/"
du -sh "$out"
