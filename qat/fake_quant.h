// qat/fake_quant.h: fake quantizers (straight-through estimators) with exactly the runtime's arithmetic, installed as
// TorchModel weight / activation transforms, and the recipe that records them as ir::QuantAnnotation.
//
// Overview
//   Weights (method.md §1, docs/quantization.md §2, notes qops.md):
//     TWN ternary   Ŵ = α·(c − 1) with codes and α from the runtime's own TernarizeTwn (float64 sums), per tensor
//                   (Linears) or per row (word embedding); backward dL/dW = dL/dŴ, zero where |W| >= clip (2.5).
//     int8 / int4   amax = max|w| per tensor or row, s = fl(q/amax), d = fl(amax/q) (q = 127 or 7),
//                   Ŵ = clamp(RNE(w·s))·d; identity STE.
//   Activations (method.md §2, docs/quantization.md §3): int8 on every quantized Linear's input, per token (one scale
//     per row of the last axis; the runtime default) or per tensor (TernaryBERT), optional clip (2.5);
//     x̂ = q·d with d = fl(amax/127) (not q/s), torch.round = RNE; gradient zero outside the clip.
//   QAttention (qops.md): SetAttentionQuantization on the model makes every Attention compute the op's integer
//     arithmetic exactly (per-(token, head) Q/K/V codes, S_int·fl(dq·dk)·scale, softmax, P' = p·dv quantized per row,
//     O_int·dp) with STE gradients (torch_ops.cc calls QuantizedAttentionCore).
//
//   Every value is bit-identical to what the runtime computes for codes and scales; the float sums of the Linear
//   (Σ ŵ x̂) differ from the integer GEMM only by float rounding (qops.md "float simulation").
//
// Usage
//   qc::qat::QuantRecipe recipe;                       // TernaryBERT: t2 weights, t2 row-wise word embedding, a8
//   recipe.act_granularity = qc::qat::ActGranularity::kPerToken;
//   QC_ASSIGN_OR_RETURN(size_t n, qc::qat::ApplyQuantRecipe(*student, recipe));
//   ... train ...
//   QC_RETURN_IF_ERROR(qc::qat::WriteBackWeights(*student, graph));
//   QC_RETURN_IF_ERROR(qc::qat::AnnotateQuantization(*student, recipe, graph));   // Node::quant for lower_quantized
#pragma once

#include "qat/torch_model.h"
#include "ir/quant.h"

