"""Shared helpers of the peer test drivers (stdlib only): run a tool, fail loudly."""
import json
import subprocess
import sys
import time


class Failure(Exception):
    """An assertion of the test failed; the driver prints it and exits 1."""


def run(cmd, what, capture=True):
    """Runs cmd; returns its stdout. A non-zero exit is a Failure that shows stderr."""
    started = time.monotonic()
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - started
    print(f"  [{took:5.2f} s] {what}", flush=True)
    if proc.returncode != 0:
        shown = "\n".join(x.strip() for x in (proc.stdout or "", proc.stderr) if x.strip())
        raise Failure(f"{what} failed (exit {proc.returncode}):\n  $ {' '.join(str(c) for c in cmd)}\n{shown}")
    return proc.stdout if capture else ""


def run_json(cmd, what):
    out = run(cmd, what)
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        raise Failure(f"{what}: output is not one JSON object ({e}):\n{out[:2000]}")


def main(body):
    """Runs body(); prints PASS/FAIL; exit code 0 or 1."""
    try:
        body()
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
        sys.exit(1)
    print("PASS", flush=True)
