#!/usr/bin/env python3
"""End-to-end checks of example_generate on tiny models (python3 stdlib only).

usage: generate_checks.py CHECK --generate EXE --make MAKE --corpus-tool TOOL --source DIR --work DIR

`models` (the ctest fixture) writes the tiny models into WORK/../models; every other CHECK is one
ctest test that prints what it verified and exits non-zero on the first failure. Every run has
QVK_DEFAULT_MODEL pointing into WORK, and each check asserts that no demo model was written there:
a test must never make the program write the 400 MB demo model by accident.

The --dump-logits layout (examples/example_generate/main.cpp): one row of n_vocab little-endian
float32 per evaluated position. First the P prompt positions (row r = logits after prompt tokens
0..r, so row P-1 predicts generated token 0), then one row per generated token that was fed back
(all but the last one, which is never evaluated): row P-1+j predicts generated token j. Hence
(P + G - 1) rows for G generated tokens, whether generation stopped at -n or at end-of-generation.
"""
import argparse
import array
import json
import os
import subprocess
import sys

N_VOCAB = 151936
QWEN3 = "qwen3-tiny-q4_k_m.gguf"  # tied head (Q6_K), K-quant blocks of 256
QWEN2 = "qwen2-tiny-untied-q8_0.gguf"  # QKV bias, untied Q8_0 head, blocks of 32
# 77 tokens: spans two prefill chunks of 64 (chunking is part of what the thread check covers).
LONG_PROMPT = ("The quick brown fox jumps over the lazy dog while seven wizards quietly brew potions. "
               "Meanwhile, 12345 bytes of data flow through the network; nobody notices the glitch. "
               "Then the sun sets over the hills and everything becomes calm again. The old lighthouse keeper "
               "lights his lamp, counts the ships (three, maybe four) and writes it all down in his log.")
