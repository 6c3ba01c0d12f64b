#include "importers/hf/graph_context.h"

#include <cmath>
#include <utility>

namespace qc::hf {

Expected<ir::ValueId> HfGraphContext::Constant(const std::string& name, const std::vector<int64_t>& dims,
                                               std::string_view why) {
  QC_ASSIGN_OR_RETURN(ir::Tensor tensor, weights_.TakeFloat(name, dims, why));
  return builder_.AddConstant(name, std::move(tensor));
}

Expected<ir::ValueId> HfGraphContext::Constant(const std::string& name, ir::Tensor tensor) {
  return builder_.AddConstant(name, std::move(tensor));
}

Expected<ir::ValueId> HfGraphContext::Linear(ir::ValueId x, const std::string& module, int64_t out, int64_t in,
                                             bool bias, std::string_view why) {
  const std::string shape_why = std::string(why) + " weight: out x in";
  QC_ASSIGN_OR_RETURN(ir::ValueId weight, Constant(module + ".weight", {out, in}, shape_why));
  std::vector<ir::ValueId> inputs = {x, weight};
  if (bias) {
    QC_ASSIGN_OR_RETURN(ir::ValueId b, Constant(module + ".bias", {out}, std::string(why) + " bias"));
    inputs.push_back(b);
  }
  return Op(ir::OpType::kLinear, module, std::move(inputs));
}

Expected<ir::ValueId> HfGraphContext::LayerNorm(ir::ValueId x, const std::string& module) {
  // Checkpoints converted from TensorFlow name LayerNorm parameters gamma / beta; transformers renames them on load.
  const bool tf_names = !weights_.Has(module + ".weight") && weights_.Has(module + ".gamma");
  const std::string gamma_name = module + (tf_names ? ".gamma" : ".weight");
  const std::string beta_name = module + (tf_names ? ".beta" : ".bias");
  QC_ASSIGN_OR_RETURN(ir::ValueId gamma, Constant(gamma_name, {hidden()}, "LayerNorm scale: hidden_size"));
  QC_ASSIGN_OR_RETURN(ir::ValueId beta, Constant(beta_name, {hidden()}, "LayerNorm shift: hidden_size"));
  return Op(ir::OpType::kLayerNorm, module, {x, gamma, beta},
            {{ir::AttrName::kEpsilon, config_.encoder.layer_norm_eps}, {ir::AttrName::kAxis, int64_t{-1}}});
}

Expected<ir::ValueId> HfGraphContext::Activation(ir::ValueId x, const std::string& name) {
  switch (config_.encoder.hidden_act) {
    case HfActivation::kGeluExact:
      return Op(ir::OpType::kGelu, name, {x},
                {{ir::AttrName::kApproximate, static_cast<int64_t>(ir::GeluApproximation::kNone)}});
    case HfActivation::kGeluTanh:
      return Op(ir::OpType::kGelu, name, {x},
                {{ir::AttrName::kApproximate, static_cast<int64_t>(ir::GeluApproximation::kTanh)}});
    case HfActivation::kRelu:
      return Op(ir::OpType::kRelu, name, {x});
  }
  return Internal("unknown activation");
}

Expected<ir::ValueId> HfGraphContext::SelfAttention(ir::ValueId x, const std::string& name, const std::string& q,
                                                    const std::string& k, const std::string& v, bool qkv_bias,
                                                    ir::ValueId mask) {
  const int64_t h = hidden();
  QC_ASSIGN_OR_RETURN(ir::ValueId query, Linear(x, q, h, h, qkv_bias, "attention query: hidden_size"));
  QC_ASSIGN_OR_RETURN(ir::ValueId key, Linear(x, k, h, h, qkv_bias, "attention key: hidden_size"));
  QC_ASSIGN_OR_RETURN(ir::ValueId value, Linear(x, v, h, h, qkv_bias, "attention value: hidden_size"));
  std::vector<ir::ValueId> inputs = {query, key, value};
  if (mask != ir::kNoValue) inputs.push_back(mask);
  const double scale = 1.0 / std::sqrt(static_cast<double>(config_.encoder.head_dim()));
  // transformers fills masked scores with torch.finfo(float32).min, so padded keys get exactly zero weight.
  const double mask_fill = -3.4028234663852886e38;
  return Op(ir::OpType::kAttention, name, std::move(inputs),
            {{ir::AttrName::kNumHeads, config_.encoder.num_attention_heads},
             {ir::AttrName::kScale, scale},
             {ir::AttrName::kMaskFill, mask_fill}});
}

Expected<ir::ValueId> HfGraphContext::Op(ir::OpType op, const std::string& name, std::vector<ir::ValueId> inputs,
                                         ir::Attributes attributes) {
  return builder_.AddOp(op, name, std::move(inputs), std::move(attributes));
}

Expected<std::string> HfGraphContext::DetectPrefix(const std::vector<std::string>& prefixes,
                                                   const std::string& probe) const {
  std::string tried;
  for (const std::string& prefix : prefixes) {
    if (weights_.Has(prefix + probe)) return prefix;
    tried += (tried.empty() ? "'" : ", '") + prefix + probe + "'";
  }
  return NotFound(weights_.description() + ": not a " + std::string(HfModelTypeName(config_.model_type)) +
                  " checkpoint: none of " + tried + " exists");
}

}  // namespace qc::hf
