#!/usr/bin/env python3
"""peers.kquants_vs_llama: qvk's quantizers and quant recipe against llama.cpp's.

1. qvk_make_model writes the tiny qwen3 model in f32 (seed 1).
2. llama.cpp quantizes it to q4_0, q8_0, q4_k_m, q5_k_m and q6_k (`llama_peer quantize`).
3. qvk_quant_vs_llama compare: every tensor of those files re-quantized from the f32 original
   with qvk's quantizer of the same type; F32/F16/Q8_0/Q4_0 must be byte-identical, K-quants no
   worse in RMS error than llama.cpp's (the table shows the agreement fraction either way).
4. qvk_make_model writes the same model as q4_k_m; qvk_quant_vs_llama recipe: every tensor has
   the type llama.cpp's Q4_K_M recipe gave it.

usage: kquants_vs_llama.py MAKE_MODEL LLAMA_PEER QUANT_VS_LLAMA WORKDIR
"""
import sys
from pathlib import Path

from peer_run import Failure, main, run

FTYPES = ["q4_0", "q8_0", "q4_k_m", "q5_k_m", "q6_k"]
REQUIRED = "F32,Q4_0,Q8_0,Q4_K,Q5_K,Q6_K"


def body():
    if len(sys.argv) != 5:
        raise Failure("usage: kquants_vs_llama.py MAKE_MODEL LLAMA_PEER QUANT_VS_LLAMA WORKDIR")
    make_model, peer, compare = (Path(p) for p in sys.argv[1:4])
    workdir = Path(sys.argv[4])
    workdir.mkdir(parents=True, exist_ok=True)
    f32 = workdir / "qwen3-tiny-f32.gguf"
    common = ["--arch", "qwen3", "--preset", "tiny", "--seed", "1", "--threads", "2", "--quiet"]
    run([make_model, *common, "--quant", "f32", "--out", f32], "qvk_make_model qwen3 tiny f32 seed 1")
    quantized = []
    for ftype in FTYPES:
        out = workdir / f"llama-{ftype}.gguf"
        run([peer, "quantize", f32, out, ftype, "--threads", "2"], f"llama_peer quantize -> {ftype}")
        quantized.append(out)
    ours_q4km = workdir / "qvk-q4_k_m.gguf"
    run([make_model, *common, "--quant", "q4_k_m", "--out", ours_q4km], "qvk_make_model qwen3 tiny q4_k_m seed 1")

    failures = []
    for what, cmd in [
        ("compare", [compare, "compare", f32, *quantized, "--require", REQUIRED]),
        ("recipe", [compare, "recipe", ours_q4km, workdir / "llama-q4_k_m.gguf"]),
    ]:
        try:
            print(run(cmd, f"qvk_quant_vs_llama {what}"), end="", flush=True)
        except Failure as e:
            failures.append(str(e))
    if failures:
        raise Failure("\n".join(failures))
    for p in [f32, ours_q4km, *quantized]:
        p.unlink()


if __name__ == "__main__":
    main(body)
