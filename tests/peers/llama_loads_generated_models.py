#!/usr/bin/env python3
"""peers.llama_loads_generated_models: llama.cpp loads the GGUFs qvk_make_model writes and
reads the same model shape from them as qvk_inspect does.

For each (arch, tying, quant) combination: qvk_make_model writes a tiny model, `llama_peer info`
reports what llama.cpp loaded (vocab and all weights) and `qvk_inspect --json` what qvk reads.
Asserts: the shape fields agree, equal the tiny preset (so two identical mistakes cannot pass),
llama.cpp's parameter count and weight bytes equal the sums over qvk_inspect's tensor list (so it
saw every tensor with the same type), and the head is tied exactly when asked.

usage: llama_loads_generated_models.py MAKE_MODEL INSPECT LLAMA_PEER WORKDIR
"""
import math
import os
import sys
from pathlib import Path

from peer_run import Failure, main, run, run_json

COMBOS = [  # arch, tying flag, quant
    ("qwen3", "--tied", "f16"),
    ("qwen3", "--untied", "q4_k_m"),
    ("qwen2", None, "q8_0"),
]
TINY = {"hidden": 256, "layers": 2, "heads": 4, "kv_heads": 2, "vocab": 151936, "context_length": 4096}
# llama.cpp `info` field -> qvk_inspect config field
FIELDS = [("n_embd", "hidden"), ("n_layer", "layers"), ("n_head", "heads"), ("n_head_kv", "kv_heads"),
          ("n_vocab", "vocab"), ("n_ctx_train", "context_length")]


def check_combo(tools, workdir, arch, tying, quant, rows):
    make_model, inspect, peer = tools
    name = f"{arch}-tiny-{(tying or 'default').lstrip('-')}-{quant}"
    path = workdir / f"{name}.gguf"
    cmd = [make_model, "--arch", arch, "--preset", "tiny"] + ([tying] if tying else []) + \
          ["--quant", quant, "--seed", "1", "--threads", "2", "--quiet", "--out", path]
    run(cmd, f"qvk_make_model {name}")
    llama = run_json([peer, "info", path], f"llama_peer info {name}")
    ours = run_json([inspect, "--json", path], f"qvk_inspect --json {name}")
    cfg = ours["config"]
    problems = []
    for lf, qf in FIELDS:
        if llama.get(lf) != cfg.get(qf):
            problems.append(f"{lf}: llama.cpp {llama.get(lf)} vs qvk_inspect {qf} {cfg.get(qf)}")
        if cfg.get(qf) != TINY[qf]:
            problems.append(f"qvk_inspect {qf} is {cfg.get(qf)}, the tiny preset says {TINY[qf]}")
    if llama.get("general.architecture") != arch or ours.get("architecture") != arch:
        problems.append(f"architecture: asked {arch}, llama.cpp {llama.get('general.architecture')}, "
                        f"qvk_inspect {ours.get('architecture')}")
    if llama.get("rope_freq_base") != cfg.get("rope_base"):
        problems.append(f"rope base: llama.cpp {llama.get('rope_freq_base')} vs qvk_inspect {cfg.get('rope_base')}")
    n_params = sum(math.prod(t["shape"]) for t in ours["tensors"])
    n_bytes = sum(t["bytes"] for t in ours["tensors"])
    if llama.get("n_params") != n_params:
        problems.append(f"parameters: llama.cpp {llama.get('n_params')} vs sum of qvk_inspect shapes {n_params}")
    if llama.get("size") != n_bytes:
        problems.append(f"weight bytes: llama.cpp {llama.get('size')} vs sum of qvk_inspect bytes {n_bytes}")
    has_output = any(t["name"] == "output.weight" for t in ours["tensors"])
    if tying is not None and has_output != (tying == "--untied"):
        problems.append(f"asked {tying} but output.weight is {'present' if has_output else 'absent'}")
    if tying is not None and cfg.get("tied_embeddings") != (tying == "--tied"):
        problems.append(f"asked {tying} but qvk_inspect says tied_embeddings={cfg.get('tied_embeddings')}")
    rows.append((name, llama, has_output, "ok" if not problems else "MISMATCH"))
    if problems:
        raise Failure(f"{name}:\n    " + "\n    ".join(problems))
    path.unlink()


def body():
    if len(sys.argv) != 5:
        raise Failure("usage: llama_loads_generated_models.py MAKE_MODEL INSPECT LLAMA_PEER WORKDIR")
    tools = [Path(p) for p in sys.argv[1:4]]
    workdir = Path(sys.argv[4])
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for arch, tying, quant in COMBOS:
            check_combo(tools, workdir, arch, tying, quant, rows)
    finally:
        print(f"\n{'model':<28} {'n_embd':>6} {'n_layer':>7} {'n_head':>6} {'n_kv':>4} {'n_vocab':>7} "
              f"{'n_ctx':>5} {'n_params':>10} {'bytes':>10} {'head':>6}  llama desc / verdict")
        for name, l, has_output, verdict in rows:
            print(f"{name:<28} {l['n_embd']:>6} {l['n_layer']:>7} {l['n_head']:>6} {l['n_head_kv']:>4} "
                  f"{l['n_vocab']:>7} {l['n_ctx_train']:>5} {l['n_params']:>10} {l['size']:>10} "
                  f"{'output' if has_output else 'tied':>6}  {l['desc']} / {verdict}")


if __name__ == "__main__":
    main(body)
