// qat/trainer.h: the training loop — float fine-tuning, KD-QAT and Teacher Intervention — as a library call.
//
// Overview
//   Train(graph, data, options) builds the teacher (float TorchModel of `graph`) and the student (another TorchModel
//   of the same graph with the QuantRecipe's fake quantizers), then runs `steps` optimizer steps over seeded,
//   length-bucketed, dynamically padded batches:
//     kNone   float fine-tuning on the labels (cross-entropy / MSE): turns a pretrained classifier graph into a task
//             teacher; no quantizers, no teacher.
//     kKd     TernaryBERT distillation (method.md §3.1), or whatever `losses` says.
//     kKdQat  KD-QAT losses (§3.2): attention-map KL + attention-output MSE.
//     kTi     two-step Teacher Intervention (§4.4): step 1 = ti_steps steps under the TI schedule with its own
//             BertAdam (t_total = ti_steps), step 2 = steps − ti_steps plain QAT steps with a fresh optimizer; the
//             §3.3 loss set. Same total budget as a kKd run of `steps`.
//   Learned activation clips (quant.learn_act_clip) train with the weights at their own lr (act_clip_lr) and are
//   checkpointed with them. With average_decay > 0 every evaluation, best.pt and the write-back use an exponential
//   moving average of the trained tensors instead of the raw ones (qat/weight_average.h); with average_tail > 0, the
//   plain mean of the states after each of the last steps (before that tail, the raw weights). The student is evaluated
//   every eval_every steps (and at the end) on the eval set without intervention, next to the teacher's score; the best
//   and the last states are checkpointed (checkpoint_dir/best.pt, last.pt). last.pt holds parameters, optimizer
//   moments, step, phase and curve, and batches are a pure function of (seed, step), so a resumed run continues bit for
//   bit. At the end the trained latent weights are written back into `graph` (WriteBackWeights) and, for quantized
//   modes, Node::quant is set on every quantized node (AnnotateQuantization) so passes/lower_quantized packs the .qm.
//   Every LibTorch exception is caught and returned as a Status.
//
// Usage
//   qc::qat::TrainData data;
//   QC_ASSIGN_OR_RETURN(data.train, qc::qat::EncodeDataset(tokenizer, train_set, 64));
//   QC_ASSIGN_OR_RETURN(data.eval, qc::qat::EncodeDataset(tokenizer, dev_set, 64));
//   qc::qat::TrainerOptions o;  o.mode = qc::qat::DistillMode::kTi;  o.steps = 600;  o.ti_steps = 60;
//   o.progress = [](const qc::qat::Progress& p) { ... };
//   QC_ASSIGN_OR_RETURN(qc::qat::TrainResult r, qc::qat::Train(graph, data, o));   // graph now holds the student
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qat/bert_adam.h"
#include "qat/data/glue_data.h"
#include "qat/distill_losses.h"
#include "qat/fake_quant.h"
#include "qat/data/metrics.h"
#include "qat/teacher_intervention.h"

