// The training loop (qat/trainer.h): phases, steps, evaluation, checkpoints, write-back.
#include "qat/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "qat/fake_quant.h"
#include "qat/resume_settings.h"
#include "qat/shard_runner.h"
#include "qat/torch_guard.h"
#include "qat/trainer_support.h"
#include "qat/weight_average.h"

namespace qc::qat {

std::string_view DistillModeName(DistillMode mode) {
  switch (mode) {
    case DistillMode::kNone: return "none";
    case DistillMode::kKd: return "kd";
    case DistillMode::kKdQat: return "kdqat";
    case DistillMode::kTi: return "ti";
  }
  return "invalid";
}

Expected<DistillMode> ParseDistillMode(std::string_view text) {
  for (DistillMode m : {DistillMode::kNone, DistillMode::kKd, DistillMode::kKdQat, DistillMode::kTi}) {
    if (text == DistillModeName(m)) return m;
  }
  return InvalidArgument("unknown distillation mode '" + std::string(text) + "' (none, kd, kdqat, ti)");
}

namespace {

// Shards per training batch: part of the recipe's numerics (the gradient is their example-weighted sum), so it is
// a constant, not the thread count; two keep both cores of a small machine busy.
constexpr int kTrainShards = 2;

DistillLossConfig DefaultLosses(DistillMode mode, TaskKind kind) {
  DistillLossConfig c = mode == DistillMode::kKdQat ? DistillLossConfig::KdQat()
                        : mode == DistillMode::kTi  ? DistillLossConfig::TeacherIntervention()
                                                    : DistillLossConfig::TernaryBert();
  if (kind == TaskKind::kRegression) c.pred = PredLoss::kMse;
  return c;
}

class Run {
 public:
  Run(ir::Graph& graph, const TrainData& data, const TrainerOptions& o) : graph_(graph), data_(data), o_(o) {}

