#!/usr/bin/env python3
"""Summarises tools/experiments/ti_quarter.sh: per task, students given a quarter of the full QAT budget (runtime
score of each written .qm) against the mean last-state score of kd given the full budget. Positional arguments are
TASK=FULL_STEPS=DOCUMENTED_KD_FINAL; the documented figure is used only when --kd-full-work has no kd reports."""
import argparse
import glob
import os
import statistics
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glue_qat_report import agreement, curve, load, machine, write_text  # noqa: E402  (one reader of the reports)


def reference(task, documented, kd_full_work):
    """(kd full-budget mean final, where it comes from)."""
    paths = sorted(glob.glob(os.path.join(kd_full_work, f"{task}-kd-s*.json"))) if kd_full_work else []
    if paths:
        scores = [load(p)["metric"]["student"] for p in paths]
        return statistics.mean(scores), f"mean of {len(scores)} kd runs in {kd_full_work}"
    return documented, "kd's mean final in docs/results/glue-qat.md"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--modes", required=True)
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--kd-full-work")
    ap.add_argument("--doc")
    ap.add_argument("tasks", nargs="+", help="TASK=FULL_STEPS=DOCUMENTED_KD_FINAL")
    a = ap.parse_args()
    lines = ["# TI at a quarter of the budget against kd at the full budget", "",
             f"Machine: {machine()}. Date: {date.today()}. "
             f"qcompress {a.commit}.", f"Command: `{a.command}`", "",
             "Each student is a complete run of glue_qat.sh's recipe with a quarter of its steps (warmup and linear "
             "decay included); its score is the runtime's on the written `.qm` (last state). The reference is kd's "
             "mean last-state score at the full budget.", ""]
    verdicts = []
    for spec in a.tasks:
        task, full, documented = spec.split("=")
        tpath = os.path.join(a.work, f"{task}-teacher.json")
        if not os.path.exists(tpath):
            continue
        teacher = load(tpath)["metric"]
        ref, source = reference(task, float(documented), a.kd_full_work)
        lines += [f"## {task}", "", f"Float teacher: {teacher['name']} {teacher['student']:.4f}. Reference: kd at "
                  f"{full} steps, {ref:.4f} ({source}).", "",
                  "| mode | steps | .qm dev score per seed | mean | seeds at or above the reference | mean - reference | "
                  "gap to teacher | .qm = trained predictions |", "|---|---|---|---|---|---|---|---|"]
        for mode in a.modes.split():
            scores, steps, agree = [], 0, []
            for seed in a.seeds.split():
                p = os.path.join(a.work, f"{task}-{mode}-s{seed}.json")
                if not os.path.exists(p):
                    continue
                r = load(p)
                scores.append(r["metric"]["student"])
                agree.append(agreement(r))
                c = curve(r)
                steps = c[-1][0] if c else steps
            if not scores:
                continue
            mean = statistics.mean(scores)
            lines.append(f"| {mode} | {steps} of {full} | {', '.join(f'{s:.4f}' for s in scores)} | {mean:.4f} | "
                         f"{sum(s >= ref for s in scores)} of {len(scores)} | {mean - ref:+.4f} | "
                         f"{teacher['student'] - mean:+.4f} | {', '.join(agree)} |")
            if mode == "ti":
                verdicts.append(f"{task}: TI's mean at {steps} steps is {mean:.4f} against {ref:.4f}: "
                                f"{'met' if mean >= ref else 'not met'} ({sum(s >= ref for s in scores)} of "
                                f"{len(scores)} seeds at or above)")
        lines.append("")
    lines += ["## Against the target", "", *(f"- {v}" for v in verdicts), ""]
    text = "\n".join(lines)
    write_text(os.path.join(a.work, "ti-quarter-budget.md"), text)
    if a.doc:
        write_text(a.doc, text)
    print(text)


if __name__ == "__main__":
    main()
