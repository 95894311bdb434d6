#!/usr/bin/env python3
"""The llama_peer command line itself.

  llama_peer_cli.py errors LLAMA_PEER
      peers.llama_peer_rejects_bad_arguments: the header/library check passes, and every bad
      invocation exits 2 with a message that names the problem.
  llama_peer_cli.py logits MAKE_MODEL LLAMA_PEER WORKDIR
      peers.llama_peer_writes_logits_of_every_position: `logits` over 4 tokens writes
      4 x n_vocab finite float32 values, rows differ from each other (every position is a real
      output, not a copy of the last), and a 2-token run gives the same first 2 rows up to
      llama.cpp's own batch-size noise (it is not batch-invariant; 1e-4 absolute is ample).
  llama_peer_cli.py bench MAKE_MODEL LLAMA_PEER WORKDIR
      peers.llama_peer_bench_cpu_and_gpu: `bench` on a tiny model, CPU only (llama-bench protocol)
      and with --gpu on the first Vulkan device (GGML_VK_VISIBLE_DEVICES=0: lavapipe here):
      one JSON object each with the protocol, the offload settings, the runs and, with --gpu,
      the device and its buffers (model and KV on the device). No speed is asserted.
"""
import array
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from peer_run import Failure, main, run
import subprocess

N_VOCAB = 151936


def expect_error(peer, args, code, needle, env=None):
    proc = subprocess.run([str(peer), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, **env) if env else None)
    shown = f"llama_peer {' '.join(args)}" + (f" ({env})" if env else "")
    if proc.returncode != code or needle not in proc.stderr:
        raise Failure(f"{shown}: expected exit {code} and a message containing {needle!r}, got exit "
                      f"{proc.returncode}:\n{proc.stderr.strip()}")
    print(f"  ok  exit {code}: {shown}")


def errors(peer):
    out = run([peer, "abi-check"], "llama_peer abi-check")
    if "matches" not in out:
        raise Failure(f"abi-check printed {out!r}")
    missing = "/nonexistent/model.gguf"
    cases = [
        ([], 2, "usage: llama_peer"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["info"], 2, "expected 1 argument(s), got 0"),
        (["info", missing], 2, "does not exist"),
        (["info", "a", "b"], 2, "expected 1 argument(s), got 2"),
        (["info", "a", "--threads", "2"], 2, "unknown option '--threads'"),
        (["quantize", "a", "b"], 2, "expected 3 argument(s), got 2"),
        (["quantize", "a", "b", "q3_k_xl"], 2, "unknown FTYPE 'q3_k_xl'"),
        (["quantize", missing, "b", "q8_0"], 2, "does not exist"),
        (["quantize", "a", "b", "q8_0", "--threads", "0"], 2, "--threads expects an integer in [1, 256]"),
        (["quantize", "a", "b", "q8_0", "--threads"], 2, "option --threads needs a value"),
        (["logits", "m"], 2, "--tokens and --out are required"),
        (["logits", "m", "--tokens", "1,x", "--out", "o"], 2, "bad item 'x' at token #1"),
        (["logits", "m", "--tokens", "1,-2", "--out", "o"], 2, "bad item '-2'"),
        (["logits", "m", "--tokens", "", "--out", "o"], 2, "bad item ''"),
        (["logits", "m", "--tokens", "1", "--out", "o", "--kv-type", "q8"], 2, "--kv-type expects f32 or f16"),
        (["logits", "m", "--tokens", "1", "--out", "/nonexistent/dir/o"], 2, "does not exist"),
        (["logits", missing, "--tokens", "1", "--out", "o"], 2, "does not exist"),
        (["bench", "m", "--protocol", "x"], 2, "--protocol expects llama-bench or after-prompt"),
        (["bench", "m", "--gpu", "--gpu"], 2, "option --gpu given twice"),
        (["bench", "m", "--gpu", "1"], 2, "expected 1 argument(s), got 2"),
        (["bench", "m", "--prompt", "4", "--gen", "4", "--ctx", "5", "--protocol", "after-prompt"], 2,
         "--ctx 5 is below the 8 positions"),
        (["bench", missing], 2, "does not exist"),
        (["bench", missing, "--gpu"], 2, "does not exist"),
    ]
    for args, code, needle in cases:
        expect_error(peer, args, code, needle)
    # --gpu: no Vulkan backend where QVK_PEER_VULKAN_DIR points (exit 1), or one that comes with
    # another libggml-base.so than the loaded one (exit 3, like the start-up ABI check).
    # (Any existing file serves as MODEL: the backend is loaded before the model is read.)
    with tempfile.TemporaryDirectory() as d:
        expect_error(peer, ["bench", str(peer), "--gpu"], 1, "set QVK_PEER_VULKAN_DIR", {"QVK_PEER_VULKAN_DIR": d})
        Path(d, "libggml-vulkan.so").write_bytes(b"not a library")
        Path(d, "libggml-base.so").write_bytes(b"another build")
        expect_error(peer, ["bench", str(peer), "--gpu"], 3, "the Vulkan backend is from another build",
                     {"QVK_PEER_VULKAN_DIR": d})


