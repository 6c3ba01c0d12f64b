// qat/bert_adam.h: the BertAdam optimizer of the TernaryBERT / TI / KD-QAT code (method.md §5), and AdamW.
//
// Overview
//   Per parameter tensor p with gradient g, at optimizer step t (0-based), x = t / t_total:
//     g ← g · min(1, max_grad_norm / (‖g‖₂ + 1e-6))      per tensor (torch clip_grad_norm_ on each p), not global
//     m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²
//     BertAdam: u = m / (√v + eps) + wd·p                 no bias correction
//     AdamW:    u = m̂ / (√v̂ + eps) + wd·p, m̂ = m/(1−β1^(t+1)), v̂ = v/(1−β2^(t+1))
//     p ← p − lr·s_p·warmup_linear(x)·u,  warmup_linear(x) = x/w for x < w, else max((x − 1)/(w − 1), 0)
//   with s_p the parameter's lr scale (1 unless given)
//   wd is 0 for 1-D parameters (biases and LayerNorm γ/β, BERT's no_decay list). Defaults: β = (0.9, 0.999),
//   eps 1e-6, wd 0.01, max_grad_norm 1.0, warmup 0.1. Parameters without a gradient are skipped (their state and
//   step do not move, as in torch).
//
// Usage
//   qc::qat::BertAdamOptions o;  o.lr = 2e-5;  o.t_total = 600;
//   qc::qat::BertAdam opt(model->parameters(), o);
//   loss.backward();  opt.Step();  opt.ZeroGrad();
//   opt.Save(archive, "optimizer");  ...  opt.Load(archive, "optimizer");     // exact resume
#pragma once

#include <vector>

#include "qat/torch_model.h"

namespace qc::qat {

enum class OptimizerKind : uint8_t { kBertAdam, kAdamW };

struct BertAdamOptions {
  OptimizerKind kind = OptimizerKind::kBertAdam;
  double lr = 2e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-6;
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;  ///< <= 0: no clipping
  double warmup = 0.1;         ///< fraction of t_total
  int64_t t_total = -1;        ///< -1: constant lr
};

/// warmup_linear(x, warmup) as above.
double WarmupLinear(double x, double warmup);

class BertAdam {
 public:
  /// `lr_scales`: one multiplier of the learning rate per parameter (empty: 1 for all), e.g. a learned clip's own lr.
  BertAdam(std::vector<torch::Tensor> params, const BertAdamOptions& options, std::vector<double> lr_scales = {});
  /// One update of every parameter with a gradient; then the step counter advances.
  void Step();
  void ZeroGrad();
  /// The learning rate the next Step() uses.
  double CurrentLr() const;
  int64_t step() const { return step_; }
  void Save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
  /// Restores state saved by Save() for the same parameter list (an error on a shape mismatch).
  Status Load(torch::serialize::InputArchive& archive, const std::string& prefix);

 private:
  std::vector<torch::Tensor> params_;
  BertAdamOptions options_;
  std::vector<double> lr_scales_;
  std::vector<torch::Tensor> m_, v_;
  int64_t step_ = 0;
};

}  // namespace qc::qat
