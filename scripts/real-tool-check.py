#!/usr/bin/env python3
"""Loads checkpoints that weightcast wrote with the real libraries and compares their logits.

Input: the folder made by scripts/make-real-tool-fixtures.sh (run on a machine with a JDK):

  src-bf16/                 the source model (tiny Llama in bfloat16): the baseline
  transformers-fp8/         the same model quantized and saved by transformers 5.17 itself (FineGrainedFP8Config)
  fp8/                      weightcast: quant_method "fp8" (128x128 blocks, weight_scale_inv)
  bnb-nf4/                  weightcast: bitsandbytes NF4, double quant, compute dtype bf16
  ct-w4a16/                 weightcast: compressed-tensors pack-quantized int4 group 128
  dequant-f32-from-fp8/     weightcast dequantize of fp8/ to float32
  dequant-bf16-from-nf4/    weightcast dequantize of bnb-nf4/ to bfloat16
  gguf-q8_0/model-q8_0.gguf weightcast GGUF Q8_0
  reference_input_ids.npy, reference_logits.npy   transformers' forward pass on the float32 weights

For each checkpoint: AutoModelForCausalLM.from_pretrained (nothing but the folder, as a user would), one forward
pass on the reference ids, logits compared with the baseline (src-bf16 run the same way) and with
reference_logits.npy. Checks whose library is not installed (bitsandbytes, compressed-tensors, gguf) are
skipped and say which package is missing. Also measures torch's absmax.mean() (bnb's double-quant offset) on CPU
and CUDA against the offset weightcast stored.

Writes summary.json and summary.md to --out (default $OUT). Exit status 0 when nothing failed (skips are not
failures), 1 otherwise.
"""
import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np

# Bounds for the verdicts: relative RMSE of the logits against the baseline. The tiny model has random weights,
# so quantization noise is large relative to real models; the bounds catch layout errors (which give
# rel RMSE near or above 1), not small accuracy differences.
BOUNDS = {
    "src-bf16": 0.05,                # vs reference_logits (float32 weights; bf16 rounding only)
    "transformers-fp8": 0.35,
    "fp8": 0.35,
    "fp8 (dequantize=True)": 0.35,
    "transformers-fp8 (dequantize=True)": 0.35,
    "dequant-f32-from-fp8": 0.35,
    "dequant-bf16-from-nf4": 0.6,
    "bnb-nf4": 0.6,
    "ct-w4a16": 0.6,
    "gguf-q8_0": 0.05,
}


