// TorchModel: forward pass (input binding, the step loop, taps) and the public accessors.
#include "qat/torch_model.h"

#include <map>
#include <string>
#include <utility>

#include "qat/torch_guard.h"
#include "qat/torch_program.h"

namespace qc::qat {
namespace {

std::string InputNames(const TorchModel::Impl& impl) {
  std::string names;
  for (const GraphInputSpec& in : impl.inputs) names += (names.empty() ? "" : ", ") + in.name;
  return names;
}

// Checks every graph input is given once with its dtype, rank and fixed dims, and that each symbol binds one size.
Status BindInputs(const TorchModel::Impl& impl, const std::map<std::string, torch::Tensor>& inputs,
                  std::vector<torch::Tensor>& env) {
  for (const auto& entry : inputs) {
    bool known = false;
    for (const GraphInputSpec& in : impl.inputs) known = known || in.name == entry.first;
    if (!known) {
      return InvalidArgument("forward: unknown input '" + entry.first + "'; the graph takes " + InputNames(impl));
    }
  }
  std::map<std::string, std::pair<int64_t, std::string>> symbols;  // symbol -> (size, where it was bound)
  for (const GraphInputSpec& in : impl.inputs) {
    const auto it = inputs.find(in.name);
    if (it == inputs.end() || !it->second.defined()) {
      return InvalidArgument("forward: input '" + in.name + "' is missing; the graph takes " + InputNames(impl));
    }
    const torch::Tensor& t = it->second;
    QC_ASSIGN_OR_RETURN(torch::ScalarType expected, TorchDType(in.dtype));
    const std::string where = "forward: input '" + in.name + "'";
    if (t.scalar_type() != expected) {
      return InvalidArgument(where + " is " + std::string(c10::toString(t.scalar_type())) + ", the graph expects " +
                             std::string(ir::DTypeName(in.dtype)));
    }
    if (t.dim() != static_cast<int64_t>(in.shape.size())) {
      return InvalidArgument(where + " has shape " + SizesText(t) + ", the graph expects " + ir::ToString(in.shape));
    }
    for (size_t d = 0; d < in.shape.size(); ++d) {
      const ir::Dim& dim = in.shape[d];
      const int64_t size = t.size(static_cast<int64_t>(d));
      if (dim.is_static() && dim.size() != size) {
        return InvalidArgument(where + " has shape " + SizesText(t) + ", the graph expects " + ir::ToString(in.shape));
      }
      if (dim.is_static()) continue;
      const auto [bound, inserted] = symbols.emplace(dim.symbol(), std::make_pair(size, in.name));
      if (!inserted && bound->second.first != size) {
        return InvalidArgument(where + ": dimension '" + dim.symbol() + "' is " + std::to_string(size) +
                               ", but input '" + bound->second.second + "' gave it " +
                               std::to_string(bound->second.first));
      }
    }
    env[in.value] = t;
  }
  return Status::Ok();
}

void RecordValueTap(const TorchModel::Impl& impl, ir::ValueId value, ForwardState& state) {
  const auto [kind, layer] = impl.value_taps[value];
  if (kind == ValueTap::kNone || state.taps == nullptr) return;
  const torch::Tensor& t = state.env[value];
  std::vector<LayerTaps>& layers = state.taps->layers;
  const size_t l = static_cast<size_t>(layer);
  switch (kind) {
    case ValueTap::kLayerInput:
      if (!state.Wants(kTapHidden)) return;
      layers[l].input = t;
      if (l == 0) state.taps->embedding_output = t;
      if (l > 0) layers[l - 1].output = t;
      return;
    case ValueTap::kLayerOutput:
      if (state.Wants(kTapHidden)) layers[l].output = t;
      return;
    case ValueTap::kAttentionOutput:
      if (state.Wants(kTapAttentionOutput)) layers[l].attention_output = t;
      return;
    case ValueTap::kNone:
      return;
  }
}

Status CheckForwardOptions(const TorchModel::Impl& impl, const ForwardOptions& options) {
  const bool layered = options.taps != kTapNone || !options.interventions.empty();
  if (layered && !impl.structure_status.ok()) {
    return impl.structure_status.WithContext("forward: taps and interventions need the encoder layers");
  }
  if ((options.taps & ~static_cast<uint32_t>(kTapAll)) != 0) {
    return InvalidArgument("forward: unknown tap flags " + std::to_string(options.taps));
  }
  const size_t layers = impl.structure.layers.size();
  if (!options.interventions.empty() && options.interventions.size() != layers) {
    return InvalidArgument("forward: " + std::to_string(options.interventions.size()) +
                           " interventions given; the model has " + std::to_string(layers) +
                           " encoder layers (give none or one per layer)");
  }
  return Status::Ok();
}

}  // namespace

std::string_view ActivationPointName(ActivationPoint point) {
  switch (point) {
    case ActivationPoint::kLinearInput:
      return "linear_input";
    case ActivationPoint::kQuery:
      return "query";
    case ActivationPoint::kKey:
      return "key";
    case ActivationPoint::kValue:
      return "value";
    case ActivationPoint::kAttentionProbs:
      return "attention_probs";
  }
  return "invalid";
}

std::vector<torch::Tensor> Taps::HiddenStates() const {
  std::vector<torch::Tensor> states{embedding_output};
  for (const LayerTaps& layer : layers) states.push_back(layer.output);
  return states;
}

torch::Tensor ForwardResult::Output(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return outputs[i];
  }
  return {};
}

