#!/usr/bin/env python3
"""example_generate --device vulkan against --device cpu on the tiny models (python3 stdlib only).

usage: vulkan_checks.py CHECK --generate EXE --make MAKE --corpus-tool TOOL --source DIR --work DIR

The same arguments and models as generate_checks.py (the fixture test examples.generate_models
writes them). The Vulkan runtime computes the CPU reference's logits bit for bit, so every check
compares the two devices byte for byte: --dump-logits files (cmp), streamed text, token ids.
Runs on whatever Vulkan device the loader offers (lavapipe here; QVK_DEVICE picks one).

  parity  greedy (argmax on the GPU) with dumps, sampled (top-k/top-p/min-p drawn on the GPU) with
          dumps, a two-chunk prompt without dumps (only token ids come back), a repetition
          penalty (greedy on the CPU); the --json summary names the device and its memory
  errors  no usable device (QVK_DEVICE naming none, no driver): exit 1 and a one-line message
"""
import filecmp
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_checks as g  # noqa: E402  (Ctx, check, fail, read_rows, the model names, LONG_PROMPT)

check, fail = g.check, g.fail


def run(c, args, env_extra=None, expect_rc=0):
    env = dict(os.environ, QVK_DEFAULT_MODEL=c.default_model, **(env_extra or {}))
    cmd = [c.a.generate, *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, env=env)
    if p.returncode != expect_rc:
        fail(f"{' '.join(cmd)} exited {p.returncode}, expected {expect_rc}\n"
             f"stdout: {p.stdout[-2000:]!r}\nstderr: {p.stderr.decode(errors='replace')[-2000:]}")
    check(not os.path.exists(c.default_model), f"{' '.join(cmd)} wrote the demo model")
    return p.stdout.decode("utf-8"), p.stderr.decode("utf-8", errors="replace")


def both(c, name, args, label):
    """Runs args on both devices, each with its own --dump-logits file when `dump`; returns
    (cpu stdout, gpu stdout, cpu dump path, gpu dump path)."""
    outs, dumps = [], []
    for device in ("cpu", "vulkan"):
        dump = c.path(f"{label}_{device}.f32")
        if os.path.exists(dump):
            os.remove(dump)
        out, err = run(c, ["--model", c.model(name), *args, "--device", device, "--dump-logits", dump])
        outs.append(out)
        dumps.append(dump)
        if device == "vulkan" and "--json" not in args:
            last = err.strip().splitlines()[-1]
            check("| device vulkan, " in last and "GPU memory" in last and "KV" in last,
                  f"{label}: the summary line does not name the device and its memory: {last!r}")
    return outs[0], outs[1], dumps[0], dumps[1]


def same_dumps(label, cpu, gpu, rows):
    size = os.path.getsize(cpu)
    check(size == rows * g.N_VOCAB * 4, f"{label}: the cpu dump has {size} bytes, expected {rows} rows")
    check(filecmp.cmp(cpu, gpu, shallow=False), f"{label}: the vulkan --dump-logits file differs from the cpu one "
          f"(cmp {cpu} {gpu})")