# Full-vocabulary sampling: random-weight logits are flat, so different seeds diverge quickly.
SAMPLE_ALL = ["--temp", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0"]


class Ctx:
    def __init__(self, a):
        self.a = a
        self.models = os.path.join(os.path.dirname(os.path.abspath(a.work)), "models")
        self.default_model = os.path.join(a.work, "demo_model_must_not_be_written.gguf")

    def model(self, name):
        path = os.path.join(self.models, name)
        if not os.path.exists(path):
            fail(f"{path} is missing: run the fixture test examples.generate_models first")
        return path

    def gen(self, args, expect_rc=0, binary=False):
        env = dict(os.environ, QVK_DEFAULT_MODEL=self.default_model)
        cmd = [self.a.generate, *map(str, args)]
        p = subprocess.run(cmd, capture_output=True, env=env)
        if expect_rc is not None and p.returncode != expect_rc:
            fail(f"{' '.join(cmd)} exited {p.returncode}, expected {expect_rc}\n"
                 f"stdout: {p.stdout[-2000:]!r}\nstderr: {p.stderr.decode(errors='replace')[-2000:]}")
        if os.path.exists(self.default_model):
            fail(f"{' '.join(cmd)} wrote the demo model {self.default_model}")
        out = p.stdout if binary else p.stdout.decode("utf-8")
        return out, p.stderr.decode("utf-8", errors="replace")

    def path(self, name):
        return os.path.join(self.a.work, name)

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def tokenize(self, model, text, *extra):
        out, _ = self.gen(["--model", model, "--tokenize-file", self.write("tok.txt", text), *extra])
        return json.loads(out)

    def run_json(self, args):
        out, _ = self.gen([*args, "--json"])
        lines = [json.loads(line) for line in out.splitlines()]
        if not lines or "summary" not in lines[-1]:
            fail(f"--json output does not end with a summary object: {out[-500:]!r}")
        return lines[:-1], lines[-1]["summary"]


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_rows(path):
    raw = open(path, "rb").read()
    check(len(raw) % (4 * N_VOCAB) == 0, f"{path}: {len(raw)} bytes is not a whole number of rows")
    data = array.array("f")
    data.frombytes(raw)
    if sys.byteorder != "little":
        data.byteswap()
    return [data[i * N_VOCAB:(i + 1) * N_VOCAB] for i in range(len(data) // N_VOCAB)]


def argmax_lowest(row):
    best = 0
    for i in range(1, len(row)):
        if row[i] > row[best]:  # strict: a tie keeps the lower id
            best = i
    return best


# ---- checks -----------------------------------------------------------------------------

def check_models(c):
    """Fixture: the tiny models every other check uses (same seed, same bytes every time)."""
    os.makedirs(c.models, exist_ok=True)
    for name, args in ((QWEN3, ["--arch", "qwen3", "--quant", "q4_k_m"]),
                       (QWEN2, ["--arch", "qwen2", "--untied", "--quant", "q8_0"])):
        path = os.path.join(c.models, name)
        p = subprocess.run([c.a.make, "--preset", "tiny", *args, "--seed", "1", "--threads", "2", "--quiet",
                            "--out", path], capture_output=True, text=True)
        check(p.returncode == 0, f"qvk_make_model {name} failed: {p.stderr}")
        print(f"ok: wrote {path}")


def check_usage_errors(c):
    """Bad invocations: exit 2 for usage, 1 for a bad file, and the message names the flag or file."""
    m = c.model(QWEN3)
    missing = c.path("no_such_model.gguf")
    prompt_file = c.write("prompt.txt", "hello")
    long_prompt = " ".join(["word"] * 20)
    cases = [
        (["--model", missing, "--prompt", "hi"], 2, [missing, "--model"]),
        (["--model", m, "--prompt", "hi", "--bogus"], 2, ["unknown flag --bogus"]),
        (["--model", m, "--prompt", "hi", "--prompt-file", prompt_file], 2, ["--prompt", "--prompt-file"]),
        (["--model", m], 2, ["--prompt", "--prompt-file"]),
        (["--model", m, "--prompt", "hi", "stray"], 2, ["unexpected argument 'stray'"]),
        (["--model", m, "--prompt"], 2, ["--prompt expects a value"]),
        (["--model", m, "--prompt-file", c.path("no_prompt.txt")], 2, ["--prompt-file", c.path("no_prompt.txt")]),
        (["--model", m, "--tokenize-file", c.path("no_text.txt")], 2, ["--tokenize-file", c.path("no_text.txt")]),
        (["--model", m, "--prompt", "hi", "--tokenize-file", prompt_file], 2, ["--tokenize-file"]),
        (["--model", m, "--prompt", "hi", "--no-parse-special"], 2, ["--no-parse-special"]),
        (["--model", m, "--prompt", long_prompt, "--ctx", "20"], 2, ["prompt has 20 tokens", "--ctx 20"]),
        (["--model", m, "--prompt", "hi", "--ctx", "16", "-n", "16"], 2, ["-n 16 past the context", "--ctx 16"]),
        (["--model", m, "--prompt", "hi", "--ctx", "5000"], 2, ["--ctx 5000", "4096"]),
        (["--model", m, "--prompt", "hi", "--ctx", "0"], 2, ["--ctx"]),
        (["--model", m, "--prompt", "hi", "-n", "0"], 2, ["-n"]),
        (["--model", m, "--prompt", "hi", "-n", "x"], 2, ["-n expects"]),
        (["--model", m, "--prompt", "hi", "--threads", "0"], 2, ["--threads"]),
        (["--model", m, "--prompt", "hi", "--device", "tpu"], 2, ["--device", "tpu"]),
        (["--model", m, "--prompt", "hi", "--think"], 2, ["--think", "--chat"]),
        (["--model", m, "--prompt", "hi", "--no-think"], 2, ["--no-think", "--chat"]),
        (["--model", m, "--prompt", "hi", "--chat", "--think", "--no-think"], 2, ["--think", "--no-think"]),
        (["--model", m, "--prompt", "hi", "--dump-logits", c.path("no_dir/l.f32")], 2,
         ["--dump-logits", c.path("no_dir/l.f32")]),
        (["--model", c.a.work, "--prompt", "hi"], 1, [c.a.work]),  # a directory
        # A valid GGUF that is not a model: the bundled vocabulary.
        (["--model", os.path.join(c.a.source, "data/qwen-vocab/ggml-vocab-qwen3.gguf"), "--prompt", "hi"], 1,
         ["ggml-vocab-qwen3.gguf", "required key is missing"]),
    ]
    sampler_cases = [
        (["--top-p", "2"], ["--top-p", "top_p", "got 2"]),
        (["--top-p", "0"], ["--top-p", "top_p"]),
        (["--min-p", "1.5"], ["--min-p", "min_p"]),
        (["--temp", "-1"], ["--temp", "temperature"]),
        (["--temp", "nan"], ["--temp", "temperature"]),
        (["--repeat-penalty", "0"], ["--repeat-penalty", "repeat_penalty"]),
        (["--top-k", "-1"], ["--top-k"]),
        (["--temp", "warm"], ["--temp expects a number, got 'warm'"]),
    ]
    for args, needles in sampler_cases:
        cases.append((["--model", m, "--prompt", "hi", *args], 2, needles))
        # Without --model the flags are checked before the demo model would be written (c.gen asserts).
        cases.append((["--prompt", "hi", *args], 2, needles))
    for args, rc, needles in cases:
        out, err = c.gen(args, expect_rc=rc)
        for needle in needles:
            check(needle in err, f"example_generate {' '.join(args)}: message lacks {needle!r}: {err.strip()}")
        check(out == "", f"example_generate {' '.join(args)}: printed to stdout on error: {out[:200]!r}")
        check(err.count("\n") == 1, f"example_generate {' '.join(args)}: expected a one-line message: {err!r}")
        print(f"ok exit {rc}: {' '.join(args)[-70:]} -> {err.strip()[:110]}")
    out, _ = c.gen(["--help"])
    check(out.startswith("usage: example_generate"), "--help does not print the usage")
    print(f"ok: {len(cases)} bad invocations rejected; --help prints the usage")


def check_malformed_models(c):
    """Every file of the malformed-GGUF corpus: exit 1, and the message names the file and the fault."""
    corpus = c.path("corpus")
    os.makedirs(corpus, exist_ok=True)
    p = subprocess.run([c.a.corpus_tool, corpus], capture_output=True, text=True)
    check(p.returncode == 0, f"qvk_gguf_corpus failed: {p.stderr}")
    n = 0
    with open(os.path.join(corpus, "manifest.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            name, needle = line.rstrip("\n").split("\t", 1)
            path = os.path.join(corpus, name)
            for mode in (["--prompt", "hi"], ["--tokenize-file", c.write("t.txt", "hi")]):
                out, err = c.gen(["--model", path, *mode], expect_rc=1)
                check(path in err and needle in err, f"{name}: expected {path!r} and {needle!r} in: {err.strip()}")
                check(out == "", f"{name}: printed to stdout on error")
            n += 1
    check(n >= 25, f"the corpus has only {n} files")
    print(f"ok: {n} malformed models rejected with exit 1, file and fault named")


def read_vectors(source, name):
    base = os.path.join(source, "tests/tokenizer/data", f"ggml-vocab-{name}.gguf")
    inputs = open(base + ".inp", encoding="utf-8", newline="").read().split("\n__ggml_vocab_test__\n")
    outputs = open(base + ".out", encoding="utf-8").read().splitlines()
    check(len(outputs) <= len(inputs), f"{base}: more outputs than inputs")
    return [(inputs[k], [int(x) for x in outputs[k].split()]) for k in range(len(outputs))]


def check_tokenize(c):
    """--tokenize-file prints llama.cpp's ids for its test texts; --no-parse-special keeps <|...|> as text."""
    m = c.model(QWEN3)
    vectors = read_vectors(c.a.source, "qwen2")
    # The five longest texts (the last one mixes emoji, Khmer, CJK, Cyrillic, digits and quotes).
    chosen = sorted(vectors, key=lambda v: len(v[1]), reverse=True)[:5]
    check(len(chosen[0][1]) > 100, "the test vectors lost their long text")
    for text, want in chosen:
        for extra in ([], ["--no-parse-special"]):  # no control tokens in these texts: same ids
            got = c.tokenize(m, text, *extra)
            check(got == want, f"--tokenize-file {extra} of {text[:40]!r}: got {got[:20]}..., expected {want[:20]}...")
    print(f"ok: {len(chosen)} vector texts (up to {len(chosen[0][1])} tokens) tokenize to llama.cpp's ids")

    text = "<|im_start|>user\nHi<|im_end|>\n"
    special = c.tokenize(m, text)
    plain = c.tokenize(m, text, "--no-parse-special")
    check(special == [151644, 872, 198, 13048, 151645, 198], f"parsed specials: {special}")
    check(151644 not in plain and 151645 not in plain and len(plain) > len(special),
          f"--no-parse-special still produced control tokens: {plain}")
    print(f"ok: {text!r} -> {special} with specials, {len(plain)} plain tokens with --no-parse-special")
    check(c.tokenize(m, "") == [], "empty text does not give []")
    out, _ = c.gen(["--model", m, "--prompt", "<|im_start|>", "-n", "1", "--json", "--temp", "0"])
    check(json.loads(out.splitlines()[-1])["summary"]["prompt_tokens"] == 1, "--prompt does not parse specials")
    print("ok: empty text -> []; --prompt parses <|im_start|> as one token")


def check_json_stream(c):
    """--json: one object per token then a summary; the texts add up to the streamed text of the same run."""
    ends_inside_char = 0
    # Qwen2 seed 21 ends inside a UTF-8 character (see the guard below).
    runs = [(QWEN3, seed) for seed in range(4)] + [(QWEN2, 21)]
    for name, seed in runs:
        args = ["--model", c.model(name), "--prompt", "hi", "-n", "5", *SAMPLE_ALL, "--seed", seed, "--threads", "1"]
        tokens, summary = c.run_json(args)
        check(len(tokens) == summary["generated_tokens"] == 5, f"seed {seed}: {len(tokens)} objects, {summary}")
        check(summary["prompt_tokens"] == 1 and summary["stop"] == "length", f"seed {seed}: {summary}")
        for i, t in enumerate(tokens):
            check(set(t) == {"index", "id", "text", "eog"}, f"seed {seed}: fields {sorted(t)}")
            check(t["index"] == i and 0 <= t["id"] < N_VOCAB and t["eog"] is False, f"seed {seed}: {t}")
        streamed, _ = c.gen(args)
        check(streamed.startswith("hi") and streamed.endswith("\n"), f"seed {seed}: streamed {streamed!r}")
        joined = "".join(t["text"] for t in tokens)
        check(joined == streamed[2:-1], f"seed {seed}: --json texts {joined!r} != streamed {streamed[2:-1]!r}")
        ends_inside_char += joined.endswith("\ufffd")
    # Guard: at least one run ends inside a UTF-8 character, so the flush of an unfinished character
    # at the last token is covered in both modes (it once was missing from --json).
    check(ends_inside_char > 0, "no run ended with U+FFFD: the flush at the last token is not exercised; "
          "pick other seeds")
    print(f"ok: {len(runs)} runs, --json texts == streamed text ({ends_inside_char} ending in U+FFFD)")


def check_determinism(c):
    """Same seed: the same token ids; another seed: other ids; --temp 0 ignores the seed."""
    m = c.model(QWEN3)
    base = ["--model", m, "--prompt", "Once upon a time", "-n", "12", *SAMPLE_ALL, "--threads", "2"]
    ids = {}
    for seed in (1, 1, 2):
        tokens, _ = c.run_json([*base, "--seed", seed])
        ids.setdefault(seed, []).append([t["id"] for t in tokens])
    check(ids[1][0] == ids[1][1], f"seed 1 twice: {ids[1][0]} vs {ids[1][1]}")
    check(ids[1][0] != ids[2][0], f"seeds 1 and 2 gave the same ids {ids[1][0]}")
    check(len(set(ids[1][0])) > 3, f"seed 1 barely varies: {ids[1][0]}")
    greedy = [[t["id"] for t in c.run_json([*base, "--temp", "0", "--seed", s])[0]] for s in (1, 2)]
    check(greedy[0] == greedy[1], f"--temp 0 depends on the seed: {greedy}")
    print(f"ok: seed 1 twice -> {ids[1][0]}; seed 2 -> {ids[2][0]}; greedy seed-independent")


def check_dump_logits(c):
    """--dump-logits writes (P + G - 1) rows; with --temp 0 each token is the argmax (lowest id on ties)."""
    for name in (QWEN3, QWEN2):
        m = c.model(name)
        dump = c.path("dump.f32")
        tokens, summary = c.run_json(["--model", m, "--prompt", LONG_PROMPT, "-n", "6", "--temp", "0",
                                      "--dump-logits", dump, "--threads", "2"])
        P, G = summary["prompt_tokens"], summary["generated_tokens"]
        check(P == 77 and G == len(tokens) == 6, f"{name}: P {P}, G {G}")
        size = os.path.getsize(dump)
        check(size == (P + G - 1) * N_VOCAB * 4, f"{name}: dump has {size} bytes, expected ({P} + {G} - 1) x "
              f"{N_VOCAB} x 4 = {(P + G - 1) * N_VOCAB * 4}")
        rows = read_rows(dump)
        for j, t in enumerate(tokens):
            want = argmax_lowest(rows[P - 1 + j])
            check(t["id"] == want, f"{name}: generated token {j} is {t['id']}, argmax of row {P - 1 + j} is {want}")
        check(len({tuple(r[:64]) for r in rows}) == len(rows), f"{name}: some dumped rows are identical")
        # Row P-1 of the dump equals the last row of a run over the prompt alone (no generation rows).
        alone = c.path("alone.f32")
        c.run_json(["--model", m, "--prompt", LONG_PROMPT, "-n", "1", "--temp", "0", "--dump-logits", alone,
                    "--threads", "2"])
        rows_alone = read_rows(alone)
        check(len(rows_alone) == P and rows_alone == rows[:P], f"{name}: -n 1 dump is not the first {P} rows")
        print(f"ok {name}: {P} prompt + {G} generated -> {len(rows)} rows; greedy ids == row argmax; "
              "-n 1 dump == its prefix")
    # Argmax ties: the rule is the sampler's (lowest id wins); argmax_lowest mirrors it, and a
    # synthetic check of the helper keeps the comparison honest.
    check(argmax_lowest([1.0, 3.0, 3.0, 2.0]) == 1, "argmax helper")


def check_threads(c):
    """The logits do not depend on --threads: 1 and 2 threads write identical dumps (prompt > 64 tokens)."""
    for name in (QWEN3, QWEN2):
        m = c.model(name)
        dumps = []
        for threads in (1, 2):
            dump = c.path(f"threads{threads}.f32")
            tokens, summary = c.run_json(["--model", m, "--prompt", LONG_PROMPT, "-n", "4", *SAMPLE_ALL, "--seed", 3,
                                          "--dump-logits", dump, "--threads", threads])
            check(summary["threads"] == threads, f"summary says {summary['threads']} threads")
            dumps.append((open(dump, "rb").read(), [t["id"] for t in tokens]))
        check(dumps[0][1] == dumps[1][1], f"{name}: ids differ between 1 and 2 threads: {dumps[0][1]} {dumps[1][1]}")
        check(len(dumps[0][0]) > 0 and dumps[0][0] == dumps[1][0], f"{name}: the dumps for 1 and 2 threads differ")
        print(f"ok {name}: 1 and 2 threads -> identical {len(dumps[0][0])}-byte dumps and ids {dumps[0][1]}")


def check_chunking(c):
    """The logits do not depend on how the prompt is chunked: prefixes of LONG_PROMPT (prefill in
    chunks of 64, so the last chunk holds 1, 4 or 8 tokens, or the first one fewer than 64) give
    bit-identical rows to the full prompt's (last chunk of 13)."""
    cuts = ["Meanwhile,", "(three,", "maybe four)", "writes it all"]  # the prefix ends after these words
    for name in (QWEN3, QWEN2):
        m = c.model(name)
        full_ids = c.tokenize(m, LONG_PROMPT)
        dump = c.path("full.f32")
        c.run_json(["--model", m, "--prompt", LONG_PROMPT, "-n", "1", "--temp", "0", "--dump-logits", dump])
        full = read_rows(dump)
        sizes = []
        for cut in cuts:
            text = LONG_PROMPT[:LONG_PROMPT.index(cut) + len(cut)]
            ids = c.tokenize(m, text)
            check(full_ids[:len(ids)] == ids, f"{cut!r}: the prefix does not tokenize to a prefix of the full ids")
            c.run_json(["--model", m, "--prompt", text, "-n", "1", "--temp", "0", "--dump-logits", dump])
            rows = read_rows(dump)
            check(len(rows) == len(ids), f"{cut!r}: {len(rows)} rows for {len(ids)} tokens")
            for i, row in enumerate(rows):
                if row != full[i]:
                    worst = max(abs(x - y) for x, y in zip(row, full[i]))
                    fail(f"{name}: row {i} of the {len(ids)}-token prefix differs from the {len(full_ids)}-token "
                         f"prompt's (max |diff| {worst:.4g}): logits depend on the chunking (last chunk "
                         f"{len(ids) - 64 if len(ids) > 64 else len(ids)} tokens)")
            sizes.append(len(ids))
        check(any(n == 65 for n in sizes), f"no prefix of 65 tokens (a 1-token chunk): {sizes}")
        print(f"ok {name}: prefixes of {sizes} tokens give the rows of the {len(full_ids)}-token prompt, bit for bit")


def check_chat(c):
    """--chat renders the ChatML user turn; --no-think adds the empty think block (same logits as the
    hand-written prompt); --think (the default) does not."""
    m = c.model(QWEN3)
    user = "Why is the sky blue?"
    turn = f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    empty_think = "<think>\n\n</think>\n\n"
    runs = {}
    for label, args in (("no-think", ["--chat", "--no-think", "--prompt", user]),
                        ("think", ["--chat", "--think", "--prompt", user]),
                        ("default", ["--chat", "--prompt", user]),
                        ("by-hand", ["--prompt", turn + empty_think])):
        dump = c.path(f"chat_{label}.f32")
        common = ["--model", m, "-n", "3", "--temp", "0", "--threads", "2", "--dump-logits", dump]
        streamed, _ = c.gen([*common, *args])
        _, summary = c.run_json([*common, *args])
        runs[label] = (streamed, summary["prompt_tokens"], open(dump, "rb").read())
    check(runs["no-think"][0].startswith(turn + empty_think), f"--no-think prompt: {runs['no-think'][0][:120]!r}")
    check(runs["think"][0].startswith(turn) and not runs["think"][0].startswith(turn + "<think>"),
          f"--think prompt: {runs['think'][0][:120]!r}")
    check(runs["default"][1:] == runs["think"][1:], "--chat without --think/--no-think is not --think")
    want_ids = c.tokenize(m, turn + empty_think)
    check(runs["no-think"][1] == len(want_ids), f"--no-think: {runs['no-think'][1]} prompt tokens, the rendered "
          f"turn has {len(want_ids)}")
    check(want_ids[-4:] == [151667, 271, 151668, 271], f"the think block tokens: {want_ids[-6:]}")
    check(runs["no-think"][2] == runs["by-hand"][2], "--chat --no-think logits differ from the hand-written prompt")
    check(runs["think"][1] == runs["no-think"][1] - 4, "--think should be 4 tokens shorter (<think>\\n\\n</think>\\n\\n)")
    print(f"ok: --chat --no-think = hand-written ChatML + empty think block ({len(want_ids)} tokens, identical "
          f"logits); --think has {runs['think'][1]} tokens")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check")
    ap.add_argument("--generate", required=True)
    ap.add_argument("--make", required=True)
    ap.add_argument("--corpus-tool", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    c = Ctx(a)
    if os.path.exists(c.default_model):
        os.remove(c.default_model)
    globals()["check_" + a.check](c)


if __name__ == "__main__":
    main()