namespace qc::qat {

enum class ActGranularity : uint8_t { kPerToken, kPerTensor };

/// Integer codes (as integer-valued floats) and per-group dequantization factors d, broadcastable against codes
/// (per token: [..., 1]; per tensor: all dims 1). No autograd.
struct QuantizedRows {
  torch::Tensor codes;
  torch::Tensor dequant;
};
/// Symmetric quantization of x (float32) with `qmax` (127 / 7): clip (clip <= 0 or inf = none), amax per row of the
/// last axis or per tensor, s and d exactly as runtime ActScaleFromAbsMax (amax 0 -> all codes 0, d 0).
QuantizedRows QuantizeSymmetric(const torch::Tensor& x, bool per_row, float clip, int qmax);

/// TWN ternary fake quantizer (forward exactly runtime TernarizeTwn + TwnDequantize). `per_row`: one α per row of a
/// 2-D weight. Throws c10::Error on non-finite weights (caught by TorchModel::Forward).
torch::Tensor FakeQuantTwn(const torch::Tensor& w, bool per_row, float clip = 2.5f);

/// FakeQuantTwn per row, never cached: for rows gathered by an Embedding (a fresh tensor each forward, whose address a
/// cache keyed by storage could see reused by another gather within one TwnCacheScope).
torch::Tensor FakeQuantTwnRows(const torch::Tensor& rows, float clip = 2.5f);

/// While one is alive, the TWN codes and α of a weight (by storage, shape, granularity and clip) are computed once
/// and reused by every forward, from any thread. Open one only around work that does not change the weights: the
/// trainer opens one per step (both shards' forwards see the same weights; the optimizer runs after it closes).
class TwnCacheScope {
 public:
  TwnCacheScope();
  ~TwnCacheScope();
  TwnCacheScope(const TwnCacheScope&) = delete;
  TwnCacheScope& operator=(const TwnCacheScope&) = delete;
};
/// Symmetric int8 (bits 8) / int4 (bits 4) weight fake quantizer, identity STE.
torch::Tensor FakeQuantIntWeight(const torch::Tensor& w, int bits, bool per_row);
/// int8 codes of x with per-embedding-group scales: the last axis splits into `groups` equal column groups, each
/// with its own amax per row (per_row) or over the whole tensor, exactly as the runtime's grouped QLinear quantizes
/// (exec/grouped_qlinear.h). codes and dequant both have x's shape. groups = 1 is QuantizeSymmetric(x, per_row,
/// clip, 127); x's last dimension must be a multiple of groups.
QuantizedRows QuantizeGroupedInt8(const torch::Tensor& x, bool per_row, float clip, int64_t groups);
/// int8 activation fake quantizer: x̂ = q·d, gradient passes where |x| < clip (everywhere without a clip); `groups`
/// > 1: per-embedding-group scales (QuantizeGroupedInt8).
torch::Tensor FakeQuantActivation(const torch::Tensor& x, ActGranularity granularity, float clip, int64_t groups = 1);

/// Learned activation clipping (PACT-style; BinaryBERT's learnable clip, method.md §2): clamp(x, −α', α') with
/// α' = max(α, kMinLearnedActClip), α a trainable [1] tensor. Gradient to x where |x| <= α'; to α the sum of
/// g·sign(x) where |x| > α' (none while α sits at the floor). Quantizing the result with no further clip computes
/// exactly what the runtime's quantizer does with act_clip = α' (clamping is idempotent; the row amax is the same).
constexpr float kMinLearnedActClip = 1e-3f;
torch::Tensor LearnedActClamp(const torch::Tensor& x, const torch::Tensor& alpha);
/// α' as a float: the act_clip the runtime receives.
float EffectiveLearnedClip(const torch::Tensor& alpha);

/// QLinear simulation (notes/qops.md "QLinear"): int8 codes of x, the weight's codes and scales exactly as the
/// packer derives them, Y = Σ w·q as an exact float64 matmul of codes, y = fma(float(Y), fl(sw_j·d_i), b_j) evaluated
/// in float64 (the product is exact there). Forward bit-identical to the runtime's QLinear (up to double-rounding
/// corner cases of the final add); gradient that of linear(x̂, Ŵ, b) with the STEs above. About 2x the forward cost
/// of the float-sum fake quantizers, so QuantRecipe::exact_linear turns it on. With `act_groups` G > 1, as the
/// runtime's grouped QLinear: y_0 = fma(Y_0, fl(sw·d_0), b), y_g = fl(Y_g · fl(sw·d_g)), y = float sums in order.
torch::Tensor QLinearSim(const torch::Tensor& x, const torch::Tensor& w, const c10::optional<torch::Tensor>& b,
                         ir::WeightBits bits, bool per_row, float twn_clip, ActGranularity granularity, float act_clip,
                         int64_t act_groups = 1);

/// The QAttention core on per-head tensors q [B,h,Sq,d], k, v [B,h,Sk,d] with the additive mask term `fill`
/// ([B,1,1,Sk] or undefined). Returns scores (pre-softmax, mask added), and calls `substitute_probs` (may return
/// its argument) between softmax and P' so Teacher Intervention can replace P. Output context [B,h,Sq,d].
struct QuantAttentionResult {
  torch::Tensor scores;
  torch::Tensor probs;
  torch::Tensor context;
};
QuantAttentionResult QuantizedAttentionCore(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                            const torch::Tensor& fill, double scale, float clip,
                                            const std::function<torch::Tensor(const torch::Tensor&)>& substitute_probs);

/// What to quantize (defaults: TernaryBERT W2-E2-A8 with the runtime's per-token activations).
struct QuantRecipe {
  ir::WeightBits linear_bits = ir::WeightBits::kTernary;  ///< kFloat32 = leave Linears float
  ir::WeightGranularity linear_granularity = ir::WeightGranularity::kPerTensor;
  ir::WeightBits embedding_bits = ir::WeightBits::kTernary;  ///< word embedding (row-wise); kFloat32 = float
  float twn_clip = 2.5f;
  bool quantize_pooler = true;  ///< Linears outside layers that do not produce a graph output (TI: q_cls)
  ActGranularity act_granularity = ActGranularity::kPerToken;
  float act_clip = 2.5f;           ///< 0 = none
  /// Every quantized Linear input's clip becomes a trainable parameter (TorchModel::AddQuantizerParameter, one per
  /// input value, initial value act_clip, which must be > 0) used through LearnedActClamp; AnnotateQuantization
  /// exports each node's.
  /// The Attention's Q/K/V clip stays act_clip.
  bool learn_act_clip = false;
  /// Per-embedding-group activation scales (PEG) for every quantized Linear input: K splits into act_groups equal
  /// groups with their own scales (the runtime's QLinear act_groups). 1 = off. The Attention's Q/K/V keep theirs.
  int64_t act_groups = 1;
  bool quantize_attention = true;  ///< QAttention simulation (Q/K/V/P int8)
  /// Quantized Linears run QLinearSim (integer sums, the runtime's epilogue) instead of float sums of fake-quantized
  /// operands: int8 codes then agree with the packed model everywhere, at ~2x the Linear forward cost.
  bool exact_linear = false;
  /// Without exact_linear: forwards that record no gradient (evaluation, the final predictions compared with the
  /// .qm) still run QLinearSim, so the trained model's dev predictions are the packed model's; training steps keep
  /// the float-sum fake quantizers (their ~1e-7 relative difference only matters where a code sits on a tie).
  bool exact_eval = true;
};

/// Installs the recipe's transforms on `model` (replacing earlier ones); returns the number of quantized weights.
/// The classifier (a Linear producing a graph output) always stays FP32.
Expected<size_t> ApplyQuantRecipe(TorchModel& model, const QuantRecipe& recipe);

/// Sets Node::quant in `graph` for every node the recipe quantizes in `model` (Linear: weight + int8 activation;
/// word Embedding: weight per row; Attention: int8 activation), matching nodes by weight name / layer. The graph must
/// have the model's structure (the graph it was built from, or a copy). Unchanged on error.
Status AnnotateQuantization(const TorchModel& model, const QuantRecipe& recipe, ir::Graph& graph);

}  // namespace qc::qat
