#!/usr/bin/env bash
# "TI reaches kd's final dev score in at most 1/4 of kd's steps", measured as its own run: a student given a quarter
# of glue_qat.sh's budget (the whole recipe, warmup and linear decay included, squeezed into N/4 steps) against the
# mean last-state score of kd runs given the full budget N. glue_qat.sh measures the same target inside one full run
# (the first evaluation at or above kd's final); there the learning rate at step N/4 is still near its peak, so that
# reading mixes "how many steps does TI need" with "how noisy is a model mid-schedule". kd at N/4 steps is the control:
# it tells whether the quarter budget is enough for any mode or only for TI.
#
#   tools/experiments/ti_quarter.sh [--tasks "SST-2 CoLA RTE"] [--seeds "1 2 3"] [--modes "ti kd"]
#                                   [--kd-full-work DIR] [--no-doc]
#
# The reference (kd's full-budget mean final score per task) is read from the kd reports in --kd-full-work (a
# glue_qat.sh work directory) when given; otherwise it is the figure docs/results/glue-qat.md records for that
# task's table (same recipes, teachers and learning rates as below). Every student score is the runtime's on the
# written .qm. Writes docs/results/ti-quarter-budget.md. Needs a LibTorch build (QC_BUILD_DIR).
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tasks="SST-2 CoLA RTE"
seeds="1 2 3"
modes="ti kd"
kd_full_work=""
doc="$repo/docs/results/ti-quarter-budget.md"
command="$(qc_command_line tools/experiments/ti_quarter.sh "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --kd-full-work) kd_full_work="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--tasks T] [--seeds S] [--modes M] [--kd-full-work DIR] [--no-doc]" >&2; exit 2 ;;
  esac
done

qc_find_build
work="${QC_EXP_WORK:-/tmp/qc-exp-quarter}"
export QC_EXP_WORK="$work"

# task -> "full_steps student_lr glue-qat.md's kd mean final | teacher flags" (the recipes of glue-qat.md's tables)
task_setup() {
  case "$1" in
    SST-2) echo "300 1e-4 0.8498 | --teacher-steps 600" ;;
    CoLA) echo "300 2e-5 0.1550 | --teacher-steps 800" ;;
    RTE) echo "234 2e-5 0.5487 | --teacher-epochs 5 --teacher-lr 2e-5 --teacher-batch 16 --teacher-optimizer adamw --teacher-keep best" ;;
    *) echo "unknown task $1" >&2; exit 2 ;;
  esac
}

references=()
for task in $tasks; do
  setup="$(task_setup "$task")"
  read -r full lr documented <<<"${setup%%|*}"
  read -r -a teacher_flags <<<"${setup#*|}"
  quarter=$((full / 4))
  "$repo/tools/experiments/glue_qat.sh" --tasks "$task" --seeds "$seeds" --modes "$modes" --steps "$quarter" \
    --lr "$lr" "${teacher_flags[@]}" --no-doc > "$work/$task-glue_qat.log"
  references+=("$task=$full=$documented")
done

/usr/bin/python3 "$repo/tools/experiments/ti_quarter_report.py" --work "$work" --modes "$modes" --seeds "$seeds" \
  --command "$command" --commit "$(git -C "$repo" rev-parse --short HEAD)" \
  ${kd_full_work:+--kd-full-work "$kd_full_work"} ${doc:+--doc "$doc"} "${references[@]}"
