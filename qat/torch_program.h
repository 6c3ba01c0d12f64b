// qat/torch_program.h: the compiled form of an IR graph that TorchModel interprets (internal to qat/).
//
// Overview
//   TorchModel::Build (torch_model_build.cc) turns every live node into a Step in topological order: op, value ids,
//   decoded attributes, the hook sites it owns and its role in an encoder layer. Forward (torch_model_forward.cc) keeps
//   one torch::Tensor per IR value id and runs the steps through RunStep (torch_ops.cc). Values whose last reader has
//   run are released so inference does not hold every activation.
//
// Usage (inside qat/ only)
//   ForwardState state{impl, options, std::vector<torch::Tensor>(impl.num_values), &result.taps};
//   for (const Step& step : impl.steps) QC_RETURN_IF_ERROR(RunStep(impl, step, state));
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "qat/torch_model.h"

namespace qc::qat {

/// What a step means to the per-layer machinery (taps and interventions).
enum class StepRole : uint8_t {
  kNone,
  kQueryKeyLinear,  ///< the Q or K Linear of a layer (detach_qk_input)
  kValueLinear,     ///< the V Linear (detach_v_input)
  kAttention,       ///< the layer's Attention node (scores, probs, context)
  kAttentionDense,  ///< the attention-output Linear (attention_dense tap and override)
};

/// Hidden-state taps attached to IR values (recorded when the value is computed).
enum class ValueTap : uint8_t { kNone, kLayerInput, kAttentionOutput, kLayerOutput };

struct Step {
  ir::NodeId node = ir::kNoNode;
  ir::OpType op = ir::OpType::kAdd;
  std::string what;                 ///< "node 'x' (Linear)", for errors
  std::vector<ir::ValueId> inputs;  ///< kNoValue for absent optional inputs
  ir::ValueId output = ir::kNoValue;
  // Decoded attributes (those the op has).
  double epsilon = 0.0;
  double scale = 0.0;
  double mask_fill = 0.0;
  int64_t axis = -1;
  int64_t num_heads = 0;
  int64_t index = 0;
  int64_t offset = 0;
  int64_t patch = 0;
  bool gelu_tanh = false;
  // Hooks and layer role.
  int weight_site = -1;                                  ///< index into weight_sites
  int input_site = -1;                                   ///< Linear: activation site of its input
  std::array<int, 4> attention_sites{{-1, -1, -1, -1}};  ///< Attention: q, k, v, probs activation sites
  int layer = -1;
  StepRole role = StepRole::kNone;
  std::vector<ir::ValueId> release;  ///< values no later step reads (freed after this step)
};

struct GraphInputSpec {
  std::string name;
  ir::ValueId value = ir::kNoValue;
  ir::DType dtype = ir::DType::kF32;
  ir::Shape shape;
};

struct TorchModel::Impl {
  std::shared_ptr<torch::nn::Module> module;
  size_t num_values = 0;
  std::vector<Step> steps;
  std::vector<torch::Tensor> constants;  ///< by value id: parameter or buffer tensors, undefined elsewhere
  std::vector<GraphInputSpec> inputs;
  std::vector<std::pair<std::string, ir::ValueId>> outputs;
  std::vector<std::pair<ValueTap, int>> value_taps;  ///< by value id: (kind, layer)
  std::vector<ParameterInfo> parameter_info;
  std::vector<torch::Tensor> parameters;  ///< same order as parameter_info
  EncoderStructure structure;
  Status structure_status;  ///< why recognition failed (only when require_encoder_layers was false)
  std::vector<WeightSite> weight_sites;
  std::vector<ActivationSite> activation_sites;
  std::vector<TensorTransform> weight_transforms;      ///< by weight site; empty function = none
  std::vector<WeightTransformScope> weight_transform_scopes;  ///< by weight site
  std::vector<TensorTransform> activation_transforms;  ///< by activation site
  std::vector<LinearFunction> linear_functions;       ///< by weight site; empty function = none
  std::vector<std::pair<std::string, torch::Tensor>> quantizer_parameters;  ///< AddQuantizerParameter
  bool attention_quant = false;  ///< SetAttentionQuantization
  float attention_clip = 0.0f;
};

/// Per-forward mutable state.
struct ForwardState {
  const TorchModel::Impl& impl;
  const ForwardOptions& options;
  std::vector<torch::Tensor> env;  ///< by value id
  Taps* taps = nullptr;            ///< null when no tap was requested

  const LayerIntervention* Intervention(int layer) const {
    return (layer >= 0 && !options.interventions.empty()) ? &options.interventions[static_cast<size_t>(layer)]
                                                          : nullptr;
  }
  bool Wants(uint32_t kind) const { return taps != nullptr && (options.taps & kind) != 0; }
};

/// Executes one step: reads its inputs from state.env, applies hooks, records taps, writes state.env[step.output].
/// Run-time errors (bad ids, shapes the IR forbids) are returned naming the node; LibTorch exceptions propagate to
/// the caller's RunTorchGuarded.
Status RunStep(const TorchModel::Impl& impl, const Step& step, ForwardState& state);

/// "[2, 16, 64]", for error messages.
inline std::string SizesText(const torch::Tensor& t) {
  std::string text = "[";
  for (int64_t i = 0; i < t.dim(); ++i) text += (i ? ", " : "") + std::to_string(t.size(i));
  return text + "]";
}

/// torch dtype of an IR dtype; an error for packed types (t2, i4) that have no torch equivalent.
Expected<torch::ScalarType> TorchDType(ir::DType dtype);

}  // namespace qc::qat
