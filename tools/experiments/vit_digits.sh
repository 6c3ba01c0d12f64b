#!/usr/bin/env bash
# ViT digits experiment (QAT issue): a small ViT trained by qcompress on real images (scikit-learn's 1,797 8x8
# handwritten digits, Debian python3-sklearn), then distilled to W2A8 (ternary weights, int8 activations) with
# --distill ti and, for comparison, kd -- 3 seeds each. Every score is measured by the runtime on the written .qm
# over the 360 held-out test images. Writes docs/results/vit-digits.md.
#
#   tools/experiments/vit_digits.sh [QCOMPRESS_BINARY] [--no-doc]     (a LibTorch build; ~6 minutes on 2 cores)
# It also writes the digits as PNG class folders and checks that --eval / --data read them like the arrays.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
qcompress=${1:-$root/build/release/tools/qcompress}
doc=$root/docs/results/vit-digits.md
[ "${2:-}" = --no-doc ] && doc=""
work=${QC_EXP_WORK:-/tmp/qc-exp-vit-digits}
rm -rf "$work"
mkdir -p "$work"
"$root/tools/install-deps.sh" bench >/dev/null   # python3-sklearn
/usr/bin/python3 "$root/tools/experiments/make_vit_digits.py" --out "$work" --png
teacher_cmd=("$qcompress" "$work/init" --finetune --data "$work/train" --eval "$work/test" --epochs 30 \
  --batch-size 32 --lr 2e-3 --seed 1 --threads 2 -o "$work/teacher.qm" --report "$work/teacher.json" -q)
"${teacher_cmd[@]}"
for mode in ti kd; do
  for seed in 1 2 3; do
    "$qcompress" "$work/teacher.qm" --bits 2 --distill "$mode" --data "$work/train" --eval "$work/test" \
      --epochs 10 --batch-size 32 --lr 1e-3 --ti-steps 45 --seed "$seed" --threads 2 \
      -o "$work/$mode-s$seed.qm" --report "$work/$mode-s$seed.json" -q || true  # gates are not used here
  done
done
# The same images as PNG class folders: the teacher scored on them (must equal its images.npy score), and one TI
# student trained and scored on them (the folder order differs from the arrays', so it is another run, not a copy).
"$qcompress" "$work/teacher.qm" --eval "$work/test_png" -o "$work/teacher-png.qm" --report "$work/teacher-png.json" -q
"$qcompress" "$work/teacher.qm" --bits 2 --distill ti --data "$work/train_png" --eval "$work/test_png" \
  --epochs 10 --batch-size 32 --lr 1e-3 --ti-steps 45 --seed 1 --threads 2 \
  -o "$work/ti-png-s1.qm" --report "$work/ti-png-s1.json" -q || true
/usr/bin/python3 - "$work" "$doc" "$root/tools/experiments" "$(dirname "$qcompress")/qcrun" <<'PY'
import json, os, statistics, subprocess, sys
from datetime import date
work, doc, qcrun = sys.argv[1], sys.argv[2], sys.argv[4]
sys.path.insert(0, sys.argv[3])
from glue_qat_report import agreement, machine, write_text
t = json.load(open(os.path.join(work, "teacher.json")))
lines = ["# ViT on real digit images: float teacher and W2A8 students, all trained by qcompress", "",
         f"Machine: {machine()}. Date: {date.today()}. Command: `tools/experiments/vit_digits.sh`.", "",
         "Data: scikit-learn digits (1,797 real 8x8 handwritten digits), fixed split 1,437 train / 360 test. Model: ViT, "
         "4 layers x 64, 4 heads, 2x2 patches, 136 k parameters, trained from random initialisation by `qcompress "
         "--finetune` (30 epochs). Students: `--bits 2 --distill ti|kd`, 10 epochs (450 steps; TI step 1 = 45 steps). "
         "Test accuracy is measured by the runtime on each written `.qm`. '.qm = trained' = the share of test images "
         "on which the `.qm` predicts the trained fake-quant model's class (the report's `trained_agreement`).", "",
         f"Float teacher: test accuracy **{t['metric']['student']:.4f}** ({os.path.getsize(os.path.join(work, 'teacher.qm'))} bytes).", "",
         "| student | seed | test accuracy (.qm) | drop vs teacher | .qm = trained | file bytes |", "|---|---|---|---|---|---|"]
summary = {}
for mode in ("ti", "kd"):
    for seed in (1, 2, 3):
        p = os.path.join(work, f"{mode}-s{seed}.json")
        if not os.path.exists(p):
            continue
        r = json.load(open(p))
        m = r["metric"]
        summary.setdefault(mode, []).append(m["student"])
        lines.append(f"| W2A8 {mode} | {seed} | {m['student']:.4f} | {m['teacher'] - m['student']:+.4f} | {agreement(r)} | {r['totals']['file_bytes_after']} |")
lines.append("")
for mode, v in summary.items():
    lines.append(f"- {mode}: mean {statistics.mean(v):.4f} over {len(v)} seeds, drop {t['metric']['student'] - statistics.mean(v):+.4f}"
                 + (" (target: within 0.02 of the teacher)" if mode == "ti" else ""))
png_teacher = json.load(open(os.path.join(work, "teacher-png.json")))["metric"]["teacher"]
same = "the same score" if png_teacher == t["metric"]["student"] else "A DIFFERENT SCORE"
lines += ["", "## From PNG files", "",
          "The same images written as greyscale PNG files in one folder per digit (`train_png/<digit>/*.png`, "
          "`test_png/...`; `make_vit_digits.py --png`), the ImageFolder layout `--data` and `--eval` also read.", "",
          f"- The float teacher scored on the PNG test folder: {png_teacher:.4f}, {same} as on `images.npy` "
          f"({t['metric']['student']:.4f}): decoding and normalisation give the arrays' examples."]
# qcrun eval on the PNG test folder: every .qm above, scored by the runtime from the PNG files, against what
# qcompress reported from images.npy.
matches, names = 0, ["teacher"] + [f"{m}-s{s}" for m in ("ti", "kd") for s in (1, 2, 3)]
for name in names:
    out = subprocess.run([qcrun, "eval", os.path.join(work, name + ".qm"), "--data", os.path.join(work, "test_png"),
                          "--json"], capture_output=True, text=True, check=True).stdout
    report = json.load(open(os.path.join(work, name + ".json")))["metric"]["student"]
    matches += json.loads(out)["accuracy"] == report
lines.append(f"- `qcrun eval MODEL.qm --data test_png` (the runtime's command-line tool, from the PNG files) gives "
             f"the accuracy qcompress reported from `images.npy` for {matches} of the {len(names)} `.qm` files above.")
p = os.path.join(work, "ti-png-s1.json")
if os.path.exists(p):
    r = json.load(open(p))
    lines.append(f"- A TI student trained and scored on the PNG folders (seed 1): test accuracy {r['metric']['student']:.4f}, "
                 f".qm = trained {agreement(r)}. The folders list the images in another order than the arrays, so "
                 "its batches differ from the seed-1 run above: a run of its own, not a copy.")
text = "\n".join(lines) + "\n"
write_text(os.path.join(work, "vit-digits.md"), text)
if doc:
    write_text(doc, text)
print(text)
PY
