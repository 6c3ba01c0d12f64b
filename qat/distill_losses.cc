// Distillation losses (qat/distill_losses.h), following the reference code's reductions (method.md §3).
#include "qat/distill_losses.h"

#include <string>

#include "qat/torch_guard.h"

namespace qc::qat {

DistillLossConfig DistillLossConfig::TernaryBert() { return DistillLossConfig{}; }

DistillLossConfig DistillLossConfig::KdQat(double map_coeff, double output_coeff) {
  DistillLossConfig c;
  c.pred = PredLoss::kSoftCeSum;
  c.score_weight = 0.0;
  c.map_weight = map_coeff;
  c.output_weight = output_coeff;
  return c;
}

DistillLossConfig DistillLossConfig::TeacherIntervention() {
  DistillLossConfig c;
  c.pred = PredLoss::kSoftCeSum;
  c.output_weight = 1.0;
  return c;
}

uint32_t DistillLossConfig::RequiredTaps() const {
  uint32_t taps = kTapNone;
  if (hidden_weight != 0.0) taps |= kTapHidden;
  if (score_weight != 0.0) taps |= kTapScores;
  if (map_weight != 0.0) taps |= kTapProbs;
  if (output_weight != 0.0) taps |= kTapAttentionOutput;
  return taps;
}

torch::Tensor SoftCrossEntropy(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                               bool sum_over_classes) {
  const torch::Tensor per = -at::softmax(teacher_logits, -1) * at::log_softmax(student_logits, -1);
  return sum_over_classes ? per.sum(-1).mean() : per.mean();
}

torch::Tensor SumMse(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher) {
  TORCH_CHECK(student.size() == teacher.size(), "SumMse: ", student.size(), " student vs ", teacher.size(),
              " teacher tensors");
  torch::Tensor total = torch::zeros({}, torch::kFloat);
  for (size_t i = 0; i < student.size(); ++i) total = total + at::mse_loss(student[i], teacher[i]);
  return total;
}

torch::Tensor MaskedScoreMse(const torch::Tensor& student_scores, const torch::Tensor& teacher_scores) {
  const torch::Tensor s = at::where(student_scores <= -100.0, at::zeros_like(student_scores), student_scores);
  const torch::Tensor t = at::where(teacher_scores <= -100.0, at::zeros_like(teacher_scores), teacher_scores);
  return at::mse_loss(s, t);
}

torch::Tensor AttentionMapKl(const torch::Tensor& student_probs, const torch::Tensor& teacher_probs,
                             const torch::Tensor& mask) {
  // No mask (images): every token is real.
  const torch::Tensor m = mask.defined() ? mask.to(torch::kFloat)
                                         : torch::ones({teacher_probs.size(0), teacher_probs.size(-1)}, torch::kFloat);
  const torch::Tensor len = m.sum(-1).clamp_min(1.0);             // [B]
  const torch::Tensor pair = m.unsqueeze(-1) * m.unsqueeze(-2);   // [B, S, S]: i, j < len_b
  const torch::Tensor pt = teacher_probs.clamp_min(1e-8);
  const torch::Tensor ps = student_probs.clamp_min(1e-8);
  const torch::Tensor kl = (pt * (pt.log() - ps.log()) * pair.unsqueeze(1)).sum({-1, -2});  // [B, H]
  return (kl / len.unsqueeze(-1)).mean();
}

Expected<LossTerms> DistillLoss(const ForwardResult& student, const ForwardResult& teacher, const torch::Tensor& mask,
                                const DistillLossConfig& config, const std::string& logits) {
  LossTerms terms;
  const torch::Tensor zs = logits.empty() ? student.outputs.at(0) : student.Output(logits);
  const torch::Tensor zt = logits.empty() ? teacher.outputs.at(0) : teacher.Output(logits);
  if (!zs.defined() || !zt.defined()) return NotFound("DistillLoss: no output '" + logits + "'");
  const size_t layers = student.taps.layers.size();
  if (config.RequiredTaps() & ~kTapHidden & kTapAll) {
    if (teacher.taps.layers.size() != layers || layers == 0) {
      return InvalidArgument("DistillLoss: student has " + std::to_string(layers) + " tapped layers, teacher " +
                             std::to_string(teacher.taps.layers.size()));
    }
  }
  auto collect = [&](const ForwardResult& r, torch::Tensor LayerTaps::*field, const char* name,
                     std::vector<torch::Tensor>* out) -> Status {
    for (size_t l = 0; l < r.taps.layers.size(); ++l) {
      const torch::Tensor& t = r.taps.layers[l].*field;
      if (!t.defined()) return FailedPrecondition(std::string("DistillLoss: tap '") + name + "' missing in layer " +
                                                  std::to_string(l) + " (ask for DistillLossConfig::RequiredTaps)");
      out->push_back(t);
    }
    return Status::Ok();
  };
  Status status = RunTorchGuarded("distillation loss", [&]() -> Status {
    terms.total = torch::zeros({}, torch::kFloat);
    if (config.pred_weight != 0.0) {
      terms.pred = config.pred == PredLoss::kMse ? at::mse_loss(zs, zt)
                                                 : SoftCrossEntropy(zs, zt, config.pred == PredLoss::kSoftCeSum);
      terms.total = terms.total + config.pred_weight * terms.pred;
    }
    if (config.hidden_weight != 0.0) {
      const auto hs = student.taps.HiddenStates(), ht = teacher.taps.HiddenStates();
      if (hs.empty() || hs.size() != ht.size()) {
        return FailedPrecondition("DistillLoss: hidden states missing (" + std::to_string(hs.size()) + " vs " +
                                  std::to_string(ht.size()) + ")");
      }
      terms.hidden = SumMse(hs, ht);
      terms.total = terms.total + config.hidden_weight * terms.hidden;
    }
    if (config.score_weight != 0.0) {
      std::vector<torch::Tensor> s, t;
      QC_RETURN_IF_ERROR(collect(student, &LayerTaps::scores, "scores", &s));
      QC_RETURN_IF_ERROR(collect(teacher, &LayerTaps::scores, "scores", &t));
      terms.score = torch::zeros({}, torch::kFloat);
      for (size_t l = 0; l < s.size(); ++l) terms.score = terms.score + MaskedScoreMse(s[l], t[l]);
      terms.total = terms.total + config.score_weight * terms.score;
    }
    if (config.map_weight != 0.0) {
      std::vector<torch::Tensor> s, t;
      QC_RETURN_IF_ERROR(collect(student, &LayerTaps::probs, "probs", &s));
      QC_RETURN_IF_ERROR(collect(teacher, &LayerTaps::probs, "probs", &t));
      terms.map = torch::zeros({}, torch::kFloat);
      for (size_t l = 0; l < s.size(); ++l) terms.map = terms.map + AttentionMapKl(s[l], t[l], mask);
      terms.total = terms.total + config.map_weight * terms.map;
    }
    if (config.output_weight != 0.0) {
      std::vector<torch::Tensor> s, t;
      QC_RETURN_IF_ERROR(collect(student, &LayerTaps::attention_output, "attention_output", &s));
      QC_RETURN_IF_ERROR(collect(teacher, &LayerTaps::attention_output, "attention_output", &t));
      terms.output = SumMse(s, t);
      terms.total = terms.total + config.output_weight * terms.output;
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return terms;
}

torch::Tensor TaskLoss(const torch::Tensor& logits, const torch::Tensor& labels, bool regression) {
  if (regression) return at::mse_loss(logits.reshape({-1}), labels.to(torch::kFloat).reshape({-1}));
  return at::cross_entropy_loss(logits, labels.to(torch::kLong));
}

}  // namespace qc::qat
