#!/usr/bin/env python3
"""Byte-for-byte parity of qvk's quant formats with gguf-py (gguf/quants.py).

Runs qvk_quant_vectors (seeded blocks/inputs plus qvk's results), then
dequantizes/quantizes the same data with gguf-py and compares every byte.
Prints per-type counts and the first mismatch (index, both values in hex).

gguf-py is looked up in: --gguf-py PATH, $QVK_GGUF_PY, $QVK_PEERS_DIR/llama.cpp/gguf-py.
Exit codes: 0 all equal, 1 mismatch (or tool failure), 77 skipped (no gguf-py or
numpy), so ctest reports "Not Run" instead of a pass.
"""
import argparse
import os
import shutil
import subprocess
import sys

SKIP = 77


def skip(reason: str) -> None:
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


def find_gguf_py(cli_path):
    candidates = []
    if cli_path:
        candidates.append(cli_path)
    if os.environ.get("QVK_GGUF_PY"):
        candidates.append(os.environ["QVK_GGUF_PY"])
    if os.environ.get("QVK_PEERS_DIR"):
        candidates.append(os.path.join(os.environ["QVK_PEERS_DIR"], "llama.cpp", "gguf-py"))
    for c in candidates:
        if os.path.isfile(os.path.join(c, "gguf", "quants.py")):
            return c
    if not candidates:
        skip("gguf-py not available: QVK_HAVE_PEERS is OFF (configure with -DQVK_PEERS_DIR=... prepared by "
             "scripts/fetch_peers.sh) and no --gguf-py PATH was given")
    skip("gguf-py not found at: " + ", ".join(candidates))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vectors-tool", required=True, help="path of the qvk_quant_vectors executable")
    ap.add_argument("--workdir", required=True, help="folder for the generated vectors (recreated)")
    ap.add_argument("--gguf-py", default=None, help="path of llama.cpp's gguf-py folder")
    ap.add_argument("--reuse", action="store_true", help="compare the vectors already in --workdir (debugging)")
    args = ap.parse_args()

    gguf_py = find_gguf_py(args.gguf_py)
    try:
        import numpy as np
    except ImportError:
        skip(f"numpy is not installed for {sys.executable}")
    sys.path.insert(0, gguf_py)
    try:
        from gguf import quants
        from gguf.constants import GGMLQuantizationType, GGML_QUANT_SIZES
    except ImportError as e:
        skip(f"cannot import gguf-py from {gguf_py}: {e}")

    if not args.reuse:
        shutil.rmtree(args.workdir, ignore_errors=True)
        os.makedirs(args.workdir)
        r = subprocess.run([args.vectors_tool, args.workdir])
        if r.returncode != 0:
            print(f"FAIL: {args.vectors_tool} exited with {r.returncode}")
            return 1
    # Overflow to inf in f16 casts is part of the vectors, not a problem.
    np.seterr(all="ignore")

    def read(name, dtype):
        return np.fromfile(os.path.join(args.workdir, name), dtype=dtype)

    print(f"gguf-py: {gguf_py}  numpy {np.__version__}")
    failures = 0
    cases = 0
    with open(os.path.join(args.workdir, "manifest.tsv")) as f:
        for line in f:
            kind, tname, count, infile, ourfile = line.rstrip("\n").split("\t")
            qtype = GGMLQuantizationType[tname]
            block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
            count = int(count)
            cases += 1
            if kind == "dequant":
                blocks = read(infile, np.uint8).reshape(count, block_bytes)
                theirs = np.ascontiguousarray(quants.dequantize(blocks, qtype), dtype=np.float32).reshape(-1)
                ours = read(ourfile, np.float32)
                unit, a, b = "value", ours.view(np.uint32), theirs.view(np.uint32)
                width = 8
            else:
                x = read(infile, np.float32).reshape(-1, block_elems)
                theirs = np.ascontiguousarray(quants.quantize(x, qtype)).view(np.uint8).reshape(-1, block_bytes)
                ours = read(ourfile, np.uint8).reshape(-1, block_bytes)
                unit, a, b = "block", ours, theirs
                width = 2
            if a.shape != b.shape:
                print(f"FAIL {kind:7s} {tname:5s}: shape ours {a.shape} vs gguf-py {b.shape}")
                failures += 1
                continue
            diff = a != b
            if diff.ndim > 1:
                diff = diff.any(axis=1)
            n_bad = int(diff.sum())
            status = "ok  " if n_bad == 0 else "FAIL"
            print(f"{status} {kind:7s} {tname:5s}: {len(diff)} {unit}s ({a.size * a.itemsize} bytes), {n_bad} mismatches")
            if n_bad:
                failures += 1
                i = int(np.argmax(diff))
                fmt = lambda v: "".join(f"{int(t):0{width}x}" for t in np.atleast_1d(v))
                print(f"     first mismatch at {unit} {i}: ours {fmt(a[i])} gguf-py {fmt(b[i])}")
                if kind == "quant":
                    print(f"     input block: {' '.join(f'{int(t):08x}' for t in x[i].view(np.uint32))}")
    if cases == 0:
        print("FAIL: manifest listed no cases")
        return 1
    print(f"{cases} cases, {failures} with mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
