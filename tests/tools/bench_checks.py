#!/usr/bin/env python3
"""`qvk_bench generate` end to end on tiny models (python3 stdlib only).

usage: bench_checks.py CHECK --bench QVK_BENCH --make MAKE --work DIR

  generate        a tied and an untied tiny Q8_0 model (Q8_0: the fastest LM head on lavapipe),
                  a few tokens, --profile: exit 0, a table on stdout, and one JSON line whose
                  fields are all there and agree with each other (runs = reps, medians among
                  the runs, GPU memory = weights + KV + scratch, weight bytes per token from
                  the tensor sizes, roofline = bandwidth / bytes, fraction = tg / roofline)
  usage_errors    bad invocations exit 2 with a message naming the problem (no device needed)
  chart           bench/perf_chart.py on made-up JSON lines (two models, one without a llama.cpp
                  line, two rounds of one): a valid PNG of the expected size, a markdown table
                  with the medians over rounds and the roofline fractions (no device needed)

Runs on whatever Vulkan device the loader offers (lavapipe here; QVK_DEVICE picks one). Speeds
are not checked: nothing here asserts a speed.
"""
import argparse
import json
import os
import subprocess
import sys

N_VOCAB = 151936
Q8_0_ROW_256 = 8 * 34  # one row of hidden 256 in Q8_0: 8 blocks of 34 bytes


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(cmd, expect_rc=0):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode != expect_rc:
        fail(f"{' '.join(map(str, cmd))} exited {p.returncode}, expected {expect_rc}\n"
             f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return p


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def check_generate(a):
    """One JSON line with every field, consistent with itself and with the model file."""
    os.makedirs(a.work, exist_ok=True)
    for tie in ("--tied", "--untied"):
        model = os.path.join(a.work, f"qwen3-tiny{tie[1:]}-q8_0.gguf")
        run([a.make, "--preset", "tiny", tie, "--quant", "q8_0", "--seed", "1", "--threads", "2", "--quiet",
             "--out", model])
        prompt, gen, reps = 3, 2, 1

        def generate(name, *extra):  # a small generate run into work/NAME.json: (result, path)
            path = os.path.join(a.work, f"{name}.json")
            return run([a.bench, "generate", model, "--prompt", prompt, "--gen", gen, "--reps", reps, "--read-mib", 8,
                        "--bw-reps", 2, *extra, "--json", path]), path

        p, js = generate(f"generate{tie[1:]}", "--profile")
        for needle in ("prefill tok/s", "decode tok/s", "median", "GPU memory", "roofline", "profile of one"):
            check(needle in p.stdout, f"{tie}: the table lacks {needle!r}:\n{p.stdout}")
        lines = open(js).read().splitlines()
        check(len(lines) == 1, f"{tie}: {js} has {len(lines)} lines, expected one JSON object")
        j = json.loads(lines[0])
        want = ["engine", "backend", "model", "device", "driver", "protocol", "prefill", "tg_tokens", "ctx", "prompt",
                "gen", "reps", "load_s", "pp_tok_s", "tg_tok_s", "pp_runs", "tg_runs", "gpu_memory_bytes",
                "weight_bytes", "kv_bytes", "scratch_bytes", "dispatches_per_step", "weight_bytes_per_token",
                "read_bw_gb_s", "roofline_tok_s", "tg_fraction_of_roofline", "first_tokens", "tied", "profile", "runtime_off",
                "profile_total_us"]
        missing = [k for k in want if k not in j]
        check(not missing, f"{tie}: JSON lacks {missing}: {j}")
        check(j["engine"] == "qvk" and j["protocol"] == "after-prompt" and j["device"], f"{tie}: {j}")
        check((j["prompt"], j["gen"], j["reps"], j["ctx"]) == (prompt, gen, reps, prompt + gen + 1),
              f"{tie}: counts {j['prompt']}, {j['gen']}, {j['reps']}, ctx {j['ctx']}")
        check(len(j["pp_runs"]) == reps and len(j["tg_runs"]) == reps, f"{tie}: runs {j['pp_runs']} {j['tg_runs']}")
        check(j["pp_tok_s"] in j["pp_runs"] and j["tg_tok_s"] in j["tg_runs"], f"{tie}: the medians are not runs")
        check(all(x > 0 for x in j["pp_runs"] + j["tg_runs"]), f"{tie}: a run has no speed")
        check(j["gpu_memory_bytes"] == j["weight_bytes"] + j["kv_bytes"] + j["scratch_bytes"],
              f"{tie}: GPU memory is not weights + KV + scratch")
        check(j["tied"] == (tie == "--tied"), f"{tie}: tied is {j['tied']}")
        # The runtime uploads every tensor as stored; a step reads all but the embedding table,
        # of which one row, plus the table again when it is the LM head.
        table = N_VOCAB * Q8_0_ROW_256
        expect = j["weight_bytes"] + Q8_0_ROW_256 - (0 if j["tied"] else table)
        check(j["weight_bytes_per_token"] == expect,
              f"{tie}: weight_bytes_per_token {j['weight_bytes_per_token']}, expected {expect}")
        check(j["kv_bytes"] == 2 * 2 * j["ctx"] * 2 * 64 * 2, f"{tie}: kv_bytes {j['kv_bytes']} (2 layers, f16)")
        check(close(j["roofline_tok_s"], j["read_bw_gb_s"] * 1e9 / j["weight_bytes_per_token"], 0.01),
              f"{tie}: roofline {j['roofline_tok_s']} != bandwidth / bytes")
        check(close(j["tg_fraction_of_roofline"], j["tg_tok_s"] / j["roofline_tok_s"], 0.02),
              f"{tie}: fraction {j['tg_fraction_of_roofline']} != tg / roofline")
        check(len(j["first_tokens"]) == gen + 1 and all(0 <= t < N_VOCAB for t in j["first_tokens"]),
              f"{tie}: first_tokens {j['first_tokens']}")
        check(sum(p["count"] for p in j["profile"]) == j["dispatches_per_step"],
              f"{tie}: the profile has {sum(p['count'] for p in j['profile'])} dispatches, the step "
              f"{j['dispatches_per_step']}")
        print(f"ok {tie}: pp {j['pp_tok_s']} tok/s, tg {j['tg_tok_s']} tok/s, {j['weight_bytes_per_token']} bytes/token, "
              f"{j['dispatches_per_step']} dispatches per step, on {j['device']}")
        check(j["runtime_off"] == [], f"{tie}: runtime_off {j['runtime_off']} without --off")
        # --off: the A/B switch reaches the runtime (the SwiGLU is its own dispatch again in both
        # layers) and the JSON says what was off; the first tokens (greedy) do not change.
        _, js_off = generate(f"generate{tie[1:]}_off", "--off", "fuse_swiglu_quantize")
        k = json.loads(open(js_off).read().splitlines()[0])
        check(k["runtime_off"] == ["fuse_swiglu_quantize"], f"{tie}: runtime_off {k['runtime_off']}")
        check(k["dispatches_per_step"] == j["dispatches_per_step"] + 2,
              f"{tie}: --off fuse_swiglu_quantize: {k['dispatches_per_step']} dispatches, fused "
              f"{j['dispatches_per_step']} (expected 2 more)")
        check(k["first_tokens"] == j["first_tokens"], f"{tie}: --off changed the tokens")
        print(f"ok {tie}: --off fuse_swiglu_quantize -> {k['dispatches_per_step']} dispatches, same tokens")
        # --profile profiles the prompt's first chunk-size tokens as one batched submit, and its
        # last ones only when the prompt is longer than that: here 3 tokens, chunk 2, the last
        # at positions 1 .. 2.
        check("prefill_profile" in j and "prefill_profile_last" not in j,
              f"{tie}: a 3-token prompt in one submit: prefill profiles {[x for x in j if 'prefill_profile' in x]}")
        q, js_last = generate(f"generate{tie[1:]}_last", "--profile", "--prefill-chunk", 2)
        check("the prompt's last 2 tokens as one batched submit, positions 1 .. 2" in q.stdout,
              f"{tie}: --prefill-chunk 2: the table lacks the last tokens' profile:\n{q.stdout}")
        m = json.loads(open(js_last).read().splitlines()[0])
        first_n = sum(p["count"] for p in m["prefill_profile"])
        last_n = sum(p["count"] for p in m["prefill_profile_last"])
        check(first_n == last_n > 0, f"{tie}: first submit {first_n} dispatches, last {last_n}")
        print(f"ok {tie}: --prefill-chunk 2 --profile: first and last tokens, {last_n} dispatches each")
        os.remove(model)


def check_usage_errors(a):
    """Bad invocations exit 2 and say why, before any device is opened."""
    cases = [
        (["generate"], "generate needs a MODEL"),
        (["generate", "/nonexistent/m.gguf"], "no such model file"),
        (["generate", "m.gguf", "--filter", "q4"], "--filter is not an option of 'generate'"),
        (["ops", "--prompt", "4"], "--prompt is not an option of 'ops'"),
        (["generate", "m.gguf", "--gen", "0"], "--gen must be an integer in [1,"),
        (["generate", "m.gguf", "--frobnicate"], "unknown option '--frobnicate'"),
        (["generate", "m.gguf", "--off", "turbo"], "--off takes one of replay, fuse_residual"),
        (["ops", "--off", "replay"], "--off is not an option of 'ops'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ]
    for args, needle in cases:
        p = run([a.bench, *args], expect_rc=2)
        check(needle in p.stderr, f"qvk_bench {' '.join(args)}: stderr lacks {needle!r}:\n{p.stderr}")
        print(f"ok exit 2: qvk_bench {' '.join(args)}")


def png_size(path):
    """(width, height) of a PNG after checking its signature and every chunk's CRC."""
    import struct
    import zlib
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature")
    at, size, kinds = 8, None, []
    while at < len(data):
        n, = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        crc, = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        check(zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path}: bad CRC in chunk {kind}")
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        at += 12 + n
    check(kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, f"{path}: chunks {kinds}")
    return size


def check_chart(a):
    """perf_chart.py: medians over rounds, fractions of the roofline, a well-formed PNG."""
    os.makedirs(a.work, exist_ok=True)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "perf_chart.py")
    jl = os.path.join(a.work, "made_up.jsonl")
    q = {"engine": "qvk", "device": "Test GPU", "prompt": 512, "gen": 128, "weight_bytes_per_token": 4e8,
         "read_bw_gb_s": 3000.0, "roofline_tok_s": 7500.0, "gpu_memory_bytes": 8e8}
    lines = ["# a comment line", json.dumps({"meta": {"date": "D", "host": "H", "qvk_commit": "C", "llama_cpp": "L",
                                                       "prompt": 512, "gen": 128, "reps": 3, "rounds": 2}})]
    for tg, pp in ((300.0, 400.0), (500.0, 450.0)):  # two rounds of model a: medians 400 and 425
        lines.append(json.dumps(dict(q, model="/m/a.gguf", tg_tok_s=tg, pp_tok_s=pp, tg_runs=[tg], pp_runs=[pp])))
        lines.append(json.dumps({"engine": "llama.cpp", "model": "/x/a.gguf", "device": "Test GPU", "prompt": 512,
                                 "gen": 128, "tg_tok_s": 200.0, "pp_tok_s": 9000.0, "tg_runs": [200.0],
                                 "pp_runs": [9000.0], "gpu_memory_bytes": 9e8}))
    lines.append(json.dumps(dict(q, model="b.gguf", tg_tok_s=75.0, pp_tok_s=50.0, tg_runs=[75.0], pp_runs=[50.0],
                                 roofline_tok_s=750.0)))
    open(jl, "w").write("\n".join(lines) + "\n")
    png, md = os.path.join(a.work, "chart.png"), os.path.join(a.work, "table.md")
    p = run([sys.executable, src, jl, png, "--table", md])
    table = open(md).read()
    check(p.stdout == table, "the table on stdout differs from --table's file")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in table.splitlines() if line.startswith("| ") and "model" not in line}
    check(set(rows) == {"a.gguf", "b.gguf"}, f"table rows {sorted(rows)}")
    # columns: MB/token, roofline, qvk tg, llama tg, ratio, qvk %, llama %, qvk pp, llama pp, qvk MB, llama MB
    check(rows["a.gguf"][:9] == ["400.0", "7,500", "400.0", "200.0", "2.00x", "5.3%", "2.7%", "425.0", "9,000.0"],
          f"row a.gguf: {rows['a.gguf']}")
    check(rows["b.gguf"][3] == "n/a" and rows["b.gguf"][5] == "10.0%", f"row b.gguf: {rows['b.gguf']}")
    check("Test GPU" in table and "D, host H" in table, "the table lacks the device or the meta line")
    w, h = png_size(png)
    check(w >= 2 * 340 and h > 600, f"PNG size {w}x{h}")
    print(f"ok: table with {len(rows)} models, PNG {w}x{h}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check", choices=["generate", "usage_errors", "chart"])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--make", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    {"generate": check_generate, "usage_errors": check_usage_errors, "chart": check_chart}[a.check](a)
    print("PASS")


if __name__ == "__main__":
    main()
