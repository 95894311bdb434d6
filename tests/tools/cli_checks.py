#!/usr/bin/env python3
"""End-to-end checks of qvk_make_model and qvk_inspect (stdlib only).

usage: cli_checks.py CHECK --make MAKE --inspect INSPECT --work DIR [--corpus-tool TOOL]
Each CHECK is one ctest test; it prints what it verified and exits non-zero on
the first failure.
"""
import argparse
import filecmp
import json
import os
import subprocess
import sys


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if expect_rc is not None and p.returncode != expect_rc:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}, expected {expect_rc}\n"
                 f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def make(a, out, *extra):
    run([a.make, "--out", out, "--quiet", *extra])
    return out


def inspect_json(a, path):
    return json.loads(run([a.inspect, "--json", path]).stdout)


def check_round_trip(a):
    """Every arch/tying/mix writes a file the loader accepts, with the asked-for shape and types."""
    cases = [("qwen3", "--tied", "q4_k_m"), ("qwen3", "--untied", "q8_0"), ("qwen2", "--tied", "f16"),
             ("qwen2", "--untied", "q4_0"), ("qwen3", "--tied", "bf16"), ("qwen3", "--untied", "q6_k"),
             ("qwen3", "--tied", "f32")]
    for arch, tie, quant in cases:
        path = make(a, os.path.join(a.work, f"rt_{arch}_{tie[2:]}_{quant}.gguf"), "--arch", arch, tie, "--quant", quant,
                    "--layers", "3")
        j = inspect_json(a, path)
        c = j["config"]
        assert c["arch"] == arch and c["layers"] == 3 and c["hidden"] == 256 and c["vocab"] == 151936, c
        assert c["tied_embeddings"] == (tie == "--tied"), c
        assert c["qkv_bias"] == (arch == "qwen2") and c["qk_norm"] == (arch == "qwen3"), c
        types = {t["name"]: t["type"] for t in j["tensors"]}
        head = "token_embd.weight" if tie == "--tied" else "output.weight"
        want_head = {"q4_k_m": "Q6_K", "q8_0": "Q8_0", "q4_0": "Q6_K", "q6_k": "Q6_K", "f16": "F16", "bf16": "BF16",
                     "f32": "F32"}[quant]
        assert types[head] == want_head, (quant, head, types[head])
        assert types["output_norm.weight"] == "F32"
        assert j["tokenizer"]["tokens"] == 151936 and j["tokenizer"]["eos"] == 151645, j["tokenizer"]
        print(f"ok {arch} {tie} {quant}: {len(types)} tensors, head {types[head]}")


def check_deterministic(a):
    """Same arguments give the same bytes whatever the thread count; another seed gives other bytes."""
    base = ["--preset", "tiny", "--quant", "q4_k_m", "--layers", "2"]
    f1 = make(a, os.path.join(a.work, "det_t1.gguf"), *base, "--seed", "7", "--threads", "1")
    f2 = make(a, os.path.join(a.work, "det_t2.gguf"), *base, "--seed", "7", "--threads", "2")
    f3 = make(a, os.path.join(a.work, "det_s8.gguf"), *base, "--seed", "8", "--threads", "2")
    assert filecmp.cmp(f1, f2, shallow=False), "thread count changed the bytes"
    assert not filecmp.cmp(f1, f3, shallow=False), "seed did not change the bytes"
    assert not os.path.exists(f1 + ".partial")
    print("ok: identical bytes for 1 and 2 threads, different bytes for another seed")


def check_usage_errors(a):
    """Bad flags give exit 2 and a message naming the flag."""
    out = os.path.join(a.work, "never.gguf")
    cases = [
        ([a.make, "--out", out, "--bogus"], "unknown flag --bogus"),
        ([a.make, "--out", out, "--quant", "q3_k"], "--quant"),
        ([a.make, "--out", out, "--preset", "70b"], "--preset"),
        ([a.make, "--out", out, "--arch", "llama"], "--arch"),
        ([a.make, "--out", out, "--layers", "abc"], "--layers"),
        ([a.make, "--out", out, "--kv-heads", "3"], "--kv-heads"),
        ([a.make, "--out", out, "--hidden", "384"], "multiple of 256"),
        ([a.make], "--out"),
        ([a.inspect], "FILE"),
        ([a.inspect, "--frobnicate", out], "unknown flag"),
    ]
    for cmd, needle in cases:
        p = run(cmd, expect_rc=2)
        assert needle in p.stderr, (cmd, p.stderr)
        print(f"ok exit 2: {' '.join(cmd[1:])} -> {p.stderr.strip()[:100]}")
    assert not os.path.exists(out)
    for tool in (a.make, a.inspect):
        p = run([tool, "--help"])
        assert "usage:" in p.stdout


def check_inspect_text(a):
    """The text report shows config, tokenizer and the tensor table; a missing file is a clean error."""
    path = make(a, os.path.join(a.work, "text.gguf"), "--untied", "--quant", "q4_k_m")
    out = run([a.inspect, path]).stdout
    for needle in ["hidden 256", "layers 2", "untied LM head", "QK-norm", "151936 tokens", "output.weight", "Q6_K",
                   "blk.1.ffn_down.weight"]:
        assert needle in out, needle
    missing = os.path.join(a.work, "does_not_exist.gguf")
    p = run([a.inspect, missing], expect_rc=1)
    assert missing in p.stderr, p.stderr
    p = run([a.inspect, a.work], expect_rc=1)  # a directory
    print("ok: text report; missing file and directory give exit 1 naming the path")


def check_corpus(a):
    """Every malformed file of the corpus gives exit 1 and an error naming the file and the fault."""
    corpus = os.path.join(a.work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    run([a.corpus_tool, corpus])
    n = 0
    with open(os.path.join(corpus, "manifest.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            name, needle = line.rstrip("\n").split("\t", 1)
            path = os.path.join(corpus, name)
            for extra in ([], ["--container-only"], ["--json"]):
                p = run([a.inspect, *extra, path], expect_rc=1)
                assert path in p.stderr and needle in p.stderr, (name, needle, p.stderr)
                assert p.stdout == "", (name, "printed to stdout on error")
            n += 1
    assert n >= 25, f"corpus has only {n} files"
    print(f"ok: {n} malformed files rejected cleanly (exit 1, file and fault named)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check")
    ap.add_argument("--make", required=True)
    ap.add_argument("--inspect", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--corpus-tool")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    globals()["check_" + a.check](a)


if __name__ == "__main__":
    main()
