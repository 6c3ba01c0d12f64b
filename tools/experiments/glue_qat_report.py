#!/usr/bin/env python3
"""Summarises tools/experiments/glue_qat.sh: per task the float teacher, then per mode the runtime-measured dev
score of the written .qm (mean and range over seeds), the best dev score seen during training, and the step at which
TI first reached the kd run's final score. Curves (eval metric vs step, every seed) are drawn as inline SVG."""
import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
from datetime import date

COLORS = {"kd": "#1f77b4", "kdqat": "#2ca02c", "ti": "#d62728"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def machine():
    """'<CPU model>, <n> cores, <OS>': the machine line every results file opens with."""
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def write_text(path, text):
    """Writes `text` to `path` whole or not at all (temp file, fsync, rename), so a failed run never leaves half a
    results file."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def curve(report, raw=False):
    """The exported weights' eval curve; raw=True: the raw weights' curve of an --average-weights run ([] if none)."""
    for c in report.get("curves", []):
        if c["name"].startswith("eval") and c["name"].endswith("(not exported)") == raw:
            return [(p[0], p[1]) if isinstance(p, list) else (p["step"], p["value"]) for p in c["points"]]
    return []


def agreement(report):
    """The share of eval predictions on which the .qm equals the trained model: metric.trained_agreement (reports
    since 2026-12-07), else read off the warning qcompress gives below 99.9% (older reports)."""
    exact = report.get("metric", {}).get("trained_agreement")
    if exact is not None:
        return f"{math.floor(exact * 10000.0 + 1e-6) / 100.0:.2f}%"  # rounded down: only 1.0 reads 100.00%
    for w in report.get("warnings", []):
        m = re.search(r"predictions on only ([0-9.]+)%", w)
        if m:
            return f"{float(m.group(1)):.2f}%"
    return ">= 99.9%"


def svg(task, runs, raw_runs=()):
    """Dev metric vs step per run; raw_runs (--average-weights runs' raw-weight curves) are drawn dashed."""
    w, h, pad = 560, 260, 40
    pts = [p for _, _, c in list(runs) + list(raw_runs) for p in c]
    if not pts:
        return ""
    xmax = max(p[0] for p in pts) or 1
    ymin, ymax = min(p[1] for p in pts), max(p[1] for p in pts)
    if ymax - ymin < 1e-9:
        ymax = ymin + 1
    sx = lambda x: pad + (w - 2 * pad) * x / xmax
    sy = lambda y: h - pad - (h - 2 * pad) * (y - ymin) / (ymax - ymin)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
           f'<text x="{pad}" y="20" font-size="13">{task}: dev metric vs step</text>',
           f'<text x="{pad}" y="{h - 8}" font-size="11">0</text><text x="{w - pad - 20}" y="{h - 8}" font-size="11">{xmax}</text>',
           f'<text x="2" y="{pad}" font-size="11">{ymax:.3f}</text><text x="2" y="{h - pad}" font-size="11">{ymin:.3f}</text>']
    for mode, seed, c in runs:
        if c:
            poly = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in c)
            out.append(f'<polyline fill="none" stroke="{COLORS.get(mode, "#555")}" stroke-width="1.5" points="{poly}"/>')
    for mode, seed, c in raw_runs:
        poly = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in c)
        out.append(f'<polyline fill="none" stroke="{COLORS.get(mode, "#555")}" stroke-width="1" '
                   f'stroke-dasharray="4 3" points="{poly}"/>')
    present = [m for m in COLORS if any(mode == m for mode, _, _ in runs)]  # the legend names drawn modes only
    for i, mode in enumerate(present):
        out.append(f'<text x="{w - 120}" y="{40 + 14 * i}" font-size="11" fill="{COLORS[mode]}">{mode}</text>')
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--tasks", required=True)
    ap.add_argument("--modes", required=True)
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--doc")
    ap.add_argument("--command", help="the glue_qat.sh command line, for the record")
    ap.add_argument("--title", default="GLUE QAT: all-MiniLM-L6-v2, W2A8, kd vs kdqat vs ti")
    a = ap.parse_args()
    lines = ["# " + a.title, "",
             f"Machine: {machine()}. Date: {date.today()}.",
             "Command: `" + (a.command or f"tools/experiments/glue_qat.sh --tasks \"{a.tasks}\" --modes \"{a.modes}\" "
                             f"--seeds \"{a.seeds}\"") + "`",
             "", "Student scores are measured by the runtime on the written `.qm` (qcompress --eval); 'best' is the "
             "best fake-quant dev score during training (the papers' protocol).", ""]
    for task in a.tasks.split():
        tpath = os.path.join(a.work, f"{task}-teacher.json")
        if not os.path.exists(tpath):
            continue
        teacher = load(tpath)["metric"]
        lines += [f"## {task}", "", f"Float teacher (fine-tuned by qcompress): {teacher['name']} "
                  f"{teacher['student']:.4f} (pretrained model with a new head: {teacher['teacher']:.4f}).", "",
                  "| mode | seeds | .qm dev score (mean) | min..max | best during training (mean) | gap to teacher | steps | "
                  ".qm = trained predictions (per seed) |",
                  "|---|---|---|---|---|---|---|---|"]
        runs, finals, averaged, raw_runs = [], {}, [], []
        for mode in a.modes.split():
            scores, bests, steps, agree, raw_last, spread = [], [], 0, [], [], []
            for seed in a.seeds.split():
                p = os.path.join(a.work, f"{task}-{mode}-s{seed}.json")
                if not os.path.exists(p):
                    continue
                r = load(p)
                c = curve(r)
                runs.append((mode, seed, c))
                scores.append(r["metric"]["student"])
                agree.append(agreement(r))
                if c:
                    bests.append(max(v for _, v in c))
                    steps = c[-1][0]
                raw = curve(r, raw=True)
                if raw:
                    raw_runs.append((mode, seed, raw))
                    raw_last.append(raw[-1][1])
                    half = [v for _, v in c[len(c) // 2:]], [v for _, v in raw[len(raw) // 2:]]
                    spread.append(tuple(max(h) - min(h) for h in half))
            if not scores:
                continue
            mean = statistics.mean(scores)
            finals[mode] = mean
            lines.append(f"| {mode} | {len(scores)} | {mean:.4f} | {min(scores):.4f}..{max(scores):.4f} | "
                         f"{statistics.mean(bests) if bests else float('nan'):.4f} | {teacher['student'] - mean:+.4f} | {steps} | "
                         f"{', '.join(agree)} |")
            if raw_last:
                averaged.append(f"{mode}: the exported averages {', '.join(f'{v:.4f}' for v in scores)} (mean {mean:.4f}) "
                                f"against the raw weights' last state {', '.join(f'{v:.4f}' for v in raw_last)} "
                                f"(mean {statistics.mean(raw_last):.4f}); max - min of the second half's evaluations "
                                f"{statistics.mean(a for a, _ in spread):.4f} averaged, "
                                f"{statistics.mean(b for _, b in spread):.4f} raw (mean over seeds)")
        if averaged:
            lines += ["", "Weight average (`--average-weights` or `--average-tail`), per seed: " + "; ".join(averaged) + "."]
        if "kd" in finals and any(m == "ti" for m, _, _ in runs):
            reach = []
            for mode, seed, c in runs:
                if mode == "ti":
                    hit = next((s for s, v in c if v >= finals["kd"]), None)
                    reach.append(hit)
            lines += ["", f"TI runs reaching the kd runs' mean final score ({finals['kd']:.4f}): first eval step per "
                      f"seed {reach} (of {max(c[-1][0] for _, _, c in runs if c)})."]
        if raw_runs:
            lines += ["", "Curves: solid, the exported (averaged) weights; dashed, the raw weights."]
        lines += ["", svg(task, runs, raw_runs), ""]
    text = "\n".join(lines) + "\n"
    write_text(os.path.join(a.work, "glue-qat.md"), text)
    if a.doc:
        write_text(a.doc, text)
    print(text)


if __name__ == "__main__":
    main()
