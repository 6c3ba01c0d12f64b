// qat/weight_average.h: a running average of the trained tensors (latent weights and learned clips).
//
// Overview
//   The last state of a ternary QAT run is noisy: late updates flip codes at the TWN threshold, and two states a
//   few steps apart can differ by one or two accuracy points. WeightAverage keeps, after every optimizer step,
//     a ← d_n·a + (1 − d_n)·p,   d_n = min(decay, (1 + n) / (10 + n))
//   for the n-th update since Reset (n = 0, 1, ...): the short memory at the start is TensorFlow's
//   ExponentialMovingAverage(num_updates), so the average does not lean on the starting weights. Uniform() makes
//   it the plain mean of the states after each Update since Reset (d_n = n / (n + 1)): Polyak's tail average, which
//   the trainer starts a fixed number of steps before the end. The trainer
//   evaluates, keeps as best and exports the average (the quantizers then act on averaged latent weights);
//   training itself continues from the raw weights. Checkpoints carry the average, so a resume is exact.
//
// Usage
//   qc::qat::WeightAverage average(0.99);   // or WeightAverage::Uniform()
//   average.Reset(params);                  // a = p
//   optimizer.Step();  average.Update(params);
//   average.Exchange(params);  evaluate();  average.Exchange(params);   // the average in the model, then back
#pragma once

#include <string>
#include <vector>

#include "qat/torch_model.h"

namespace qc::qat {

class WeightAverage {
 public:
  explicit WeightAverage(double decay) : decay_(decay) {}
  /// The mean of the states after each Update since Reset (the Reset state itself is not part of it).
  static WeightAverage Uniform() {
    WeightAverage a(1.0);
    a.uniform_ = true;
    return a;
  }
  /// Starts over from `params`' current values.
  void Reset(const std::vector<torch::Tensor>& params);
  /// One averaging step after an optimizer step.
  void Update(const std::vector<torch::Tensor>& params);
  /// Swaps the values of `params` and the average in place (the tensors stay the optimizer's); twice undoes it.
  void Exchange(const std::vector<torch::Tensor>& params);
  /// d_n of the next Update.
  double NextDecay() const;
  int64_t updates() const { return updates_; }
  void Save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
  /// Restores what Save wrote for the same tensor list (an error naming the tensor on a count or shape mismatch).
  Status Load(torch::serialize::InputArchive& archive, const std::string& prefix);

 private:
  double decay_;
  bool uniform_ = false;
  std::vector<torch::Tensor> average_;
  int64_t updates_ = 0;
};

}  // namespace qc::qat
