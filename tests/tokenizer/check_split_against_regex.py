#!/usr/bin/env python3
"""Differential check of qvk's hand-written pre-tokenizer split against the
original tokenizer.json regexes, run by the `regex` module (which knows
\\p{..}). Offline tool, not a ctest: `regex` is not a project dependency.

    python3 tests/tokenizer/check_split_against_regex.py build/tests/tokenizer/qvk_tokenizer_split_dump

Random strings over an alphabet that hits every rule (contractions, digits,
ASCII and Unicode white space, newlines, marks, CJK, emoji, unassigned code
points). Exit status 1 on any mismatch.
"""
import random
import subprocess
import sys

import regex

PATTERNS = {
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen35": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}
ALPHABET = list("aZs'tTlLrReEvVdDmM 0 9!?.,-") + [
    "\n", "\r", "\t", " ", " ", "\u00a0", "\u3000", "\u2028", "\u0301", "\u0e31", "\u4e2d", "\U0001F600",
    "\u0660", "\u2167", "\u00e9", "\x0b", "\x1c", "\u0085", "\u200b", "\U000E0100", "\U0010FFFF", "\u0378"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = random.Random(99)
    cases = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14))) for _ in range(20000)]
    failed = False
    for name, pattern in PATTERNS.items():
        rx = regex.compile(pattern)
        stdin = b"".join(c.encode("utf-8") + b"\0" for c in cases)
        lines = subprocess.run([sys.argv[1], name], input=stdin, capture_output=True, check=True).stdout.decode().split("\n")
        bad = 0
        for case, line in zip(cases, lines):
            expected = [len(m.encode("utf-8")) for m in rx.findall(case)]
            got = [int(x) for x in line.split()]
            if expected != got:
                bad += 1
                if bad <= 5:
                    print(f"{name}: {case!r}: regex {expected}, qvk {got}")
        print(f"{name}: {len(cases) - bad}/{len(cases)} splits agree")
        failed |= bad > 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
