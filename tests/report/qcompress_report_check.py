#!/usr/bin/env python3
"""The report of a real qcompress run (CTest test_report_qcompress): qcompress compresses the tiny BERT fixture with
--eval (and with --distill kd when the build can train, so the report carries training curves), writing --report
and --html; the JSON must validate against docs/report-schema.json and the HTML must pass the same headless-Chromium
checks as the sample report (tests/report/render_check.py: rows, bars proportional to the data, curves drawn).
Exit 0 pass, 1 fail, 77 skip (chromium, python3-pil or python3-jsonschema missing and QC_REQUIRE_CHROMIUM != 1).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_check  # noqa: E402


def tsv(rows, offset):
    good, bad = ["good", "great", "fun"], ["bad", "awful", "not good"]
    subjects = ["the movie", "the film", "this one", "it"]
    lines = ["sentence\tlabel"]
    for i in range(offset, offset + rows):
        positive = (i * 7 + 3) % 2 == 0
        word = good[i % 3] if positive else bad[(i // 2) % 3]
        lines.append(f"{subjects[i % 4]} was {word}\t{1 if positive else 0}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcompress", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--train", action="store_true", help="the build has LibTorch: run --distill kd")
    args = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        render_check.skip_or_fail("python3-jsonschema is not installed")
    binary = render_check.find_chromium()
    if not binary:
        render_check.skip_or_fail("chromium is not installed")
    try:
        import PIL  # noqa: F401
    except ImportError:
        render_check.skip_or_fail("python3-pil is not installed")

    os.makedirs(args.workdir, exist_ok=True)
    train, dev = os.path.join(args.workdir, "train.tsv"), os.path.join(args.workdir, "dev.tsv")
    with open(train, "w") as f:
        f.write(tsv(64, 0))
    with open(dev, "w") as f:
        f.write(tsv(32, 1000))
    js, page = os.path.join(args.workdir, "report.json"), os.path.join(args.workdir, "report.html")
    cmd = [args.qcompress, args.model, "--bits", "2", "--eval", dev, "-o", os.path.join(args.workdir, "m.qm"),
           "--report", js, "--html", page, "-q"]
    if args.train:
        cmd += ["--distill", "kd", "--data", train, "--steps", "12", "--eval-every", "3", "--batch-size", "16",
                "--lr", "2e-3", "--threads", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print("FAIL: qcompress exited", proc.returncode, proc.stdout, proc.stderr)
        return 1
    with open(js, encoding="utf-8") as f:
        report = json.load(f)
    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    errors = [f"schema: {e.message} at {list(e.path)}" for e in jsonschema.Draft202012Validator(schema).iter_errors(report)]
    if not report["layers"]:
        errors.append("the report lists no layers")
    if "metric" not in report:
        errors.append("the report has no metric although --eval was given")
    if args.train and len(report["curves"]) < 2:
        errors.append(f"expected loss and eval curves, got {[c['name'] for c in report['curves']]}")
    errors += render_check.run_checks(binary, args.workdir, page, report)
    for e in errors:
        print("FAIL:", e)
    if errors:
        return 1
    print(f"qcompress report: OK ({len(report['layers'])} layers, {len(report['curves'])} curves, schema valid, "
          f"rendered as expected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
