#!/usr/bin/env python3
"""selftest.py — checks the torch-free parts of the HF parity script (numpy only).

  selftest.py --vocab data/qwen-vocab/ggml-vocab-qwen3.gguf [--qvk-bin BUILD] [--work DIR]

1. gguf_min: a written file reads back (header, dims reversed, offsets aligned, data exact);
   the tokenizer.* records copied into it are byte-identical to the vocabulary file's.
2. cases: every case's tensor list has the names and GGML shapes of tensor_specs.hpp, and its
   rope formula matches hand values (plain base^(-2i/d); YaRN x4 with n_orig 1024, d 64,
   base 1e6: interpolation from pair 13 on, extrapolation up to pair 3).
3. numpy_reference: logits do not depend on later tokens (causality) and f16 K/V rounding
   changes them only slightly.
4. With --qvk-bin: hf_parity.py end to end on one case with --hf-impl numpy (a stand-in for
   transformers); qvk must match it within the target.
Exit 0 when everything passes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import cases as C
import gguf_min as g
import numpy_reference

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def test_gguf_roundtrip(vocab, work):
    rng = np.random.default_rng(7)
    tensors = [("a", rng.standard_normal((3, 5), dtype=np.float32)), ("b", np.arange(7, dtype=np.float32)),
               ("c", rng.standard_normal((2, 3, 4), dtype=np.float32))]
    recs = [g.kv_string("general.architecture", "qwen3"), g.kv_u32("x.u", 7), g.kv_f32("x.f", 0.5)]
    recs += g.tokenizer_records(vocab)
    path = os.path.join(work, "rt.gguf")
    size = g.write_f32_gguf(path, recs, tensors)
    check(size == os.path.getsize(path) and size % 32 == 0, "gguf: size reported and padded to 32")
    h = g.read_header(path, decode_keys=("general.architecture", "x.u", "x.f"))
    check(h["version"] == 3 and h["n_tensors"] == 3, "gguf: v3, 3 tensors")
    check(h["values"] == {"general.architecture": "qwen3", "x.u": 7, "x.f": 0.5}, "gguf: scalar values read back")
    check([r for _, _, r in h["records"]] == recs, "gguf: records read back byte-identical")
    data_start = h["header_end"] + (-h["header_end"]) % 32
    buf = open(path, "rb").read()
    ok = True
    for (name, arr), (tname, dims, ttype, off) in zip(tensors, h["tensors"]):
        ok &= tname == name and dims == list(reversed(arr.shape)) and ttype == 0 and off % 32 == 0
        got = np.frombuffer(buf, dtype="<f4", count=arr.size, offset=data_start + off).reshape(arr.shape)
        ok &= np.array_equal(got, arr)
    check(ok, "gguf: tensor names, reversed dims, aligned offsets, exact data")
    vocab_tok = [r for k, _, r in g.read_header(vocab)["records"] if k.startswith("tokenizer.")]
    check(vocab_tok == [r for k, _, r in h["records"] if k.startswith("tokenizer.")] and len(vocab_tok) >= 5,
          f"gguf: {len(vocab_tok)} tokenizer.* records copied verbatim")
    try:
        g.write_f32_gguf(path, recs + [g.kv_u32("x.u", 8)], tensors)
        check(False, "gguf: duplicate key refused")
    except ValueError:
        check(True, "gguf: duplicate key refused")


def expected_specs(c: C.Case):
    """tensor_specs.hpp, transcribed: (name, GGML dims)."""
    t = [("token_embd.weight", [c.hidden, c.vocab])]
    for i in range(c.layers):
        b = f"blk.{i}."
        t += [(b + "attn_norm.weight", [c.hidden]), (b + "attn_q.weight", [c.hidden, c.q_dim]),
              (b + "attn_k.weight", [c.hidden, c.kv_dim]), (b + "attn_v.weight", [c.hidden, c.kv_dim])]
        if c.qkv_bias:
            t += [(b + "attn_q.bias", [c.q_dim]), (b + "attn_k.bias", [c.kv_dim]), (b + "attn_v.bias", [c.kv_dim])]
        if c.qk_norm:
            t += [(b + "attn_q_norm.weight", [c.head_dim]), (b + "attn_k_norm.weight", [c.head_dim])]
        t += [(b + "attn_output.weight", [c.q_dim, c.hidden]), (b + "ffn_norm.weight", [c.hidden]),
              (b + "ffn_gate.weight", [c.hidden, c.ffn]), (b + "ffn_up.weight", [c.hidden, c.ffn]),
              (b + "ffn_down.weight", [c.ffn, c.hidden])]
    t.append(("output_norm.weight", [c.hidden]))
    if not c.tied:
        t.append(("output.weight", [c.hidden, c.vocab]))
    return t


def test_cases():
    for c in C.CASES:
        small = C.Case(c.name, c.arch, c.layers, c.tied, c.yarn_factor, c.yarn_orig_ctx, vocab=1000)
        w = C.make_weights(small, small.seed(1))
        got = [(n, list(reversed(a.shape))) for n, a in C.gguf_tensors(small, w)]
        check(got == expected_specs(small), f"cases: {c.name} tensor names/dims as tensor_specs.hpp")
        w2 = C.make_weights(small, small.seed(1))
        check(all(np.array_equal(w[k], w2[k]) for k in w), f"cases: {c.name} weights reproducible from the seed")
    plain = C.CASES_BY_NAME["qwen3_tied"]
    inv, s = C.rope_expected(plain)
    check(s == 1.0 and np.allclose(inv, 1e6 ** (-np.arange(32) / 32), rtol=1e-15), "rope: plain inv_freq")
    y = C.CASES_BY_NAME["qwen3_yarn4"]
    inv_y, s_y = C.rope_expected(y)
    # corr(32) = 64 ln(1024/(64π)) / (2 ln 1e6) = 3.77 -> low 3; corr(1) = 11.8 -> high 12.
    check(np.allclose(inv_y[:4], inv[:4]) and np.allclose(inv_y[12:], inv[12:] / 4) and
          np.all(inv_y[4:12] < inv[4:12]) and np.all(inv_y[4:12] > inv[4:12] / 4),
          "rope: yarn keeps pairs 0-3, divides 12-31 by 4, blends 4-11")
    check(abs(s_y - (1 + 0.1 * np.log(4))) < 1e-15, "rope: yarn mscale 1 + 0.1 ln 4")


def test_numpy_reference():
    c = C.Case("t", "qwen2", 2, True, vocab=500)
    w = C.make_weights(c, 3)
    ids = [5, 17, 3, 499, 0, 42, 42, 7]
    full = numpy_reference.forward(c, w, ids)
    part = numpy_reference.forward(c, w, ids[:5])
    check(np.allclose(full[:5], part, rtol=0, atol=1e-12), "numpy reference: causal (prefix logits unchanged)")
    f16 = numpy_reference.forward(c, w, ids, f16_kv=True)
    d = np.sum((f16 - full) ** 2) / np.sum(full ** 2)
    check(0 < d < 1e-5, f"numpy reference: f16 K/V changes logits slightly (NMSE {d:.1e})")
    check(float(np.std(full)) > 0.3, f"numpy reference: logits not degenerate (std {np.std(full):.2f})")


def test_end_to_end(qvk_bin, vocab, work):
    out = os.path.join(work, "e2e.json")
    cmd = [sys.executable, os.path.join(HERE, "hf_parity.py"), "--qvk-bin", qvk_bin, "--vocab", vocab, "--work",
           work, "--out", out, "--hf-impl", "numpy", "--cases", "qwen2_bias_tied"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout[-3000:])
    check(r.returncode == 0, "end to end (numpy stand-in): hf_parity.py exit 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--qvk-bin")
    ap.add_argument("--work")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = a.work or tmp
        os.makedirs(work, exist_ok=True)
        test_gguf_roundtrip(a.vocab, work)
        test_cases()
        test_numpy_reference()
        if a.qvk_bin:
            test_end_to_end(a.qvk_bin, a.vocab, work)
    print(f"{len(failures)} failure(s)" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