def read_rows(path, n_tokens):
    data = array.array("f")
    raw = Path(path).read_bytes()
    if len(raw) != n_tokens * N_VOCAB * 4:
        raise Failure(f"{path}: {len(raw)} bytes, expected {n_tokens} x {N_VOCAB} x 4")
    data.frombytes(raw)
    if sys.byteorder != "little":
        data.byteswap()
    return [data[i * N_VOCAB:(i + 1) * N_VOCAB] for i in range(n_tokens)]


def logits(make_model, peer, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    model = workdir / "qwen3-tiny-q8_0.gguf"
    run([make_model, "--arch", "qwen3", "--preset", "tiny", "--quant", "q8_0", "--seed", "1", "--threads", "2",
         "--quiet", "--out", model], "qvk_make_model qwen3 tiny q8_0 seed 1")
    tokens = [151644, 872, 198, 9707]  # <|im_start|>user\nHello
    four, two = workdir / "four.f32", workdir / "two.f32"
    run([peer, "logits", model, "--tokens", ",".join(map(str, tokens)), "--out", four], "llama_peer logits (4 tokens)")
    run([peer, "logits", model, "--tokens", ",".join(map(str, tokens[:2])), "--out", two], "llama_peer logits (2 tokens)")
    rows4, rows2 = read_rows(four, 4), read_rows(two, 2)
    for i, row in enumerate(rows4):
        if not all(math.isfinite(x) for x in row):
            raise Failure(f"row {i} has non-finite logits")
        if max(row) == min(row):
            raise Failure(f"row {i} is constant ({row[0]})")
    for i in range(1, 4):
        if rows4[i] == rows4[0]:
            raise Failure(f"row {i} equals row 0: positions are not distinct outputs")
    worst = max(abs(a - b) for i in range(2) for a, b in zip(rows4[i], rows2[i]))
    print(f"  rows 0-1 of the 4-token run vs the 2-token run: max |diff| {worst:.3g}")
    if worst > 1e-4:
        raise Failure(f"the 2-token prefix differs from the 4-token run by {worst} (> 1e-4)")
    for p in (model, four, two):
        p.unlink()


def bench(make_model, peer, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    model = workdir / "qwen3-tiny-q8_0.gguf"
    run([make_model, "--arch", "qwen3", "--preset", "tiny", "--quant", "q8_0", "--seed", "1", "--threads", "2",
         "--quiet", "--out", model], "qvk_make_model qwen3 tiny q8_0 seed 1")
    small = ["--prompt", "4", "--gen", "2", "--reps", "1"]
    for gpu in (False, True):
        cmd = [str(peer), "bench", str(model), *small, *(["--gpu"] if gpu else [])]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, GGML_VK_VISIBLE_DEVICES="0") if gpu else None)
        if proc.returncode != 0:
            raise Failure(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.strip()}")
        j = json.loads(proc.stdout)
        common = {"engine": "llama.cpp", "prompt": 4, "gen": 2, "reps": 1, "model": str(model)}
        want = dict(common, backend="vulkan", n_gpu_layers=999, flash_attn="on", protocol="after-prompt") if gpu \
            else dict(common, backend="cpu", n_gpu_layers=0, protocol="llama-bench")
        for k, v in want.items():
            if j.get(k) != v:
                raise Failure(f"{' '.join(cmd)}: {k} is {j.get(k)!r}, expected {v!r}")
        if len(j["pp_runs"]) != 1 or len(j["tg_runs"]) != 1 or min(j["pp_tok_s"], j["tg_tok_s"]) <= 0:
            raise Failure(f"{' '.join(cmd)}: runs {j['pp_runs']} {j['tg_runs']}")
        if j["ctx"] < (6 if gpu else 5):
            raise Failure(f"{' '.join(cmd)}: context {j['ctx']} too small for the protocol")
        on_device = {b["what"] for b in j["buffers"] if b["device"]}
        if gpu:
            if not j.get("device") or not j.get("gpu_lib", "").endswith("libggml-vulkan.so"):
                raise Failure(f"{' '.join(cmd)}: no device or library named: {j}")
            if not {"model", "KV"} <= on_device or j["gpu_memory_bytes"] <= 0:
                raise Failure(f"{' '.join(cmd)}: the model and KV buffers are not on the device: {j['buffers']}")
        elif on_device or "gpu_memory_bytes" in j:
            raise Failure(f"{' '.join(cmd)}: device buffers without --gpu: {j['buffers']}")
        print(f"  ok  {'--gpu on ' + j['device'] if gpu else 'cpu'}: pp {j['pp_tok_s']} tok/s, tg {j['tg_tok_s']} "
              f"tok/s, {j.get('gpu_memory_bytes', 0)} bytes on the device")
    model.unlink()


def body():
    if len(sys.argv) == 3 and sys.argv[1] == "errors":
        errors(Path(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "logits":
        logits(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "bench":
        bench(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        raise Failure("usage: llama_peer_cli.py errors LLAMA_PEER | logits|bench MAKE_MODEL LLAMA_PEER WORKDIR")


if __name__ == "__main__":
    main(body)