def check_parity(c):
    """--device vulkan streams the same text and dumps the same logits bytes as --device cpu."""
    # Greedy: the GPU's argmax picks the tokens (and the logits still come back for the dump).
    cpu, gpu, dc, dg = both(c, g.QWEN3, ["--prompt", "Hi there", "-n", 3, "--temp", 0], "greedy")
    check(cpu == gpu, f"greedy: streamed text differs: cpu {cpu!r}, vulkan {gpu!r}")
    P = len(c.tokenize(c.model(g.QWEN3), "Hi there"))
    same_dumps("greedy", dc, dg, P + 2)
    print(f"ok {g.QWEN3}: greedy, {P} prompt tokens + 3: identical text and {P + 2} dumped rows")

    # Sampled (the default chain: temperature, top-k, top-p, min-p): drawn on the GPU, the same ids.
    args = ["--prompt", "Hi there", "-n", 4, "--seed", 3, "--json"]
    cpu, gpu, dc, dg = both(c, g.QWEN2, args, "sampled")
    ids = [[json.loads(line)["id"] for line in out.splitlines()[:-1]] for out in (cpu, gpu)]
    check(ids[0] == ids[1], f"sampled: token ids differ: cpu {ids[0]}, vulkan {ids[1]}")
    summary = json.loads(gpu.splitlines()[-1])["summary"]
    check(summary["device"] == "vulkan" and summary["device_name"] and summary["gpu_sampling"] is True,
          f"sampled: summary {summary}")
    check(summary["gpu_memory_bytes"] == summary["weight_bytes"] + summary["kv_bytes"] + summary["scratch_bytes"]
          and summary["weight_bytes"] > 0 and summary["kv_bytes"] > 0, f"sampled: memory fields {summary}")
    check(json.loads(cpu.splitlines()[-1])["summary"]["device"] == "cpu", "the cpu summary does not say cpu")
    same_dumps("sampled", dc, dg, summary["prompt_tokens"] + 3)
    print(f"ok {g.QWEN2}: sampled ids {ids[1]} identical, dumps identical; summary on {summary['device_name']}: "
          f"{summary['gpu_memory_bytes']} bytes of GPU memory")

    # A prompt of two prefill chunks without a dump: only token ids come back from the GPU. Sampled,
    # the first token's draw is taken once before prefill and every chunk draws with it.
    for label, extra in (("greedy", ["--temp", 0]), ("sampled", ["--temp", "1.2", "--top-k", 40, "--seed", 5])):
        outs = []
        for device in ("cpu", "vulkan"):
            out, _ = run(c, ["--model", c.model(g.QWEN2), "--prompt", g.LONG_PROMPT, "-n", 3, *extra, "--json",
                             "--device", device])
            outs.append(out)
        ids = [[json.loads(line)["id"] for line in out.splitlines()[:-1]] for out in outs]
        summary = json.loads(outs[1].splitlines()[-1])["summary"]
        check(ids[0] == ids[1], f"long {label}: ids differ: cpu {ids[0]}, vulkan {ids[1]}")
        check(summary["gpu_sampling"] is True and summary["prompt_tokens"] == 77, f"long {label}: summary {summary}")
        print(f"ok {g.QWEN2}: 77-token prompt, {label} on the GPU -> ids {ids[1]} as on the cpu")

    # Hotter draws over more tokens, and settings the GPU leaves to the CPU (--top-k 0: the whole
    # vocabulary): ids identical either way; the summary says where the token was drawn. (The Q8_0
    # model: on lavapipe its LM head takes ~0.2 s, the Q4_K_M model's Q6_K one ~2.5 s.)
    for extra, on_gpu in ((["--temp", "1.7", "--top-k", "128", "--top-p", "0.9", "--min-p", "0.01"], True),
                          (["--temp", "1.2", "--top-k", "7", "--top-p", "1", "--min-p", "0"], True),
                          (["--temp", "1.0", "--top-k", "0"], False)):
        outs = []
        for device in ("cpu", "vulkan"):
            out, _ = run(c, ["--model", c.model(g.QWEN2), "--prompt", "Hi there", "-n", 10, "--seed", 11, "--json",
                             *extra, "--device", device])
            outs.append(out)
        ids = [[json.loads(line)["id"] for line in out.splitlines()[:-1]] for out in outs]
        summary = json.loads(outs[1].splitlines()[-1])["summary"]
        check(ids[0] == ids[1], f"sampled {extra}: ids differ: cpu {ids[0]}, vulkan {ids[1]}")
        check(summary["gpu_sampling"] is on_gpu, f"sampled {extra}: gpu_sampling should be {on_gpu}: {summary}")
        check(len(set(ids[1])) > 1, f"sampled {extra}: one id repeated, the draw is not exercised: {ids[1]}")
        print(f"ok {g.QWEN2}: sampled {' '.join(extra)} on the {'GPU' if on_gpu else 'CPU'} -> ids {ids[1]} as on the cpu")

    # Greedy with a repetition penalty: the penalty is applied on the CPU, so the logits come back.
    outs = []
    for device in ("cpu", "vulkan"):
        out, _ = run(c, ["--model", c.model(g.QWEN2), "--prompt", "Hi there", "-n", 3, "--temp", 0,
                         "--repeat-penalty", "1.5", "--device", device])
        outs.append(out)
    check(outs[0] == outs[1], f"repeat penalty: text differs: cpu {outs[0]!r}, vulkan {outs[1]!r}")
    print("ok: greedy with --repeat-penalty 1.5 streams the cpu's text")


def check_errors(c):
    """No usable Vulkan device: exit 1 and one line naming --device vulkan and the cause."""
    m = c.model(g.QWEN2)
    cases = [({"QVK_DEVICE": "no-such-gpu"}, ["--device vulkan", "no-such-gpu", "--device cpu"]),
             ({"QVK_DEVICE": "99"}, ["--device vulkan", "QVK_DEVICE=99"]),
             ({"VK_DRIVER_FILES": c.path("no_driver.json"), "VK_ICD_FILENAMES": c.path("no_driver.json")},
              ["--device vulkan", "no usable Vulkan device"])]
    for env, needles in cases:
        out, err = run(c, ["--model", m, "--prompt", "hi", "-n", 1, "--device", "vulkan"], env, expect_rc=1)
        for needle in needles:
            check(needle in err, f"{env}: message lacks {needle!r}: {err!r}")
        check(out == "" and err.count("\n") == 1, f"{env}: expected one line on stderr only: {out!r} {err!r}")
        print(f"ok exit 1 with {env}: {err.strip()[:120]}")
    # --tokenize-file needs no device.
    text = c.write("t.txt", "hi")
    out, _ = run(c, ["--model", m, "--tokenize-file", text, "--device", "vulkan"], cases[0][0])
    check(out.strip() == "[6023]", f"--tokenize-file with --device vulkan: {out!r}")
    help_text, _ = run(c, ["--help"])
    check("vulkan (the GPU" in help_text and "QVK_DEVICE" in help_text, "--help does not describe --device vulkan")
    print("ok: --tokenize-file needs no device; --help describes --device vulkan and QVK_DEVICE")


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("check")
    for flag in ("--generate", "--make", "--corpus-tool", "--source", "--work"):
        ap.add_argument(flag, required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    c = g.Ctx(a)
    if os.path.exists(c.default_model):
        os.remove(c.default_model)
    globals()["check_" + a.check](c)


if __name__ == "__main__":
    main()