Expected<ForwardResult> TorchModel::Forward(const std::map<std::string, torch::Tensor>& inputs,
                                            const ForwardOptions& options) const {
  const Impl& impl = *impl_;
  QC_RETURN_IF_ERROR(CheckForwardOptions(impl, options));
  ForwardResult result;
  if (options.taps != kTapNone) result.taps.layers.resize(impl.structure.layers.size());
  ForwardState state{impl, options, std::vector<torch::Tensor>(impl.num_values),
                     options.taps != kTapNone ? &result.taps : nullptr};
  QC_RETURN_IF_ERROR(BindInputs(impl, inputs, state.env));
  for (ir::ValueId v = 0; v < impl.num_values; ++v) {
    if (impl.constants[v].defined()) state.env[v] = impl.constants[v];
  }
  for (const GraphInputSpec& in : impl.inputs) RecordValueTap(impl, in.value, state);
  for (const Step& step : impl.steps) {
    QC_RETURN_IF_ERROR(RunTorchGuarded("forward: " + step.what, [&] { return RunStep(impl, step, state); }));
    RecordValueTap(impl, step.output, state);
    for (ir::ValueId v : step.release) state.env[v] = torch::Tensor();
  }
  for (const auto& [name, value] : impl.outputs) {
    result.names.push_back(name);
    result.outputs.push_back(state.env[value]);
  }
  return result;
}

torch::nn::Module& TorchModel::module() {
  return *impl_->module;
}
const torch::nn::Module& TorchModel::module() const {
  return *impl_->module;
}
std::vector<torch::Tensor> TorchModel::parameters() const {
  return impl_->parameters;
}
const std::vector<ParameterInfo>& TorchModel::parameter_info() const {
  return impl_->parameter_info;
}

Expected<torch::Tensor> TorchModel::Parameter(std::string_view ir_name) const {
  for (size_t i = 0; i < impl_->parameter_info.size(); ++i) {
    if (impl_->parameter_info[i].ir_name == ir_name) return impl_->parameters[i];
  }
  return NotFound("no trainable parameter for IR constant '" + std::string(ir_name) + "'");
}

