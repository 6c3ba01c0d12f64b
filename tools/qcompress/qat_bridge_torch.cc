// qcompress's training step through qat/trainer.h (LibTorch). Only compiled when qc_qat exists.
#include <algorithm>
#include <cmath>
#include <limits>

#include "qat/classifier_head.h"
#include "qat/trainer.h"
#include "qcompress/qat_bridge.h"

namespace qc::tools {
namespace {

bool HasOutput(const ir::Graph& graph, const std::string& name) {
  for (ir::ValueId v : graph.outputs()) {
    if (graph.value(v).name == name) return true;
  }
  return false;
}

ir::WeightBits BitsOf(int bits) {
  switch (bits) {
    case 2: return ir::WeightBits::kTernary;
    case 4: return ir::WeightBits::kInt4;
    case 8: return ir::WeightBits::kInt8;
    default: return ir::WeightBits::kFloat32;
  }
}

qat::QuantRecipe RecipeOf(const QatQuantSettings& q) {
  qat::QuantRecipe r;
  r.linear_bits = BitsOf(q.linear_bits);
  r.linear_granularity = q.linear_per_row ? ir::WeightGranularity::kPerRow : ir::WeightGranularity::kPerTensor;
  r.embedding_bits = BitsOf(q.embedding_bits);
  r.act_granularity = q.act_per_tensor ? qat::ActGranularity::kPerTensor : qat::ActGranularity::kPerToken;
  r.act_clip = static_cast<float>(q.act_clip);
  r.learn_act_clip = q.learn_act_clip;
  r.act_groups = q.act_groups;
  r.quantize_attention = q.quantize_attention;
  return r;
}

}  // namespace

bool QatAvailable() { return true; }

Expected<bool> EnsureClassifierHead(ir::Graph& graph, int64_t num_labels, uint64_t seed) {
  if (HasOutput(graph, "logits")) return false;
  qat::ClassifierHeadOptions head;
  head.num_labels = num_labels;
  head.seed = static_cast<uint32_t>(seed);
  QC_RETURN_IF_ERROR(qat::AddClassifierHead(graph, head));
  return true;
}

Expected<TrainingOutcome> RunTraining(ir::Graph& graph, const TaskData& task, const TrainingPlan& plan) {
  qat::TrainerOptions o;
  QC_ASSIGN_OR_RETURN(o.mode, qat::ParseDistillMode(plan.mode));
  o.steps = plan.steps;
  o.batch_size = plan.batch_size;
  o.optimizer.lr = plan.lr;
  o.act_clip_lr = plan.act_clip_lr;
  o.optimizer.kind = plan.optimizer == "adamw" ? qat::OptimizerKind::kAdamW : qat::OptimizerKind::kBertAdam;
  o.keep_best = plan.keep_best;
  o.average_decay = plan.average_decay;
  o.average_tail = plan.average_tail;
  o.seed = plan.seed;
  o.threads = plan.threads;
  o.eval_every = plan.eval_every;
  o.metric = task.metric;
  o.ti_steps = plan.ti_steps;
  QC_ASSIGN_OR_RETURN(o.ti_schedule, qat::ParseTiSchedule(plan.ti_mode));
  o.quant = RecipeOf(plan.quant);
  if (HasOutput(graph, "logits")) o.logits_output = "logits";
  o.checkpoint_dir = plan.checkpoint_dir;
  o.resume = plan.resume;
  o.should_stop = plan.should_stop;
  if (plan.progress) {
    o.progress = [&plan](const qat::Progress& p) {
      std::string phase;
      if (p.ti_mode != qat::TiMode::kNone) phase = "TI " + std::string(qat::TiModeName(p.ti_mode));
      if (p.phase == 2) phase = "step 2";
      plan.progress(p.step, p.total, p.loss,
                    p.evaluated ? p.eval_score : std::numeric_limits<double>::quiet_NaN(), phase);
    };
  }
  qat::TrainData data;
  data.train = task.train;
  data.eval = task.eval;
  data.kind = task.kind;
  data.pad_id = task.pad_id;
  data.pad_type_id = task.pad_type_id;
  QC_ASSIGN_OR_RETURN(qat::TrainResult r, qat::Train(graph, data, o));

  TrainingOutcome out;
  out.stopped = r.stopped || r.steps_done < plan.steps;
  out.steps_done = r.steps_done;
  out.seconds_per_step = r.seconds_per_step;
  out.teacher_score = r.teacher_score;
  out.last_score = r.last_score;
  out.best_score = r.best_score;
  out.best_step = r.best_step;
  out.exported_step = r.exported_step;
  for (const qat::EvalPoint& p : r.curve) {
    out.eval_curve.emplace_back(p.step, p.score);
    if (p.raw_score) out.raw_eval_curve.emplace_back(p.step, *p.raw_score);
    out.loss_curve.emplace_back(p.step, p.loss);
  }
  if (out.loss_curve.empty() && !r.step_losses.empty()) {
    // No eval data: the mean loss over (up to) 20 equal spans of the run.
    const size_t n = r.step_losses.size();
    const size_t span = std::max<size_t>(1, (n + 19) / 20);
    const int64_t first = r.steps_done - static_cast<int64_t>(n);  // a resumed run holds only its own steps
    for (size_t begin = 0; begin < n; begin += span) {
      const size_t end = std::min(n, begin + span);
      double sum = 0;
      for (size_t i = begin; i < end; ++i) sum += r.step_losses[i];
      out.loss_curve.emplace_back(first + static_cast<int64_t>(end), sum / static_cast<double>(end - begin));
    }
  }
  out.student_eval_logits = std::move(r.eval_logits);
  return out;
}

}  // namespace qc::tools
