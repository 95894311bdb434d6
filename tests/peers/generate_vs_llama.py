#!/usr/bin/env python3
"""peers.generate_logits_vs_llama: example_generate's logits (the CPU reference interpreter)
against llama.cpp's on the same token ids.

For each tiny model (seed 1, see MODELS) a fixed prompt of 68 tokens is tokenized with
`example_generate --tokenize-file`; `example_generate --dump-logits -n 1 --temp 0` writes the
logits of every prompt position (qvk's KV cache is f16), and `llama_peer logits --tokens IDS`
writes llama.cpp's for the same ids (one batch, flash attention off) twice: with an f32 KV cache
(the peer's default, "llama32") and with an f16 one ("llama16"). Figures over the positions:

  NMSE(pos)  = sum_v (ours - llama)^2 / sum_v llama^2 over the vocab row (max and mean)
  top-1      = fraction of positions whose argmax agrees (ties to the lowest id on both sides)
  max |diff| = largest absolute logit difference
  floor      = the same figures for llama16 against llama32: how far llama.cpp moves when only
               its KV cache type changes, i.e. the noise level of the comparison

Why a floor (measured 2026-11-22 on the tiny and 0.6b presets): with quantized weights both
programs quantize every matmul input to 8 bits per block (Q8_0 blocks of 32 for Q8_0/Q4_0 weights,
Q8_K blocks of 256 for K-quants). Requantizing amplifies differences: a perturbation of NMSE p
flips codes with an error of NMSE ~ (step/sigma) * sqrt(p) (numpy, Gaussian blocks: p = 6e-8, an
f16 rounding, gives 4e-6 after one quantizer), so any difference at all (f16 vs f32 KV, exp ulps,
summation order) grows layer by layer up to the activation-quantization noise itself: NMSE
3e-4..2e-3 on these random-weight models, and llama.cpp misses the issue's 5e-4 against itself
when only its KV cache type changes. Hence:

  float weights (f16): no activation quantization (llama.cpp only rounds activations to f16);
      assert NMSE <= 1e-5 at every position (measured ~1e-6) and top-1 >= 99% (the issue's
      targets are 5e-4 and 99%; this is tighter).
  quantized weights: assert NMSE(qvk, llama32) <= 2 x floor (max and mean), and that every top-1
      disagreement is at a position where llama.cpp's top-1/top-2 margin is inside its own noise
      band (the floor's max |diff|). Same arithmetic is checked where it is observable:
      at position 0 (no attention mixing) with both KV caches f16, a K-quant-only tiny model
      gives the same activation codes as llama.cpp, NMSE <= 1e-8 (measured ~2e-14; at least one
      of the K-quant models must, see judge_position0). Mixes with Q8_0/Q4_0 weights are exempt:
      llama.cpp stores the Q8_0 activation scale as f16, qvk as f32.
The issue's targets (5e-4, 99%) are printed for every model.

usage: generate_vs_llama.py MAKE_MODEL GENERATE LLAMA_PEER WORKDIR [--preset P]
                            [--models arch:--tied:quant,...] [--threads N] [--keep]
The extra options are for manual runs (e.g. --preset 0.6b); ctest runs the defaults.
"""
import argparse
import json
import sys
from pathlib import Path

from peer_run import Failure, main, run

N_VOCAB = 151936
ISSUE_NMSE, ISSUE_TOP1 = 5e-4, 0.99
FLOAT_NMSE = 1e-5  # float-weight models: no activation quantization anywhere in qvk
FLOOR_FACTOR = 2.0  # quantized models: at most this times llama.cpp's own f16-vs-f32-KV spread
POS0_NMSE = 1e-8  # K-quant mixes, position 0, both KV caches f16: same activation codes
# (arch, tying, quant): the mixes the issue names, tiny preset, seed 1.
MODELS = [
    ("qwen3", "--tied", "q4_k_m"),
    ("qwen3", "--untied", "q8_0"),
    ("qwen3", "--tied", "f16"),
    ("qwen2", "--tied", "q4_k_m"),
    ("qwen2", "--untied", "f16"),
]
FLOAT_MIXES = {"f32", "f16", "bf16"}
KQUANT_MIXES = {"q4_k_m", "q6_k"}  # every weight Q4_K/Q5_K/Q6_K: Q8_K activations only
# A fixed English prompt in a ChatML user turn (68 tokens, special tokens included).
PROMPT = ("<|im_start|>user\nWrite a short story about a lighthouse keeper who finds a message in a "
          "bottle. The message is written in an old language, and it mentions a ship that sank "
          "one hundred years ago near the rocks below the tower. Tell it in the first person, and end "
          "with a question for the reader.<|im_end|>\n<|im_start|>assistant\n")


