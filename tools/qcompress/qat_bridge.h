// The one place qcompress calls quantization-aware training. Torch-free header: qat_bridge_torch.cc implements it
// with qat/trainer.h in builds with LibTorch (QC_WITH_TORCH), qat_bridge_unavailable.cc says why it cannot in builds
// without, so every other file of the command compiles the same way in both.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qat/data/metrics.h"
#include "qcompress/status.h"
#include "qcompress/task_data.h"

namespace qc::tools {

/// What the trainer quantizes (the global part of passes::QuantConfig; see compress.cc QatQuantFromConfig).
struct QatQuantSettings {
  int linear_bits = 2;     ///< 2 (ternary), 4, 8
  bool linear_per_row = false;
  int embedding_bits = 2;  ///< 32 keeps the word embedding float
  bool act_per_tensor = false;
  double act_clip = 2.5;   ///< 0 = none
  bool learn_act_clip = false;  ///< act_clip is the start of one trained clip per quantized Linear input
  int64_t act_groups = 1;       ///< per-embedding-group activation scales of quantized Linear inputs (1 = off)
  bool quantize_attention = true;
};

struct TrainingPlan {
  std::string mode = "kd";  ///< none (float fine-tuning), kd, kdqat, ti
  int64_t steps = 0;
  int64_t batch_size = 32;
  double lr = 2e-5;
  double act_clip_lr = 1e-4;           ///< learning rate of learned activation clips (quant.learn_act_clip)
  std::string optimizer = "bertadam";  ///< bertadam or adamw
  bool keep_best = false;  ///< export the state with the best --eval score instead of the last
  bool builtin_corpus = false;  ///< no --data: the training set is qat/data/builtin_corpus.h's (for the report)
  double average_decay = 0.0;  ///< > 0: evaluate and export a moving average of the weights (qat/weight_average.h)
  double average_tail = 0.0;   ///< > 0: the same with the plain mean of the last steps' states (TrainerOptions)
  uint64_t seed = 42;
  int threads = 1;
  int64_t eval_every = 0;
  int64_t ti_steps = 0;
  std::string ti_mode = "gradual";
  QatQuantSettings quant;
  std::string checkpoint_dir;
  bool resume = false;
  /// Called after every step: (steps done, total, loss, evaluation score or NaN, TI phase text).
  std::function<void(int64_t, int64_t, double, double, const std::string&)> progress;
  std::function<bool()> should_stop;
};

struct TrainingOutcome {
  bool stopped = false;  ///< interrupted (should_stop): nothing written back
  int64_t steps_done = 0;
  double seconds_per_step = 0;
  double teacher_score = 0;  ///< the float model's metric on --eval (torch), 0 without eval data
  double last_score = 0;     ///< the trained student's (fake-quant) metric on --eval at the last step
  double best_score = 0;
  int64_t best_step = -1;
  int64_t exported_step = 0;  ///< the step whose weights were written back (best_step with keep_best)
  std::vector<std::pair<int64_t, double>> loss_curve;  ///< (step, mean loss over the steps since the previous point)
  std::vector<std::pair<int64_t, double>> eval_curve;  ///< (step, student metric)
  std::vector<std::pair<int64_t, double>> raw_eval_curve;  ///< --average-weights: the raw weights' metric
  qat::LogitRows student_eval_logits;  ///< the trained student's outputs on --eval (fake quantization)
};

/// True when this build links LibTorch (quantization-aware training and fine-tuning available).
bool QatAvailable();

/// Adds a sequence-classification head with `num_labels` classes when the graph has no "logits" output.
/// Returns true when it added one.
Expected<bool> EnsureClassifierHead(ir::Graph& graph, int64_t num_labels, uint64_t seed);

/// Trains `graph` in place (plan.mode "none": float fine-tuning; otherwise QAT with distillation from the graph as
/// given, which then carries the trained weights and the quantization annotations passes/ lowers).
Expected<TrainingOutcome> RunTraining(ir::Graph& graph, const TaskData& task, const TrainingPlan& plan);

}  // namespace qc::tools
