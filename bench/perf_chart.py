#!/usr/bin/env python3
"""bench/perf_chart.py — the JSON lines of bench/compare_gpu.sh as a PNG bar chart and a markdown table.

usage: perf_chart.py JSONFILE OUT.png [--table OUT.md] [--title TEXT]

JSONFILE: one JSON object per line (lines starting with '#' are skipped): `qvk_bench generate`
objects (engine "qvk"), `llama_peer bench --gpu` objects (engine "llama.cpp") and compare_gpu.sh's
{"meta": ...} line. Rows are grouped by the model's file name; with several rounds the median of
the rounds' medians is shown. The chart has one column per model and two rows: decode tok/s
(qvk vs llama.cpp, the roofline ceiling of that model as a dashed line: read bandwidth / weight
bytes per token, both from the qvk run) and prefill tok/s. The table is ready for docs/perf.md.

Python standard library only (no matplotlib on the build machine and none to install): the PNG is
drawn into an RGB buffer with a built-in 5x7 bitmap font (upper case) and written with zlib.
"""
import argparse
import json
import os
import statistics
import struct
import sys
import zlib

# ---- a 5x7 bitmap font: 7 rows of 5 bits each, top row first --------------------------------------
FONT = {
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E), "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F), "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02), "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E), "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E), "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    "A": (0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11), "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E), "D": (0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F), "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F), "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E), "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11), "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11), "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E), "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D), "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E), "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E), "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A), "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04), "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    " ": (0, 0, 0, 0, 0, 0, 0), ".": (0, 0, 0, 0, 0, 0x0C, 0x0C), ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0), "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02), ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "/": (0, 0x01, 0x02, 0x04, 0x08, 0x10, 0), "-": (0, 0, 0, 0x1F, 0, 0, 0), "_": (0, 0, 0, 0, 0, 0, 0x1F),
    "+": (0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0), "=": (0, 0, 0x1F, 0, 0x1F, 0, 0),
    "#": (0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A), "?": (0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04),
    "<": (0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02), ">": (0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08),
    "[": (0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E), "]": (0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E),
    "*": (0, 0x04, 0x15, 0x0E, 0x15, 0x04, 0), "'": (0x04, 0x04, 0x08, 0, 0, 0, 0),
}