def load_rows(np, path, n_rows):
    data = np.fromfile(path, dtype="<f4")
    if data.size != n_rows * N_VOCAB:
        raise Failure(f"{path}: {data.size} floats, expected {n_rows} x {N_VOCAB}")
    rows = data.reshape(n_rows, N_VOCAB).astype(np.float64)
    if not np.isfinite(rows).all():
        raise Failure(f"{path}: non-finite logits")
    return rows


def compare(np, ours, theirs):
    """Figures of ours against theirs, both [positions, vocab]."""
    nmse = ((ours - theirs) ** 2).sum(axis=1) / (theirs ** 2).sum(axis=1)
    agree = ours.argmax(axis=1) == theirs.argmax(axis=1)  # first maximum = lowest id
    top2 = np.sort(theirs, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]  # theirs: top-1 minus top-2
    return {"nmse": nmse, "nmse_max": float(nmse.max()), "nmse_mean": float(nmse.mean()),
            "top1": float(agree.mean()), "max_abs_diff": float(np.abs(ours - theirs).max()),
            "margin": margin, "disagree": [int(i) for i in np.nonzero(~agree)[0]]}


def check_model(np, a, ids, prompt_file, arch, tying, quant):
    name = f"{arch}-{a.preset}-{tying.lstrip('-')}-{quant}"
    model = a.workdir / f"{name}.gguf"
    if not (a.keep and model.exists()):
        run([a.make_model, "--arch", arch, "--preset", a.preset, tying, "--quant", quant, "--seed", "1",
             "--threads", a.threads, "--quiet", "--out", model], f"qvk_make_model {name} seed 1")
    got = json.loads(run([a.generate, "--model", model, "--tokenize-file", prompt_file], f"tokenize ({name})"))
    if got != ids:
        raise Failure(f"{name}: the prompt tokenizes differently from the first model's")
    files = {k: a.workdir / f"{name}.{k}.f32" for k in ("qvk", "llama32", "llama16")}
    summary = json.loads(run([a.generate, "--model", model, "--prompt-file", prompt_file, "-n", "1", "--temp", "0",
                              "--json", "--threads", a.threads, "--dump-logits", files["qvk"]],
                             f"example_generate --dump-logits ({name})").splitlines()[-1])["summary"]
    if summary["prompt_tokens"] != len(ids):
        raise Failure(f"{name}: example_generate saw {summary['prompt_tokens']} prompt tokens, expected {len(ids)}")
    for kv in ("32", "16"):
        run([a.peer, "logits", model, "--tokens", ",".join(map(str, ids)), "--out", files["llama" + kv],
             "--threads", a.threads, "--kv-type", "f" + kv], f"llama_peer logits --kv-type f{kv} ({name})")
    rows = {k: load_rows(np, p, len(ids)) for k, p in files.items()}
    r = {"name": name, "quant": quant,
         "vs32": compare(np, rows["qvk"], rows["llama32"]),
         "vs16": compare(np, rows["qvk"], rows["llama16"]),
         "floor": compare(np, rows["llama16"], rows["llama32"])}
    if not a.keep:
        for p in (model, *files.values()):
            p.unlink()
    return r


def judge(r):
    """The failures of one model's figures (see the module docstring for the rules)."""
    name, quant, v, fl = r["name"], r["quant"], r["vs32"], r["floor"]
    out = []
    if quant in FLOAT_MIXES:
        if v["nmse_max"] > FLOAT_NMSE:
            out.append(f"{name}: max NMSE {v['nmse_max']:.3g} > {FLOAT_NMSE:g} (float weights)")
        if v["top1"] < ISSUE_TOP1:
            out.append(f"{name}: top-1 agreement {v['top1']:.2%} < {ISSUE_TOP1:.0%}")
        return out
    for stat in ("nmse_max", "nmse_mean"):
        if v[stat] > FLOOR_FACTOR * fl[stat]:
            out.append(f"{name}: {stat} {v[stat]:.3g} > {FLOOR_FACTOR:g} x llama.cpp's own f16/f32-KV spread "
                       f"{fl[stat]:.3g}")
    band = fl["max_abs_diff"]
    for pos in v["disagree"]:
        if v["margin"][pos] >= band:
            out.append(f"{name}: top-1 differs at position {pos} where llama.cpp's margin {v['margin'][pos]:.4g} is "
                       f"outside its own noise band {band:.4g}")
    return out