Status TorchModel::AddQuantizerParameter(const std::string& name, torch::Tensor value) {
  if (QuantizerParameter(name).defined()) return InvalidArgument("quantizer parameter '" + name + "' already exists");
  if (!value.requires_grad()) return InvalidArgument("quantizer parameter '" + name + "' does not require grad");
  impl_->quantizer_parameters.emplace_back(name, std::move(value));
  return Status::Ok();
}
const std::vector<std::pair<std::string, torch::Tensor>>& TorchModel::quantizer_parameters() const {
  return impl_->quantizer_parameters;
}
torch::Tensor TorchModel::QuantizerParameter(std::string_view name) const {
  for (const auto& [n, t] : impl_->quantizer_parameters) {
    if (n == name) return t;
  }
  return {};
}

std::vector<std::string> TorchModel::input_names() const {
  std::vector<std::string> names;
  for (const GraphInputSpec& in : impl_->inputs) names.push_back(in.name);
  return names;
}

const EncoderStructure& TorchModel::structure() const {
  return impl_->structure;
}
int TorchModel::num_layers() const {
  return static_cast<int>(impl_->structure.layers.size());
}
const std::vector<WeightSite>& TorchModel::weight_sites() const {
  return impl_->weight_sites;
}
const std::vector<ActivationSite>& TorchModel::activation_sites() const {
  return impl_->activation_sites;
}

Status TorchModel::SetWeightTransform(size_t site, TensorTransform transform, WeightTransformScope scope) {
  if (site >= impl_->weight_transforms.size()) {
    return OutOfRange("weight site " + std::to_string(site) + " does not exist (the model has " +
                      std::to_string(impl_->weight_transforms.size()) + ")");
  }
  impl_->weight_transforms[site] = std::move(transform);
  impl_->weight_transform_scopes[site] = scope;
  return Status::Ok();
}

Status TorchModel::SetActivationTransform(size_t site, TensorTransform transform) {
  if (site >= impl_->activation_transforms.size()) {
    return OutOfRange("activation site " + std::to_string(site) + " does not exist (the model has " +
                      std::to_string(impl_->activation_transforms.size()) + ")");
  }
  impl_->activation_transforms[site] = std::move(transform);
  return Status::Ok();
}

size_t TorchModel::SetWeightTransforms(const std::function<TensorTransform(const WeightSite&)>& factory) {
  size_t count = 0;
  for (size_t i = 0; i < impl_->weight_sites.size(); ++i) {
    impl_->weight_transforms[i] = factory(impl_->weight_sites[i]);
    impl_->weight_transform_scopes[i] = WeightTransformScope::kWholeTensor;
    count += impl_->weight_transforms[i] ? 1 : 0;
  }
  return count;
}

size_t TorchModel::SetActivationTransforms(const std::function<TensorTransform(const ActivationSite&)>& factory) {
  size_t count = 0;
  for (size_t i = 0; i < impl_->activation_sites.size(); ++i) {
    impl_->activation_transforms[i] = factory(impl_->activation_sites[i]);
    count += impl_->activation_transforms[i] ? 1 : 0;
  }
  return count;
}

void TorchModel::ClearTransforms() {
  for (TensorTransform& t : impl_->weight_transforms) t = nullptr;
  for (WeightTransformScope& s : impl_->weight_transform_scopes) s = WeightTransformScope::kWholeTensor;
  for (LinearFunction& f : impl_->linear_functions) f = nullptr;
  for (TensorTransform& t : impl_->activation_transforms) t = nullptr;
  impl_->attention_quant = false;
  impl_->quantizer_parameters.clear();
}

Status TorchModel::SetLinearFunction(size_t site, LinearFunction fn) {
  if (site >= impl_->linear_functions.size() || impl_->weight_sites[site].op != ir::OpType::kLinear) {
    return OutOfRange("SetLinearFunction: site " + std::to_string(site) + " is not a Linear weight site");
  }
  impl_->linear_functions[site] = std::move(fn);
  return Status::Ok();
}

void TorchModel::SetAttentionQuantization(bool enabled, float clip) {
  impl_->attention_quant = enabled;
  impl_->attention_clip = clip;
}

bool TorchModel::attention_quantized() const { return impl_->attention_quant; }

}  // namespace qc::qat