  Expected<TrainResult> Go() {
    QC_RETURN_IF_ERROR(Check());
    UseSingleTorchThread();  // parallelism comes from shards (Step, EvalOf), never from LibTorch's own threads
    const bool distill = o_.mode != DistillMode::kNone;
    losses_ = o_.losses.value_or(DefaultLosses(o_.mode, data_.kind));
    QC_ASSIGN_OR_RETURN(student_, TorchModel::Build(graph_));
    if (distill) {
      QC_ASSIGN_OR_RETURN(teacher_, TorchModel::Build(graph_));
      QC_RETURN_IF_ERROR(ApplyQuantRecipe(*student_, o_.quant).status());
    }
    if (o_.mode == DistillMode::kTi) {
      QC_ASSIGN_OR_RETURN(plan_, MakeTwoStepPlan(o_.steps, o_.ti_steps));
    }
    if (!data_.eval.empty()) {
      const TorchModel& reference = distill ? *teacher_ : *student_;
      QC_ASSIGN_OR_RETURN(result_.teacher_score, EvalOf(reference));
    }
    // Resume: the phase follows from the step, so build the right optimizer before loading its state.
    const std::string last = o_.checkpoint_dir.empty() ? "" : o_.checkpoint_dir + "/last.pt";
    if (!last.empty()) {
      state_.settings = ResumeSettings(o_, data_, losses_, graph_);
      std::filesystem::create_directories(o_.checkpoint_dir);
    }
    if (o_.average_decay > 0.0 || o_.average_tail > 0.0) {
      average_.emplace(o_.average_tail > 0.0 ? WeightAverage::Uniform() : WeightAverage(o_.average_decay));
      average_->Reset(Trainable(*student_));
      // The average restarts where TI's step 2 starts (step 1 trains another network: the teacher's parts wired in).
      average_restart_ = o_.mode == DistillMode::kTi ? plan_.step1 : 0;
      if (o_.average_tail > 0.0) {
        const auto tail = static_cast<int64_t>(std::ceil(o_.average_tail * static_cast<double>(o_.steps)));
        average_restart_ = std::max(average_restart_, o_.steps - tail);
      }
    }
    if (o_.resume && !last.empty() && std::filesystem::exists(last)) {
      QC_ASSIGN_OR_RETURN(const TrainerState peek, ReadCheckpointState(last));
      QC_RETURN_IF_ERROR(CheckResumeSettings(last, peek.settings, state_.settings));
      // The saved moments belong to the phase of the last step taken (step 2 starts with a fresh optimizer).
      MakeOptimizer(PhaseOf(peek.step > 0 ? peek.step - 1 : 0));
      QC_RETURN_IF_ERROR(LoadCheckpoint(last, *student_, optimizer_.get(), &state_, average_ ? &*average_ : nullptr));
    } else {
      MakeOptimizer(1);
    }
    scheduler_ = std::make_unique<TiScheduler>(o_.ti_schedule, plan_.step1 > 0 ? plan_.step1 : 1, o_.ti_seed);
    for (int64_t s = 0; s < state_.step; ++s) scheduler_->ModeAt(s);  // replay the stochastic draws
    const int64_t batches_per_epoch =
        (static_cast<int64_t>(data_.train.size()) + o_.batch_size - 1) / o_.batch_size;
    const auto start = std::chrono::steady_clock::now();
    int64_t steps_here = 0;
    while (state_.step < o_.steps) {
      if (o_.stop_after >= 0 && steps_here >= o_.stop_after) break;
      if (o_.should_stop && o_.should_stop()) {
        result_.stopped = true;
        if (!last.empty()) QC_RETURN_IF_ERROR(SaveLast(last));
        break;
      }
      const int phase = PhaseOf(state_.step);
      if (phase == 2 && optimizer_phase_ == 1) {
        MakeOptimizer(2);
      }
      if (average_ && state_.step == average_restart_ && state_.step > 0) average_->Reset(Trainable(*student_));
      const int64_t epoch = state_.step / batches_per_epoch;
      if (epoch != cached_epoch_) {
        batches_ = MakeBatches(data_.train, static_cast<size_t>(o_.batch_size), o_.seed, epoch, o_.bucketing);
        cached_epoch_ = epoch;
      }
      const PaddedBatch batch =
          PadBatch(data_.train, batches_[static_cast<size_t>(state_.step % batches_per_epoch)], data_.pad_id,
                   data_.pad_type_id);
      const TiMode mode = phase == 1 && o_.mode == DistillMode::kTi ? scheduler_->ModeAt(state_.step) : TiMode::kNone;
      Progress p;
      p.lr = optimizer_->CurrentLr();
      QC_ASSIGN_OR_RETURN(double loss, Step(batch, mode));
      if (average_ && (o_.average_tail == 0.0 || state_.step >= average_restart_)) {
        average_->Update(Trainable(*student_));
      }
      ++state_.step;
      ++steps_here;
      result_.step_losses.push_back(loss);
      state_.loss_since_eval += loss;
      ++state_.steps_since_eval;
      p.step = state_.step;
      p.total = o_.steps;
      p.phase = phase;
      p.loss = loss;
      p.ti_mode = mode;
      const bool eval_now = !data_.eval.empty() && ((o_.eval_every > 0 && state_.step % o_.eval_every == 0) ||
                                                     state_.step == o_.steps);
      if (eval_now) {
        std::optional<double> raw_score;
        if (AverageActive()) {  // the average is what gets scored and kept; the raw score says what averaging changed
          QC_ASSIGN_OR_RETURN(raw_score, EvalOf(*student_));
          average_->Exchange(Trainable(*student_));
        }
        QC_ASSIGN_OR_RETURN(const double score, EvalOf(*student_));
        if (average_ && !raw_score) raw_score = score;  // before a tail average starts, both are the raw weights
        state_.curve.push_back(EvalPoint{
            state_.step, score, state_.loss_since_eval / static_cast<double>(state_.steps_since_eval), raw_score});
        state_.loss_since_eval = 0.0;
        state_.steps_since_eval = 0;
        p.evaluated = true;
        p.eval_score = score;
        p.teacher_score = result_.teacher_score;
        if (state_.best_step < 0 || score > state_.best_score) {
          state_.best_score = score;
          state_.best_step = state_.step;
          if (!o_.checkpoint_dir.empty()) {
            QC_RETURN_IF_ERROR(SaveCheckpoint(o_.checkpoint_dir + "/best.pt", *student_, nullptr, state_));
          }
        }
        if (AverageActive()) average_->Exchange(Trainable(*student_));  // back to the raw weights to train on
      }
      if (!last.empty() && (eval_now || state_.step == o_.steps ||
                            (o_.stop_after >= 0 && steps_here == o_.stop_after))) {
        QC_RETURN_IF_ERROR(SaveLast(last));
      }
      if (o_.progress) o_.progress(p);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result_.seconds_per_step = steps_here > 0 ? seconds / static_cast<double>(steps_here) : 0.0;
    result_.curve = state_.curve;
    result_.best_score = state_.best_score;
    result_.best_step = state_.best_step;
    result_.last_score = state_.curve.empty() ? 0.0 : state_.curve.back().score;
    result_.steps_done = state_.step;
    if (state_.step == o_.steps) {
      result_.exported_step = state_.step;
      if (AverageActive()) average_->Exchange(Trainable(*student_));  // the last state is the average
      if (o_.keep_best && state_.best_step != state_.step) {
        TrainerState best_state;  // only the weights matter; the run's own state stays
        QC_RETURN_IF_ERROR(LoadCheckpoint(o_.checkpoint_dir + "/best.pt", *student_, nullptr, &best_state));
        result_.exported_step = best_state.step;
      }
      if (!data_.eval.empty()) {
        QC_ASSIGN_OR_RETURN(result_.eval_logits,
                            EvaluateLogits(*student_, data_.eval, o_.eval_batch_size, data_.pad_id, data_.pad_type_id,
                                           o_.logits_output, o_.threads));
      }
      QC_RETURN_IF_ERROR(WriteBackWeights(*student_, graph_));
      if (distill) QC_RETURN_IF_ERROR(AnnotateQuantization(*student_, o_.quant, graph_));
    }
    return result_;
  }

 private:
  Status Check() const {
    if (o_.steps <= 0 || o_.batch_size <= 0) return InvalidArgument("trainer: steps and batch_size must be > 0");
    if (data_.train.empty()) return InvalidArgument("trainer: no training examples");
    if (!(o_.average_decay >= 0.0 && o_.average_decay < 1.0)) {
      return InvalidArgument("trainer: average_decay must be in [0, 1) (0: no weight average)");
    }
    if (!(o_.average_tail >= 0.0 && o_.average_tail <= 1.0)) {
      return InvalidArgument("trainer: average_tail must be in [0, 1] (0: no tail average)");
    }
    if (o_.average_decay > 0.0 && o_.average_tail > 0.0) {
      return InvalidArgument("trainer: average_decay and average_tail exclude each other");
    }
    if (o_.keep_best && (data_.eval.empty() || o_.checkpoint_dir.empty())) {
      return InvalidArgument("trainer: keep_best needs eval data and a checkpoint_dir");
    }
    if (o_.mode == DistillMode::kNone && data_.kind == TaskKind::kClassification) {
      for (const EncodedExample& e : data_.train) {
        if (e.label < 0) return InvalidArgument("trainer: float fine-tuning needs labels");
      }
    }
    return Status::Ok();
  }

  Status SaveLast(const std::string& path) const {
    return SaveCheckpoint(path, *student_, optimizer_.get(), state_, average_ ? &*average_ : nullptr);
  }

  // Whether the average holds at least one update of its current window (a tail average starts late).
  bool AverageActive() const {
    return average_.has_value() && (o_.average_tail == 0.0 || state_.step > average_restart_);
  }

  int PhaseOf(int64_t step) const { return (o_.mode == DistillMode::kTi && step >= plan_.step1) ? 2 : 1; }

  void MakeOptimizer(int phase) {
    BertAdamOptions opt = o_.optimizer;
    if (o_.mode == DistillMode::kTi) {
      opt.t_total = phase == 1 ? plan_.step1 : plan_.step2;
    } else {
      opt.t_total = o_.steps;
    }
    // Weights at lr, then the quantizers' clips at act_clip_lr (the same schedule).
    const size_t weights = student_->parameters().size();
    std::vector<double> lr_scales(weights, 1.0);
    lr_scales.resize(weights + student_->quantizer_parameters().size(), opt.lr > 0.0 ? o_.act_clip_lr / opt.lr : 0.0);
    optimizer_ = std::make_unique<BertAdam>(Trainable(*student_), opt, std::move(lr_scales));
    optimizer_phase_ = phase;
  }

  Expected<double> EvalOf(const TorchModel& model) const {
    return Evaluate(model, data_.eval, data_.kind, o_.metric, o_.eval_batch_size, data_.pad_id, data_.pad_type_id,
                    o_.logits_output, o_.threads);
  }

  // The loss of one shard of a batch (forward passes included), as a scalar tensor with a graph.
  Expected<torch::Tensor> ShardLoss(const PaddedBatch& batch, TiMode mode) const {
    QC_ASSIGN_OR_RETURN(auto inputs, BatchInputs(*student_, batch));
    if (o_.mode == DistillMode::kNone) {
      QC_ASSIGN_OR_RETURN(ForwardResult r, student_->Forward(inputs));
      torch::Tensor logits = o_.logits_output.empty() ? r.outputs.at(0) : r.Output(o_.logits_output);
      return TaskLoss(logits, BatchLabels(batch, data_.kind), data_.kind == TaskKind::kRegression);
    }
    const torch::Tensor mask = BatchMask(batch);
    ForwardOptions teacher_options;
    teacher_options.taps = losses_.RequiredTaps() | TiTeacherTaps(mode);
    ForwardResult teacher;
    {
      torch::NoGradGuard no_grad;
      QC_ASSIGN_OR_RETURN(teacher, teacher_->Forward(inputs, teacher_options));
    }
    ForwardOptions student_options;
    student_options.taps = losses_.RequiredTaps();
    QC_ASSIGN_OR_RETURN(student_options.interventions, BuildInterventions(mode, teacher.taps));
    QC_ASSIGN_OR_RETURN(ForwardResult student, student_->Forward(inputs, student_options));
    QC_ASSIGN_OR_RETURN(LossTerms terms, DistillLoss(student, teacher, mask, losses_, o_.logits_output));
    return terms.total;
  }

  // One optimizer step. The batch is cut into kTrainShards fixed shards whose gradients are computed independently
  // (on as many threads as allowed) and summed in shard order, weighted by their share of the examples: the result
  // does not depend on the thread count (qat/shard_runner.h).
  Expected<double> Step(const PaddedBatch& batch, TiMode mode) {
    const std::vector<PaddedBatch> shards = SplitBatch(batch, kTrainShards);
    const std::vector<torch::Tensor> params = Trainable(*student_);
    std::vector<std::vector<torch::Tensor>> grads(shards.size());
    std::vector<double> losses(shards.size(), 0.0);
    // The weights are fixed until the optimizer runs: ternarize each once for both shards.
    std::optional<TwnCacheScope> twn_once(std::in_place);
    Status s = RunShards(o_.threads, static_cast<int>(shards.size()), [&](int i) -> Status {
      const auto k = static_cast<size_t>(i);
      QC_ASSIGN_OR_RETURN(torch::Tensor loss, ShardLoss(shards[k], mode));
      grads[k] = torch::autograd::grad({loss}, params, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
      losses[k] = loss.item<double>();
      return Status::Ok();
    });
    twn_once.reset();
    if (!s.ok()) return s.WithContext("training step " + std::to_string(state_.step));
    double loss_value = 0.0;
    s = RunTorchGuarded("training step " + std::to_string(state_.step), [&]() -> Status {
      torch::NoGradGuard no_grad;
      for (size_t p = 0; p < params.size(); ++p) {
        torch::Tensor total;
        for (size_t k = 0; k < shards.size(); ++k) {
          if (!grads[k][p].defined()) continue;
          const double w = static_cast<double>(shards[k].batch) / static_cast<double>(batch.batch);
          torch::Tensor term = shards.size() == 1 ? grads[k][p] : grads[k][p] * w;
          total = total.defined() ? total + term : term;
        }
        if (total.defined()) params[p].mutable_grad() = total;
      }
      for (size_t k = 0; k < shards.size(); ++k) {
        loss_value += losses[k] * static_cast<double>(shards[k].batch) / static_cast<double>(batch.batch);
      }
      optimizer_->Step();
      optimizer_->ZeroGrad();
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return loss_value;
  }

  ir::Graph& graph_;
  const TrainData& data_;
  const TrainerOptions& o_;
  DistillLossConfig losses_;
  std::unique_ptr<TorchModel> student_, teacher_;
  std::unique_ptr<BertAdam> optimizer_;
  std::optional<WeightAverage> average_;  ///< set when average_decay or average_tail > 0
  int64_t average_restart_ = 0;           ///< the step at which the average last restarts (Reset)
  int optimizer_phase_ = 1;
  TwoStepPlan plan_;
  std::unique_ptr<TiScheduler> scheduler_;
  TrainerState state_;
  TrainResult result_;
  int64_t cached_epoch_ = -1;
  std::vector<std::vector<size_t>> batches_;
};

}  // namespace

Expected<TrainResult> Train(ir::Graph& graph, const TrainData& data, const TrainerOptions& options) {
  Expected<TrainResult> result = InvalidArgument("");
  Status s = RunTorchGuarded("training", [&]() -> Status {
    result = Run(graph, data, options).Go();
    return result.ok() ? Status::Ok() : result.status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace qc::qat
