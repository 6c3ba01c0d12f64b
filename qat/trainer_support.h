// qat/trainer_support.h: internal pieces of qat/trainer.cc — batch tensors and checkpoint files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "qat/trainer.h"
#include "qat/weight_average.h"

namespace qc::qat {

/// The forward inputs of a padded batch for the model's graph inputs (input_ids, attention_mask, token_type_ids;
/// others are an error), and the labels tensor.
Expected<std::map<std::string, torch::Tensor>> BatchInputs(const TorchModel& model, const PaddedBatch& batch);
torch::Tensor BatchLabels(const PaddedBatch& batch, TaskKind kind);
torch::Tensor BatchMask(const PaddedBatch& batch);
/// `parts` consecutive row ranges of `batch` (fewer when it has fewer rows), sizes differing by at most one.
std::vector<PaddedBatch> SplitBatch(const PaddedBatch& batch, int parts);

/// What the optimizer trains: the model's parameters, then its quantizer parameters (learned clips).
std::vector<torch::Tensor> Trainable(const TorchModel& model);

/// Training state beyond the parameters and optimizers.
struct TrainerState {
  int64_t step = 0;
  double best_score = 0.0;
  int64_t best_step = -1;
  std::vector<EvalPoint> curve;
  double loss_since_eval = 0.0;  ///< running sum for the next EvalPoint::loss
  int64_t steps_since_eval = 0;
  std::string settings;  ///< the run's ResumeSettings (qat/resume_settings.h); "" in checkpoints of older versions
};

/// Writes parameters and quantizer parameters, the optimizer and the weight average (either may be null) and the
/// state to `path` (atomically: temp file + rename).
Status SaveCheckpoint(const std::string& path, const TorchModel& model, const BertAdam* optimizer,
                      const TrainerState& state, const WeightAverage* average = nullptr);
/// Loads what SaveCheckpoint wrote; `optimizer` and `average` may be null (not restored).
Status LoadCheckpoint(const std::string& path, TorchModel& model, BertAdam* optimizer, TrainerState* state,
                      WeightAverage* average = nullptr);
/// Only the state of a checkpoint (step, curve, settings), without touching a model.
Expected<TrainerState> ReadCheckpointState(const std::string& path);

}  // namespace qc::qat