def judge_position0(results, preset):
    """K-quant mixes at position 0 with both KV caches f16: the same activation codes as llama.cpp.
    A single code flipped by a rounding-order ulp anywhere (about 1 tiny model in 12, measured
    over seeds 1-7; certain at 0.6b's ~10^5 codes per position) cascades to NMSE ~1e-4, so the
    rule is that at least one such tiny model matches; a different quantizer or dot product
    fails them all."""
    pos0 = {r["name"]: float(r["vs16"]["nmse"][0]) for r in results if r["quant"] in KQUANT_MIXES}
    if preset != "tiny" or not pos0 or min(pos0.values()) <= POS0_NMSE:
        return []
    shown = ", ".join(f"{k} {v:.3g}" for k, v in pos0.items())
    return [f"no K-quant model matches llama.cpp at position 0 (both KV caches f16; NMSE {shown} > {POS0_NMSE:g}): "
            "the activation codes differ from llama.cpp's (different quantizer or dot product?)"]


def print_table(results, n_tokens, preset):
    print(f"\n{preset} preset, {n_tokens} prompt tokens; qvk KV f16; llama.cpp KV f32 (llama32) or f16 (llama16); "
          f"issue targets NMSE <= {ISSUE_NMSE:g}, top-1 >= {ISSUE_TOP1:.0%}")
    print(f"{'':27}|{'qvk vs llama32':^37}|{'qvk vs llama16':^20}|{'llama16 vs llama32 (floor)':^29}|")
    print(f"{'model':27}|{'NMSE max':>9}{'mean':>9}{'top-1':>8}{'max|d|':>8}  |{'NMSE max':>9}{'pos 0':>9}  |"
          f"{'NMSE max':>9}{'mean':>9}{'top-1':>8}  |{'issue':>6}  margins where top-1 differs (vs llama32)")
    for r in results:
        v, w, fl = r["vs32"], r["vs16"], r["floor"]
        issue = "meets" if v["nmse_max"] <= ISSUE_NMSE and v["top1"] >= ISSUE_TOP1 else "misses"
        margins = [round(float(v["margin"][p]), 4) for p in v["disagree"]]
        print(f"{r['name']:27}|{v['nmse_max']:9.2e}{v['nmse_mean']:9.2e}{v['top1']:8.1%}{v['max_abs_diff']:8.3f}  |"
              f"{w['nmse_max']:9.2e}{w['nmse'][0]:9.1e}  |{fl['nmse_max']:9.2e}{fl['nmse_mean']:9.2e}{fl['top1']:8.1%}  |"
              f"{issue:>6}  {margins or '-'} (median margin {float(sorted(v['margin'])[len(v['margin']) // 2]):.3f}, "
              f"noise band {fl['max_abs_diff']:.3f})")


def body():
    ap = argparse.ArgumentParser()
    ap.add_argument("make_model")
    ap.add_argument("generate")
    ap.add_argument("peer")
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--models", help="comma-separated arch:tying:quant, e.g. qwen3:--tied:q8_0")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the models; keep the logits files")
    a = ap.parse_args()
    try:
        import numpy as np
    except ImportError:
        print("SKIPPED: this driver needs numpy (Debian: python3-numpy)")
        sys.exit(77)
    a.workdir.mkdir(parents=True, exist_ok=True)
    models = MODELS if not a.models else [tuple(m.split(":")) for m in a.models.split(",")]
    prompt_file = a.workdir / "prompt.txt"
    prompt_file.write_text(PROMPT, encoding="utf-8")

    results, ids = [], None
    for arch, tying, quant in models:
        if ids is None:  # all models carry the same Qwen tokenizer: tokenize once with the first
            first = a.workdir / "tokenizer-only.gguf"
            run([a.make_model, "--arch", arch, "--preset", "tiny", "--layers", "1", "--quant", "q8_0", "--quiet",
                 "--out", first], "qvk_make_model (a 1-layer model, for its tokenizer)")
            ids = json.loads(run([a.generate, "--model", first, "--tokenize-file", prompt_file], "tokenize the prompt"))
            first.unlink()
            if len(ids) < 64:
                raise Failure(f"the prompt has only {len(ids)} tokens")
        results.append(check_model(np, a, ids, prompt_file, arch, tying, quant))
    print_table(results, len(ids), a.preset)
    failures = [f for r in results for f in judge(r)] + judge_position0(results, a.preset)
    if failures:
        raise Failure("\n  ".join(["parity rules broken:", *failures]))


if __name__ == "__main__":
    main(body)