def have(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def metrics(got, ref):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        return {"shape": list(got.shape), "ref_shape": list(ref.shape), "comparable": False}
    d = got - ref
    ref_rms = math.sqrt(float(np.mean(ref * ref))) or 1.0
    cos = float(np.sum(got * ref) / (np.linalg.norm(got) * np.linalg.norm(ref) or 1.0))
    return {
        "comparable": True,
        "finite": bool(np.isfinite(got).all()),
        "rel_rmse": math.sqrt(float(np.mean(d * d))) / ref_rms,
        "max_abs": float(np.max(np.abs(d))),
        "cosine": cos,
        "top1_agreement": float(np.mean(np.argmax(got, -1) == np.argmax(ref, -1))),
    }


class Checker:
    def __init__(self, folder, out):
        self.dir = Path(folder)
        self.out = Path(out)
        self.results = []
        import torch
        self.torch = torch
        self.cuda = torch.cuda.is_available()
        self.ids = np.load(self.dir / "reference_input_ids.npy")
        ref = np.load(self.dir / "reference_logits.npy")
        self.reference = ref.reshape(ref.shape[-2], ref.shape[-1])
        self.baseline = None
        self.logits = {}

    def record(self, name, status, **kw):
        r = {"check": name, "status": status}
        r.update(kw)
        self.results.append(r)
        extra = kw.get("reason") or kw.get("error") or ""
        m = kw.get("vs_baseline") or kw.get("vs_reference") or {}
        print(f"[{status:8s}] {name}: {extra}" + (f" rel_rmse={m.get('rel_rmse'):.3g} cos={m.get('cosine'):.6f}"
                                                   if m.get("comparable") else ""), flush=True)

    def forward(self, model, device):
        torch = self.torch
        model.eval()
        with torch.no_grad():
            ids = torch.tensor(self.ids, dtype=torch.long, device=device)
            if ids.dim() == 1:
                ids = ids[None, :]
            logits = model(ids).logits
        return logits.float().cpu().numpy().reshape(self.reference.shape)

    def load_and_run(self, name, path, need=None, device=None, **kwargs):
        """from_pretrained + forward; records the result and returns the logits (or None)."""
        if need and not have(need):
            self.record(name, "skipped", reason=f"python package '{need}' is not installed")
            return None
        if not path.exists():
            self.record(name, "skipped", reason=f"{path} is missing")
            return None
        device = device or ("cuda" if self.cuda else "cpu")
        from transformers import AutoModelForCausalLM
        t0 = time.time()
        try:
            model = AutoModelForCausalLM.from_pretrained(str(path), device_map=device, **kwargs)
            logits = self.forward(model, device)
            qc = getattr(model.config, "quantization_config", None)
            qtype = type(qc).__name__ if qc is not None else None
            dtypes = sorted({str(p.dtype) for p in model.parameters()})
            del model
        except ImportError as e:
            # A package transformers needs for this load path is missing on the machine (nothing can be installed
            # there): an environment limit, not a finding about the file. transformers' own checkpoint in the same
            # layout hits the same skip, which the summary shows side by side.
            self.record(name, "skipped", reason=f"environment: {e}", seconds=round(time.time() - t0, 2))
            return None
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            self.record(name, "error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc(limit=8),
                        seconds=round(time.time() - t0, 2))
            return None
        self.logits[name] = logits
        vs_ref = metrics(logits, self.reference)
        vs_base = metrics(logits, self.baseline) if self.baseline is not None else None
        bound = BOUNDS.get(name)
        m = vs_base if vs_base is not None else vs_ref
        ok = m["comparable"] and m["finite"] and (bound is None or m["rel_rmse"] <= bound)
        self.record(name, "ok" if ok else "mismatch", device=device, quantization_config=qtype,
                    parameter_dtypes=dtypes, bound_rel_rmse=bound, vs_baseline=vs_base, vs_reference=vs_ref,
                    seconds=round(time.time() - t0, 2))
        return logits

    def fp8_dequantize_kwargs(self):
        from transformers import FineGrainedFP8Config
        return {"quantization_config": FineGrainedFP8Config(dequantize=True)}

    def run(self):
        torch = self.torch
        d = self.dir
        # baseline: the unquantized source, computed in float32 the same way as every other check
        base = self.load_and_run("src-bf16", d / "src-bf16", dtype=torch.float32)
        if base is not None:
            self.baseline = base
            self.results[-1]["vs_baseline"] = None  # it is the baseline; its verdict is against the reference
            m = self.results[-1]["vs_reference"]
            self.results[-1]["status"] = "ok" if m["rel_rmse"] <= BOUNDS["src-bf16"] else "mismatch"

        # FP8: transformers' own checkpoint and ours, as saved (GPU fp8 kernels) and dequantized on load
        self.load_and_run("transformers-fp8", d / "transformers-fp8")
        self.load_and_run("fp8", d / "fp8")
        for n in ("transformers-fp8", "fp8"):
            try:
                kw = self.fp8_dequantize_kwargs()
            except Exception as e:  # noqa: BLE001
                self.record(f"{n} (dequantize=True)", "error", error=f"FineGrainedFP8Config(dequantize=True): {e}")
                continue
            self.load_and_run(f"{n} (dequantize=True)", d / n, dtype=torch.float32, **kw)
        self.same_logits("fp8", "transformers-fp8")
        self.same_logits("fp8 (dequantize=True)", "transformers-fp8 (dequantize=True)")
        self.same_tensors(d / "fp8", d / "transformers-fp8", suffixes=(".weight", ".weight_scale_inv"))

        # dequantized checkpoints: plain float models
        self.load_and_run("dequant-f32-from-fp8", d / "dequant-f32-from-fp8", dtype=torch.float32)
        self.compare("dequant-f32-from-fp8", "fp8 (dequantize=True)", bound=1e-3)
        self.load_and_run("dequant-bf16-from-nf4", d / "dequant-bf16-from-nf4", dtype=torch.float32)

        # libraries that may be missing on the machine
        if not self.cuda and have("bitsandbytes"):
            self.record("bnb-nf4", "skipped", reason="bitsandbytes 4-bit needs a GPU here")
        else:
            self.load_and_run("bnb-nf4", d / "bnb-nf4", need="bitsandbytes")
        self.compare("dequant-bf16-from-nf4", "bnb-nf4", bound=0.05)
        self.load_and_run("ct-w4a16", d / "ct-w4a16", need="compressed_tensors")
        self.load_and_run("gguf-q8_0", d / "gguf-q8_0", need="gguf", gguf_file="model-q8_0.gguf",
                          dtype=torch.float32)

        self.bnb_offset(d / "bnb-nf4", d / "src-bf16")

    def same_logits(self, a, b):
        name = f"logits identical: {a} == {b}"
        if a not in self.logits or b not in self.logits:
            self.record(name, "skipped", reason="one of them did not run")
            return
        m = metrics(self.logits[a], self.logits[b])
        self.record(name, "ok" if m["max_abs"] == 0.0 else "mismatch", vs_baseline=m)

    def compare(self, a, b, bound):
        name = f"logits close: {a} ~ {b}"
        if a not in self.logits or b not in self.logits:
            self.record(name, "skipped", reason="one of them did not run")
            return
        m = metrics(self.logits[a], self.logits[b])
        self.record(name, "ok" if m["rel_rmse"] <= bound else "mismatch", bound_rel_rmse=bound, vs_baseline=m)

    def same_tensors(self, ours, theirs, suffixes):
        name = f"bytes identical: {ours.name} vs {theirs.name} ({', '.join(suffixes)})"
        try:
            from safetensors.torch import load_file
            a = load_file(str(ours / "model.safetensors"))
            b = load_file(str(theirs / "model.safetensors"))
            keys = sorted(k for k in b if k.endswith(suffixes))
            differ = [k for k in keys if k not in a or a[k].dtype != b[k].dtype or a[k].shape != b[k].shape
                      or not self.torch.equal(a[k].view(self.torch.uint8), b[k].view(self.torch.uint8))]
            cfg_a = json.loads((ours / "config.json").read_text()).get("quantization_config")
            cfg_b = json.loads((theirs / "config.json").read_text()).get("quantization_config")
            status = "ok" if not differ and cfg_a == cfg_b else "mismatch"
            self.record(name, status, tensors=len(keys), differing=differ[:20],
                        quantization_config_equal=cfg_a == cfg_b, ours_config=cfg_a, theirs_config=cfg_b)
        except Exception as e:  # noqa: BLE001
            self.record(name, "error", error=f"{type(e).__name__}: {e}")

    def bnb_offset(self, nf4, src):
        """bnb's nested_offset = absmax.mean() in float32 (torch CPU and CUDA) vs the offset weightcast stored."""
        name = "bnb double-quant offset: torch absmax.mean() vs stored nested_offset"
        torch = self.torch
        try:
            from safetensors import safe_open
            rows = []
            with safe_open(str(nf4 / "model.safetensors"), "pt") as q, \
                    safe_open(str(src / "model.safetensors"), "pt") as s:
                for key in q.keys():
                    if ".quant_state.bitsandbytes__" not in key:
                        continue
                    state = json.loads(bytes(q.get_tensor(key).tolist()).decode("utf-8"))
                    w = key.split(".quant_state.")[0]
                    bs = int(state["blocksize"])
                    x = s.get_tensor(w).float().flatten()
                    pad = (-x.numel()) % bs
                    if pad:
                        x = torch.cat([x, x.new_zeros(pad)])
                    absmax = x.reshape(-1, bs).abs().amax(1).contiguous()
                    stored = np.float32(state["nested_offset"])
                    cpu = np.float32(absmax.mean().item())
                    f64 = np.float32(absmax.double().mean().item())
                    row = {"weight": w, "blocks": absmax.numel(), "stored": float(stored), "torch_cpu": float(cpu),
                           "float64_rounded": float(f64),
                           "ulps_stored_vs_cpu": ulps(stored, cpu), "ulps_stored_vs_f64": ulps(stored, f64)}
                    if self.cuda:
                        gpu = np.float32(absmax.cuda().mean().item())
                        row["torch_cuda"] = float(gpu)
                        row["ulps_stored_vs_cuda"] = ulps(stored, gpu)
                        row["ulps_cpu_vs_cuda"] = ulps(cpu, gpu)
                    rows.append(row)
            worst = max((abs(r["ulps_stored_vs_cpu"]) for r in rows), default=0)
            self.record(name, "ok" if rows else "skipped", weights=len(rows), max_ulps_vs_cpu=worst,
                        max_ulps_vs_cuda=max((abs(r.get("ulps_stored_vs_cuda", 0)) for r in rows), default=0),
                        max_ulps_vs_f64=max((abs(r["ulps_stored_vs_f64"]) for r in rows), default=0),
                        rows=rows, reason="" if rows else "no quant_state found")
        except Exception as e:  # noqa: BLE001
            self.record(name, "error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc(limit=8))


def ulps(a, b):
    ia = int(np.array(a, dtype=np.float32).view(np.int32))
    ib = int(np.array(b, dtype=np.float32).view(np.int32))
    return ia - ib


def environment():
    env = {"python": sys.version.split()[0], "platform": platform.platform()}
    for mod in ("torch", "transformers", "safetensors", "accelerate", "bitsandbytes", "compressed_tensors", "gguf",
                "numpy"):
        if have(mod):
            try:
                env[mod] = getattr(__import__(mod), "__version__", "installed")
            except Exception as e:  # noqa: BLE001
                env[mod] = f"import failed: {e}"
        else:
            env[mod] = None
    try:
        import torch
        env["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        env["cuda"] = None
    return env


def markdown(env, results):
    lines = ["# weightcast real-tool check", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v if v is not None else ('no GPU' if k == 'cuda' else '**not installed**')} |"
              for k, v in env.items()]
    lines += ["", "| check | status | rel RMSE vs baseline | cosine | top-1 | vs reference_logits | note |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        b = r.get("vs_baseline") or {}
        ref = r.get("vs_reference") or {}
        f = (lambda m, k, fmt: format(m[k], fmt) if m.get("comparable") and k in m else "")
        note = r.get("reason") or r.get("error") or ""
        if "max_ulps_vs_cpu" in r:
            note = (f"{r['weights']} weights; max ulps stored vs torch CPU {r['max_ulps_vs_cpu']}, vs CUDA "
                    f"{r['max_ulps_vs_cuda']}, vs float64 mean {r['max_ulps_vs_f64']}")
        if "differing" in r:
            note = f"{r['tensors']} tensors, {len(r['differing'])} differ; config equal: {r['quantization_config_equal']}"
        lines.append(f"| {r['check']} | {r['status']} | {f(b, 'rel_rmse', '.4g')} | {f(b, 'cosine', '.6f')} | "
                     f"{f(b, 'top1_agreement', '.3f')} | {f(ref, 'rel_rmse', '.4g')} | "
                     f"{str(note).replace('|', '/').splitlines()[0] if note else ''} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=".", help="the folder made by make-real-tool-fixtures.sh")
    ap.add_argument("--out", default=os.environ.get("OUT", "real-tool-out"), help="where to write the summary")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    print(json.dumps(env, indent=1), flush=True)
    if env["torch"] is None or env["transformers"] is None:
        results = [{"check": "environment", "status": "error", "error": "torch and transformers are required"}]
    else:
        c = Checker(args.dir, out)
        try:
            c.run()
        except Exception as e:  # noqa: BLE001
            c.record("runner", "error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
        results = c.results
    (out / "summary.json").write_text(json.dumps({"environment": env, "results": results}, indent=1, default=str))
    (out / "summary.md").write_text(markdown(env, results))
    print(markdown(env, results))
    failed = [r["check"] for r in results if r["status"] in ("error", "mismatch")]
    print(f"{len(results)} checks, {len(failed)} failed: {failed}" if failed else f"{len(results)} checks, none failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
