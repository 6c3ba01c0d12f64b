#!/usr/bin/env bash
# Learned activation clips (--learn-act-clip) against the fixed 2.5 clip, on the bundled example
# (examples/sst2-mini: 2-layer BERT teacher trained by qcompress on SST-2): the README example's recipe (--distill ti,
# 300 steps, lr 5e-4, length 64, the 4,000-phrase sample), once with the fixed clip and once per clip learning rate,
# 3 seeds each. Every score is the runtime's on the written .qm over the 872 SST-2 dev sentences. Writes
# docs/results/learned-clip.md.
#
#   tools/experiments/learned_clip.sh [--seeds "1 2 3"] [--clip-lrs "1e-3 1e-2"] [--steps 300] [--no-doc]
#
# Needs a LibTorch build (QC_BUILD_DIR with tools/qcompress and tools/qcrun); ~2 minutes per run on 2 cores.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

seeds="1 2 3"
clip_lrs="1e-3 1e-2"
steps=300
doc="$repo/docs/results/learned-clip.md"
command="$(qc_command_line tools/experiments/learned_clip.sh "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --clip-lrs) clip_lrs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--seeds S] [--clip-lrs L] [--steps N] [--no-doc]" >&2; exit 2 ;;
  esac
done

qc_find_build
example="$repo/examples/sst2-mini"
work="${QC_EXP_WORK:-/tmp/qc-exp-learned-clip}"
mkdir -p "$work"
run() {  # name, extra flags...
  local name="$1"
  shift
  [ -f "$work/$name.json" ] && return 0
  echo "== $name" >&2
  "$qcompress" "$example/teacher.qm" --bits 2 --distill ti --data "$example/train-sample.tsv" \
    --eval "$example/dev.tsv" --steps "$steps" --lr 5e-4 --max-length 64 --threads 2 \
    -o "$work/$name.qm" --report "$work/$name.json" "$@" > "$work/$name.log" 2> "$work/$name.progress"
}
for seed in $seeds; do
  run "fixed-s$seed" --seed "$seed"
  for lr in $clip_lrs; do
    run "learned-$lr-s$seed" --seed "$seed" --learn-act-clip --act-clip-lr "$lr"
  done
done

/usr/bin/python3 - "$work" "$doc" "$command" "$(git -C "$repo" rev-parse --short HEAD)" "$seeds" "$clip_lrs" \
  "$steps" <<'PY'
import json, os, re, statistics, subprocess, sys
from datetime import date
work, doc, command, commit, seeds, clip_lrs, steps = sys.argv[1:8]
seeds, clip_lrs = seeds.split(), clip_lrs.split()
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                     text=True).stdout.strip()

def load(name):
    return json.load(open(os.path.join(work, name + ".json")))

def clips(report):  # the trained clip of every quantized Linear, from its per-layer scheme text
    return [float(m.group(1)) for l in report["layers"] for m in [re.search(r"/clip=([0-9.eE+-]+)", l["scheme"])]
            if m and l["op"] == "Linear"]

teacher = load("fixed-s" + seeds[0])["metric"]["teacher"]
lines = ["# Learned activation clips vs the fixed 2.5 clip (bundled SST-2 example, W2A8, --distill ti)", "",
         f"Machine: {cpu}, {os.cpu_count()} cores. Date: {date.today()}. qcompress {commit}. Command: `{command}`.", "",
         "Model: `examples/sst2-mini/teacher.qm` (2-layer BERT, hidden 128, trained by qcompress on SST-2). Students: "
         f"`--bits 2 --distill ti --steps {steps} --lr 5e-4 --max-length 64` on the example's 4,000-phrase sample (the "
         "README example's recipe), once with the fixed clip 2.5 (TernaryBERT's) and once per `--act-clip-lr` with "
         "`--learn-act-clip` (clips start at 2.5). Accuracy is the runtime's on each `.qm` over the 872 SST-2 dev "
         "sentences; 'agree' is the share of dev sentences where the `.qm` predicts the trained model's class.", "",
         f"Float teacher (runtime): dev accuracy **{teacher:.4f}**.", "",
         "| clips | seeds | dev accuracy (.qm), mean | per seed | agree (min) | trained clips: min / median / max |",
         "|---|---|---|---|---|---|"]
variants = [("fixed 2.5", "fixed")] + [(f"learned, lr {lr}", f"learned-{lr}") for lr in clip_lrs]
means = {}
for label, prefix in variants:
    scores, agree, all_clips = [], [], []
    for seed in seeds:
        r = load(f"{prefix}-s{seed}")
        scores.append(r["metric"]["student"])
        log = open(os.path.join(work, f"{prefix}-s{seed}.log")).read()
        agree.append(float(re.search(r"same prediction on ([0-9.]+)%", log).group(1)) / 100)
        all_clips += clips(r)
    means[label] = statistics.mean(scores)
    clip_text = f"{min(all_clips):.3f} / {statistics.median(all_clips):.3f} / {max(all_clips):.3f}"
    lines.append(f"| {label} | {len(scores)} | {means[label]:.4f} | {' '.join(f'{s:.4f}' for s in scores)} | "
                 f"{min(agree):.4f} | {clip_text} |")
lines.append("")
base = means["fixed 2.5"]
for label, m in means.items():
    if label != "fixed 2.5":
        lines.append(f"- {label}: {100 * (m - base):+.2f} points against the fixed clip (mean of {len(seeds)} seeds).")
text = "\n".join(lines) + "\n"
open(os.path.join(work, "learned-clip.md"), "w").write(text)
if doc:
    open(doc, "w").write(text)
print(text)
PY
