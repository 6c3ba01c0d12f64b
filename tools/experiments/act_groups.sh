#!/usr/bin/env bash
# Per-embedding-group activation scales (--act-groups N, PEG) against one scale per token / tensor:
#  1. post-training quantization of a real all-MiniLM-L6-v2 SST-2 teacher (made by glue_qat.sh; --minilm-teacher)
#     at W8A8 per token, W8A8 per tensor and W4A8 per token, with 1, 3 and 6 groups (K = 384: 128- and 64-column
#     groups; the FFN output's K = 1536);
#     and the runtime's latency of the W8A8 and W2A8 (ternary, no training) per-token files with 1, 3 and 6 groups
#     (batch 1 x 128 tokens, 1 thread, qcrun bench);
#  2. QAT on the bundled example (examples/sst2-mini, 2-layer BERT, hidden 128): the README recipe (--distill ti,
#     300 steps, lr 5e-4, length 64), with one scale and with 2 groups, 3 seeds each.
# Every score is the runtime's on the written .qm (SST-2 dev, 872 sentences). Writes docs/results/act-groups.md.
#
#   tools/experiments/act_groups.sh [--minilm-teacher FILE] [--seeds "1 2 3"] [--qat-groups 2] [--no-doc]
#
# Needs a LibTorch build (QC_BUILD_DIR); ~1 minute per PTQ run, ~2 minutes per QAT run on 2 cores.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

minilm_teacher="${QC_EXP_GLUE_WORK:-/tmp/qc-exp-sst2-lr1e4}/SST-2-teacher.qm"
seeds="1 2 3"
qat_groups=2
doc="$repo/docs/results/act-groups.md"
command="$(qc_command_line tools/experiments/act_groups.sh "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --minilm-teacher) minilm_teacher="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --qat-groups) qat_groups="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--minilm-teacher FILE] [--seeds S] [--qat-groups N] [--no-doc]" >&2; exit 2 ;;
  esac
done
if [ ! -f "$minilm_teacher" ]; then
  echo "act_groups.sh: no MiniLM SST-2 teacher at $minilm_teacher: run tools/experiments/glue_qat.sh --tasks SST-2" \
    "first, or pass --minilm-teacher FILE" >&2
  exit 2
fi

qc_find_build
data="$(qc_shared_data)"
example="$repo/examples/sst2-mini"
work="${QC_EXP_WORK:-/tmp/qc-exp-act-groups}"
mkdir -p "$work"

ptq() {  # name, flags...
  local name="$1"
  shift
  [ -f "$work/$name.json" ] && return 0
  echo "== $name" >&2
  "$qcompress" "$minilm_teacher" --eval "$data/glue/SST-2/dev.tsv" --threads 2 -o "$work/$name.qm" \
    --report "$work/$name.json" "$@" > "$work/$name.log" 2>&1
}
printf '{"act_granularity": "per_tensor"}\n' > "$work/per-tensor.json"
for groups in 1 3 6; do
  ptq "ptq-w8-token-g$groups" --bits 8 --act-groups "$groups"
  ptq "ptq-w8-tensor-g$groups" --bits 8 --config "$work/per-tensor.json" --act-groups "$groups"
  ptq "ptq-w4-token-g$groups" --bits 4 --act-groups "$groups"
  ptq "ptq-t2-token-g$groups" --bits 2 --act-groups "$groups"
done

# Timed after the PTQ runs, before training; 3 rounds alternating the files, the fastest round's median counts (the
# host's speed drifts by up to 2x between minutes, docs/results/bench-vs-ort.md).
for round in 1 2 3; do
  for groups in 1 3 6; do
    for scheme in w8 t2; do
      bench="$work/bench-$scheme-token-g$groups-r$round.json"
      [ -f "$bench" ] || "$qcrun" bench "$work/ptq-$scheme-token-g$groups.qm" --seq 128 --threads 1 --warmup 5 \
        --iters 40 --json > "$bench"
    done
  done
done

qat() {  # name, flags...
  local name="$1"
  shift
  [ -f "$work/$name.json" ] && return 0
  echo "== $name" >&2
  "$qcompress" "$example/teacher.qm" --bits 2 --distill ti --data "$example/train-sample.tsv" \
    --eval "$example/dev.tsv" --steps 300 --lr 5e-4 --max-length 64 --threads 2 \
    -o "$work/$name.qm" --report "$work/$name.json" "$@" > "$work/$name.log" 2> "$work/$name.progress"
}
for seed in $seeds; do
  qat "qat-g1-s$seed" --seed "$seed"
  qat "qat-g$qat_groups-s$seed" --seed "$seed" --act-groups "$qat_groups"
done