namespace qc::qat {

enum class DistillMode : uint8_t { kNone, kKd, kKdQat, kTi };
std::string_view DistillModeName(DistillMode mode);
Expected<DistillMode> ParseDistillMode(std::string_view text);  ///< "none", "kd", "kdqat", "ti"

struct TrainData {
  std::vector<EncodedExample> train;
  std::vector<EncodedExample> eval;  ///< may be empty (no evaluation)
  TaskKind kind = TaskKind::kClassification;
  int64_t pad_id = 0;
  int64_t pad_type_id = 0;
};

struct Progress {
  int64_t step = 0;   ///< steps done
  int64_t total = 0;  ///< options.steps
  int phase = 1;      ///< 2 during TI step 2
  double loss = 0.0;
  double lr = 0.0;
  TiMode ti_mode = TiMode::kNone;
  bool evaluated = false;  ///< this call reports an evaluation
  double eval_score = 0.0;     ///< the student's metric (when evaluated)
  double teacher_score = 0.0;  ///< the teacher's metric on the same set (kNone: the model before fine-tuning)
};

struct TrainerOptions {
  DistillMode mode = DistillMode::kKd;
  int64_t steps = 100;  ///< N, total optimizer steps (both TI steps together)
  int64_t batch_size = 32;
  BertAdamOptions optimizer;  ///< lr, warmup, ...; t_total is set per phase
  uint64_t seed = 42;
  int threads = 2;  ///< shards run on this many threads; results do not depend on it (qat/shard_runner.h)
  int64_t eval_every = 0;  ///< 0: only at the end
  int64_t eval_batch_size = 64;
  MetricKind metric = MetricKind::kAccuracy;
  bool bucketing = true;
  int64_t ti_steps = 60;
  TiSchedule ti_schedule = TiSchedule::kGradual;
  uint64_t ti_seed = 1;                    ///< stochastic schedule
  std::optional<DistillLossConfig> losses;  ///< unset: the mode's default set
  QuantRecipe quant;
  /// Learning rate of the learned activation clips (quant.learn_act_clip), on the weights' schedule; BinaryBERT's
  /// clip_lr. Clips are scalars, so no weight decay.
  double act_clip_lr = 1e-4;
  std::string logits_output;   ///< graph output compared by the losses ("" = the first)
  std::string checkpoint_dir;  ///< "" = no checkpoints
  bool resume = false;         ///< continue from checkpoint_dir/last.pt when it exists
  /// Write back the evaluated state with the best metric (checkpoint_dir/best.pt; ties keep the earlier one)
  /// instead of the last. Needs eval data and checkpoint_dir.
  bool keep_best = false;
  /// > 0: evaluate, keep and write back an exponential moving average of the trained tensors with this decay per
  /// step (qat/weight_average.h; e.g. 0.99), restarted at TI's step 2; training continues from the raw weights.
  double average_decay = 0.0;
  /// In (0, 1]: as average_decay, but the plain mean of the states after each of the last ceil(average_tail · steps)
  /// steps (Polyak's tail average; within TI's step 2 when the tail reaches back further). Evaluations before the tail
  /// score the raw weights. Exclusive with average_decay.
  double average_tail = 0.0;
  int64_t stop_after = -1;     ///< >= 0: return after this many steps (interruption; tests resume), no write-back
  /// Polled before every step: true stops the run there (as stop_after does), after saving last.pt when
  /// checkpoint_dir is set. For Ctrl-C: the caller's signal handler sets a flag this reads.
  std::function<bool()> should_stop;
  std::function<void(const Progress&)> progress;
};

struct EvalPoint {
  int64_t step = 0;
  double score = 0.0;  ///< student metric
  double loss = 0.0;   ///< mean training loss since the previous point
  /// With a weight average (average_decay or average_tail > 0), `score` is the average's and this is the raw weights'
  /// at the same step (equal to `score` before a tail average starts)
  std::optional<double> raw_score;
};

struct TrainResult {
  std::vector<EvalPoint> curve;
  std::vector<double> step_losses;  ///< every step's loss (this process only when resumed)
  double teacher_score = 0.0;       ///< kNone: the score before fine-tuning
  double best_score = 0.0;
  int64_t best_step = -1;
  double last_score = 0.0;
  int64_t exported_step = 0;  ///< the step whose state was written back (best_step with keep_best)
  int64_t steps_done = 0;
  double seconds_per_step = 0.0;  ///< wall time of the optimizer steps of this process
  LogitRows eval_logits;          ///< the exported student's outputs on data.eval (a finished run with eval data)
  bool stopped = false;           ///< should_stop ended the run early (no write-back)
};

/// Trains on `data` starting from `graph` (a float classifier/regressor graph) and, unless stopped early, writes the
/// trained model back into `graph` (weights, and Node::quant for quantized modes).
Expected<TrainResult> Train(ir::Graph& graph, const TrainData& data, const TrainerOptions& options);

/// Outputs of `model` on `data` (forward without grad, batches in order).
/// Batches run on up to `threads` threads (each batch on one; results do not depend on the thread count).
Expected<LogitRows> EvaluateLogits(const TorchModel& model, const std::vector<EncodedExample>& data,
                                   int64_t batch_size, int64_t pad_id, int64_t pad_type_id,
                                   const std::string& logits_output = "", int threads = 1);

/// Metric of `model` on `data` (forward without grad, batches in order).
Expected<double> Evaluate(const TorchModel& model, const std::vector<EncodedExample>& data, TaskKind kind,
                          MetricKind metric, int64_t batch_size, int64_t pad_id, int64_t pad_type_id,
                          const std::string& logits_output = "", int threads = 1);

}  // namespace qc::qat
