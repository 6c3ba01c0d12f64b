// qat/distill_losses.h: knowledge-distillation losses over TorchModel taps (method.md §3).
//
// Overview
//   pred      soft cross-entropy −softmax(z_T)·log_softmax(z_S): TernaryBERT takes the mean over batch AND classes
//             (kSoftCeMean); TI / KD-QAT sum over classes, then mean over the batch (kSoftCeSum); regression uses
//             MSE(z_S, z_T) (kMse).
//   hidden    Σ_{l=0..L} MSE(H_l^S, H_l^T), H_0 = the embedding output (L+1 terms).
//   score     Σ_l MSE of the pre-softmax scores (mask added) with entries <= −100 set to 0 in both tensors.
//   map       KD-QAT attention-map KL(teacher ‖ student): per layer mean over (b, h) of
//             (1/len_b)·Σ_{i,j < len_b} p_T·(log p_T − log p_S), probabilities clamped at >= 1e-8; summed over layers.
//   output    Σ_l MSE(AO_l^S, AO_l^T), AO = attention sub-layer output after residual and LayerNorm.
//   Every term has a weight; a zero weight skips the term (and its taps). MSE is the mean over elements.
//
// Usage
//   qc::qat::DistillLossConfig config = qc::qat::DistillLossConfig::TernaryBert();
//   options.taps = config.RequiredTaps();   // for both teacher and student forwards
//   QC_ASSIGN_OR_RETURN(qc::qat::LossTerms l, qc::qat::DistillLoss(student_result, teacher_result, mask, config));
//   l.total.backward();
#pragma once

#include "qat/torch_model.h"

namespace qc::qat {

enum class PredLoss : uint8_t { kSoftCeMean, kSoftCeSum, kMse };

struct DistillLossConfig {
  PredLoss pred = PredLoss::kSoftCeMean;
  double pred_weight = 1.0;
  double hidden_weight = 1.0;
  double score_weight = 1.0;
  double map_weight = 0.0;
  double output_weight = 0.0;

  /// TernaryBERT (method.md §3.1): pred (mean) + hidden + score.
  static DistillLossConfig TernaryBert();
  /// KD-QAT (§3.2): pred (sum) + hidden + map_coeff·map + output_coeff·output, no score MSE.
  static DistillLossConfig KdQat(double map_coeff = 1.0, double output_coeff = 1.0);
  /// TI (§3.3): pred (sum) + hidden + score + output.
  static DistillLossConfig TeacherIntervention();
  /// The taps the enabled terms need.
  uint32_t RequiredTaps() const;
};

/// The weighted terms (undefined tensors for disabled ones) and their sum.
struct LossTerms {
  torch::Tensor total, pred, hidden, score, map, output;
};

torch::Tensor SoftCrossEntropy(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                               bool sum_over_classes);
/// Σ_l MSE(s_l, t_l) over aligned lists.
torch::Tensor SumMse(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher);
/// One layer's score MSE with entries <= −100 zeroed in both.
torch::Tensor MaskedScoreMse(const torch::Tensor& student_scores, const torch::Tensor& teacher_scores);
/// One layer's attention-map KL; `mask` [B, S] (1 = token, 0 = padding; i64 or float).
torch::Tensor AttentionMapKl(const torch::Tensor& student_probs, const torch::Tensor& teacher_probs,
                             const torch::Tensor& mask);

/// All enabled terms; `logits` is the output both results are compared on (first graph output when empty).
/// Errors (missing taps or outputs, layer count mismatch) name the term.
Expected<LossTerms> DistillLoss(const ForwardResult& student, const ForwardResult& teacher, const torch::Tensor& mask,
                                const DistillLossConfig& config, const std::string& logits = "");

/// Ground-truth task loss: cross-entropy with integer labels [B], or MSE with float targets [B] for regression.
torch::Tensor TaskLoss(const torch::Tensor& logits, const torch::Tensor& labels, bool regression);

}  // namespace qc::qat