/usr/bin/python3 - "$work" "$doc" "$command" "$(git -C "$repo" rev-parse --short HEAD)" "$seeds" "$qat_groups" \
  "$minilm_teacher" <<'PY'
import json, os, re, statistics, subprocess, sys
from datetime import date
work, doc, command, commit, seeds, qat_groups, teacher_path = sys.argv[1:8]
seeds = seeds.split()
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                     text=True).stdout.strip()

def load(name):
    return json.load(open(os.path.join(work, name + ".json")))

ptq_teacher = load("ptq-w8-token-g1")["metric"]["teacher"]
lines = ["# Per-embedding-group activation scales (`--act-groups`, PEG)", "",
         f"Machine: {cpu}, {os.cpu_count()} cores. Date: {date.today()}. qcompress {commit}. Command: `{command}`.", "",
         "Every accuracy is the runtime's on the written `.qm` over the 872 SST-2 dev sentences. `--act-groups N` splits "
         "every quantized Linear's input features into N equal groups with their own int8 scales "
         "(docs/quantization.md §7.2); the attention's Q/K/V keep one scale per (token, head).", "",
         "## Post-training quantization of all-MiniLM-L6-v2 (SST-2 teacher)", "",
         f"Teacher: `{teacher_path}` (fine-tuned by qcompress, `tools/experiments/glue_qat.sh --tasks SST-2`), float "
         f"dev accuracy **{ptq_teacher:.4f}**. Hidden 384, FFN 1536: 3 groups are 128 columns (no extra GEMM work), "
         "6 groups 64 (each padded to a 128-column kernel block).", "",
         "| weights / activations | 1 group | 3 groups | 6 groups |", "|---|---|---|---|"]
for label, key in [("W8A8, per token", "w8-token"), ("W8A8, per tensor", "w8-tensor"), ("W4A8, per token", "w4-token"),
                   ("W2A8 (ternary, no training), per token", "t2-token")]:
    cells = [f"{load(f'ptq-{key}-g{g}')['metric']['student']:.4f}" for g in (1, 3, 6)]
    lines.append(f"| {label} | {' | '.join(cells)} |")
for scheme, label in [("w8", "W8A8"), ("t2", "W2A8")]:
    rounds = {g: [load(f"bench-{scheme}-token-g{g}-r{r}") for r in (1, 2, 3)] for g in (1, 3, 6)}
    lines.append(f"| {label} per token: `.qm` size (MB) | " +
                 " | ".join(f"{rounds[g][0]['file_bytes'] / 1e6:.1f}" for g in (1, 3, 6)) + " |")
    lines.append(f"| {label} per token: latency, batch 1 x 128, 1 thread (best of 3 medians, ms) | " +
                 " | ".join(f"{min(b['latency_ms']['median'] for b in rounds[g]):.1f}" for g in (1, 3, 6)) + " |")
lines += ["", "## QAT on the bundled example (examples/sst2-mini)", "",
          "Teacher: `examples/sst2-mini/teacher.qm` (2-layer BERT, hidden 128, FFN 512). Students: `--bits 2 --distill "
          "ti --steps 300 --lr 5e-4 --max-length 64` on the example's 4,000-phrase sample (the README recipe), once with "
          f"one scale per token and once with `--act-groups {qat_groups}`. 'agree' is the share of dev sentences where "
          "the `.qm` predicts the trained model's class.", "",
          f"Float teacher (runtime): dev accuracy **{load('qat-g1-s' + seeds[0])['metric']['teacher']:.4f}**.", "",
          "| activation scales | seeds | dev accuracy (.qm), mean | per seed | agree (min) |", "|---|---|---|---|---|"]
means = {}
for label, prefix in [("one per token", "qat-g1"), (f"{qat_groups} groups per token", f"qat-g{qat_groups}")]:
    scores, agree = [], []
    for seed in seeds:
        scores.append(load(f"{prefix}-s{seed}")["metric"]["student"])
        log = open(os.path.join(work, f"{prefix}-s{seed}.log")).read()
        agree.append(float(re.search(r"same prediction on ([0-9.]+)%", log).group(1)) / 100)
    means[label] = statistics.mean(scores)
    lines.append(f"| {label} | {len(scores)} | {means[label]:.4f} | {' '.join(f'{s:.4f}' for s in scores)} | "
                 f"{min(agree):.4f} |")
base, grouped = list(means.values())
lines += ["", f"- {qat_groups} groups: {100 * (grouped - base):+.2f} points against one scale (mean of {len(seeds)} "
          "seeds; one dev sentence is 0.11 points)."]
text = "\n".join(lines) + "\n"
open(os.path.join(work, "act-groups.md"), "w").write(text)
if doc:
    open(doc, "w").write(text)
print(text)
PY