WHITE, BLACK, GREY = (255, 255, 255), (40, 40, 40), (200, 200, 200)
QVK, PEER, ROOF = (31, 119, 180), (255, 127, 14), (214, 39, 40)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(WHITE * (w * h))

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x1 <= x0:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def dashed_hline(self, x0, x1, y, color, dash=8, gap=5, thick=2):
        x = x0
        while x < x1:
            self.rect(x, y, min(x + dash, x1), y + thick, color)
            x += dash + gap

    def text(self, x, y, s, color=BLACK, scale=2):
        for ch in s.upper():
            glyph = FONT.get(ch, FONT["?"])
            for r, bits in enumerate(glyph):
                for c in range(5):
                    if bits & (0x10 >> c):
                        self.rect(x + c * scale, y + r * scale, x + (c + 1) * scale, y + (r + 1) * scale, color)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale - scale

    def text_centered(self, cx, y, s, color=BLACK, scale=2):
        self.text(cx - self.text_width(s, scale) // 2, y, s, color, scale)

    def png(self):
        raw = b"".join(b"\0" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---- data ------------------------------------------------------------------------------------------
def load(path):
    meta, rows = {}, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                j = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"perf_chart.py: {path}:{n}: not JSON ({e})")
            if "meta" in j:
                meta = j["meta"]
            elif j.get("engine") in ("qvk", "llama.cpp"):
                rows.append(j)
    if not rows:
        sys.exit(f"perf_chart.py: {path} has no qvk_bench generate / llama_peer bench lines")
    return meta, rows


def summarize(rows):
    """{model name: {"qvk": {...}, "llama.cpp": {...}}}, medians over rounds, in file order."""
    models = {}
    for j in rows:
        name = os.path.basename(j["model"])
        models.setdefault(name, {}).setdefault(j["engine"], []).append(j)
    out = {}
    for name, engines in models.items():
        out[name] = {}
        for engine, runs in engines.items():
            s = {"rounds": len(runs), "pp": statistics.median(r["pp_tok_s"] for r in runs),
                 "tg": statistics.median(r["tg_tok_s"] for r in runs), "device": runs[0].get("device", ""),
                 "gpu_bytes": statistics.median(r.get("gpu_memory_bytes", 0) for r in runs),
                 "tg_runs": [x for r in runs for x in r["tg_runs"]], "pp_runs": [x for r in runs for x in r["pp_runs"]],
                 "prompt": runs[0]["prompt"], "gen": runs[0]["gen"]}
            if engine == "qvk":
                s["roofline"] = statistics.median(r["roofline_tok_s"] for r in runs)
                s["bytes_per_token"] = runs[0]["weight_bytes_per_token"]
                s["read_bw"] = statistics.median(r["read_bw_gb_s"] for r in runs)
            out[name][engine] = s
    return out


def fmt(v, digits=1):
    return "n/a" if v is None else f"{v:,.{digits}f}"


# ---- chart -----------------------------------------------------------------------------------------
def chart(summary, meta, title, path):
    names = list(summary)
    cell_w, cell_h, top, left, gap = 340, 300, 130, 30, 20
    W = left * 2 + len(names) * cell_w + (len(names) - 1) * gap
    legend = ["QVK (VULKAN RUNTIME)", "LLAMA.CPP VULKAN", "ROOFLINE (READ BW / WEIGHT BYTES PER TOKEN)"]
    W = max(W, left * 2 + sum(Canvas.text_width(t) + 70 for t in legend), left * 2 + Canvas.text_width(title))
    H = top + 2 * (cell_h + 60) + 20
    c = Canvas(W, H)
    c.text(left, 14, title, scale=2)
    sub = f"{meta.get('date', '')}  PP{meta.get('prompt', '?')} THEN TG{meta.get('gen', '?')}, MEDIAN OF " \
          f"{meta.get('reps', '?')} RUNS" if meta else ""
    c.text(left, 40, sub, color=(90, 90, 90), scale=2)
    # legend
    x = left
    for color, label in ((QVK, legend[0]), (PEER, legend[1])):
        c.rect(x, 72, x + 18, 90, color)
        c.text(x + 26, 74, label, scale=2)
        x += 26 + Canvas.text_width(label) + 40
    c.dashed_hline(x, x + 36, 80, ROOF)
    c.text(x + 44, 74, legend[2], scale=2)

    for row, (key, label) in enumerate((("tg", "DECODE TOK/S (BATCH 1)"),
                                            ("pp", "PREFILL TOK/S (QVK: TOKEN BY TOKEN UNTIL ISSUE #6)"))):
        y0 = top + row * (cell_h + 60)
        c.text(left, y0, label, scale=2)
        for i, name in enumerate(names):
            s = summary[name]
            x0 = left + i * (cell_w + gap)
            c.text_centered(x0 + cell_w // 2, y0 + 26, name if len(name) <= 27 else name[:26] + "*", scale=2)
            py0, py1 = y0 + 80, y0 + cell_h  # plot area (bars grow up from py1)
            q, p = s.get("qvk"), s.get("llama.cpp")
            roof = q.get("roofline") if (q and key == "tg") else None
            vmax = max([v for v in (q and q[key], p and p[key], roof) if v] + [1e-9]) * 1.12
            c.rect(x0 + 10, py1, x0 + cell_w - 10, py1 + 2, BLACK)  # baseline
            for j, (eng, color, tag) in enumerate(((q, QVK, "QVK"), (p, PEER, "LLAMA.CPP"))):
                bx0 = x0 + 40 + j * 150
                bx1 = bx0 + 110
                c.text_centered((bx0 + bx1) // 2, py1 + 10, tag, scale=2)
                if not eng:
                    c.text_centered((bx0 + bx1) // 2, py1 - 24, "N/A", color=(120, 120, 120), scale=2)
                    continue
                v = eng[key]
                h = (py1 - py0) * v / vmax
                c.rect(bx0, py1 - h, bx1, py1, color)
                c.text_centered((bx0 + bx1) // 2, py1 - h - 20, fmt(v, 0 if v >= 1000 else 1), scale=2)
                if roof:
                    c.text_centered((bx0 + bx1) // 2, py1 - h - 40, f"{100 * v / roof:.0f}%", color=(90, 90, 90),
                                    scale=2)
            if roof:
                ry = py1 - (py1 - py0) * roof / vmax
                c.dashed_hline(x0 + 10, x0 + cell_w - 10, int(ry), ROOF)
                c.text(x0 + 12, int(ry) - 18, f"ROOFLINE {fmt(roof, 0)}", color=ROOF, scale=2)
    with open(path, "wb") as f:
        f.write(c.png())


# ---- table -----------------------------------------------------------------------------------------
def table(summary, meta):
    lines = []
    if meta:
        lines.append(f"{meta.get('date', '?')}, host {meta.get('host', '?')}, qvk {meta.get('qvk_commit', '?')}, "
                     f"llama.cpp {meta.get('llama_cpp', '?')}; prefill of {meta.get('prompt', '?')} tokens, then "
                     f"{meta.get('gen', '?')} tokens decoded one at a time behind it; median of {meta.get('reps', '?')} "
                     f"runs after a warm-up, {meta.get('rounds', '?')} round(s) alternating the engines.")
        lines.append("")
    devices = sorted({e["device"] for s in summary.values() for e in s.values() if e["device"]})
    if devices:
        lines.append("Device: " + "; ".join(devices) + ".")
        lines.append("")
    lines.append("| model | weight MB/token | roofline tok/s | qvk decode tok/s | llama.cpp decode tok/s | qvk / llama.cpp "
                 "| qvk % of roofline | llama.cpp % of roofline | qvk prefill tok/s | llama.cpp prefill tok/s "
                 "| qvk GPU MB | llama.cpp GPU MB |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in summary.items():
        q, p = s.get("qvk"), s.get("llama.cpp")
        roof = q["roofline"] if q else None
        ratio = f"{q['tg'] / p['tg']:.2f}x" if q and p and p["tg"] else "n/a"
        pct = lambda e: f"{100 * e['tg'] / roof:.1f}%" if e and roof else "n/a"  # noqa: E731
        mb = lambda e: fmt(e["gpu_bytes"] / 1e6, 0) if e and e["gpu_bytes"] else "n/a"  # noqa: E731
        lines.append(f"| {name} | {fmt(q['bytes_per_token'] / 1e6) if q else 'n/a'} | {fmt(roof, 0) if roof else 'n/a'} "
                     f"| {fmt(q and q['tg'])} | {fmt(p and p['tg'])} | {ratio} | {pct(q)} | {pct(p)} "
                     f"| {fmt(q and q['pp'])} | {fmt(p and p['pp'])} | {mb(q)} | {mb(p)} |")
    lines.append("")
    lines.append("Decode runs (tok/s): " + "; ".join(
        f"{name}: qvk {', '.join(fmt(x) for x in s['qvk']['tg_runs']) if 'qvk' in s else 'n/a'}, llama.cpp "
        f"{', '.join(fmt(x) for x in s['llama.cpp']['tg_runs']) if 'llama.cpp' in s else 'n/a'}"
        for name, s in summary.items()) + ".")
    lines.append("qvk's prefill runs token by token (batched prefill is issue #6); llama.cpp's is one batch. "
                 "Roofline: the read bandwidth qvk_bench measured in the same process (ops::ReadProbe) / the weight "
                 "bytes one decode step reads. GPU memory: qvk = weights + KV + scratch it allocated; llama.cpp = "
                 "the device buffers it logged (model, KV, compute, output).")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonfile")
    ap.add_argument("png")
    ap.add_argument("--table", help="also write the markdown table here")
    ap.add_argument("--title", default="QVK VS LLAMA.CPP, VULKAN, SAME GPU AND GGUF")
    a = ap.parse_args()
    meta, rows = load(a.jsonfile)
    summary = summarize(rows)
    devices = sorted({e["device"] for s in summary.values() for e in s.values() if e["device"]})
    title = a.title + (f" - {devices[0]}" if len(devices) == 1 else "")
    chart(summary, meta, title, a.png)
    md = table(summary, meta)
    if a.table:
        with open(a.table, "w") as f:
            f.write(md)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
