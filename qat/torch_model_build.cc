// TorchModel::Build: IR graph -> parameters, buffers, steps, hook sites and tap points (qat/torch_program.h).
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "ir/verifier.h"
#include "qat/torch_guard.h"
#include "qat/torch_program.h"

namespace qc::qat {
namespace {

using ir::AttrName;
using ir::OpType;

// Input positions whose constant becomes a trainable parameter (the task's "weights": Linear weight/bias, Embedding
// table, LayerNorm gamma/beta, PatchEmbed weight/bias, PrependToken token, AddPositionEmbedding table).
bool IsParameterPosition(OpType op, size_t index) {
  switch (op) {
    case OpType::kLinear:
    case OpType::kLayerNorm:
    case OpType::kPatchEmbed:
      return index == 1 || index == 2;
    case OpType::kEmbedding:
    case OpType::kPrependToken:
    case OpType::kAddPositionEmbedding:
      return index == 1;
    default:
      return false;
  }
}

// torch::nn::Module names may not contain '.' and must be non-empty: every character outside [A-Za-z0-9_] becomes
// '_', and a numbered suffix keeps names unique ("a.b" and "a_b" both exist -> "a_b", "a_b_2").
std::string SanitizeName(const std::string& name, std::set<std::string>& used) {
  std::string base;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    base += ok ? c : '_';
  }
  if (base.empty() || (base[0] >= '0' && base[0] <= '9')) base = "v_" + base;
  std::string candidate = base;
  for (int i = 2; used.count(candidate) != 0; ++i) candidate = base + "_" + std::to_string(i);
  used.insert(candidate);
  return candidate;
}

Expected<torch::Tensor> ToTorch(const ir::Tensor& tensor, const std::string& what) {
  Expected<torch::ScalarType> type = TorchDType(tensor.dtype());
  if (!type.ok()) return type.status().WithContext(what);
  torch::Tensor out = torch::empty(tensor.dims(), torch::TensorOptions().dtype(*type));
  if (static_cast<size_t>(out.nbytes()) != tensor.byte_size()) {
    return Internal(what + ": " + tensor.TypeString() + " holds " + std::to_string(tensor.byte_size()) +
                    " bytes, LibTorch expects " + std::to_string(out.nbytes()));
  }
  if (tensor.byte_size() > 0) std::memcpy(out.data_ptr(), tensor.raw_data(), tensor.byte_size());
  return out;
}

class Compiler {
 public:
  Compiler(const ir::Graph& graph, const TorchModelOptions& options, TorchModel::Impl& impl)
      : g_(graph), options_(options), m_(impl) {}

  Status Compile() {
    QC_RETURN_IF_ERROR(ir::Verify(g_).WithContext("building the LibTorch model"));
    QC_ASSIGN_OR_RETURN(order_, g_.TopologicalOrder());
    Expected<EncoderStructure> structure = FindEncoderLayers(g_);
    if (structure.ok()) {
      m_.structure = std::move(*structure);
    } else if (options_.require_encoder_layers) {
      return structure.status();
    } else {
      m_.structure_status = structure.status();
    }
    m_.module = std::make_shared<torch::nn::Module>("qc_qat_TorchModel");
    m_.num_values = g_.num_values();
    QC_RETURN_IF_ERROR(AddConstants());
    for (ir::NodeId n : order_) QC_RETURN_IF_ERROR(AddStep(n));
    AddGraphInterface();
    AddValueTaps();
    AddReleases();
    m_.weight_transforms.resize(m_.weight_sites.size());
    m_.weight_transform_scopes.resize(m_.weight_sites.size(), WeightTransformScope::kWholeTensor);
    m_.linear_functions.resize(m_.weight_sites.size());
    m_.activation_transforms.resize(m_.activation_sites.size());
    return Status::Ok();
  }

 private:
  Status AddConstants() {
    std::vector<bool> is_parameter(g_.num_values(), false);
    for (ir::NodeId n : order_) {
      const ir::Node& node = g_.node(n);
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const ir::ValueId v = node.inputs[i];
        if (v != ir::kNoValue && g_.value(v).constant && g_.value(v).dtype == ir::DType::kF32 &&
            IsParameterPosition(node.op, i)) {
          is_parameter[v] = true;
        }
      }
    }
    m_.constants.resize(g_.num_values());
    std::set<std::string> used_names;
    for (ir::ValueId v = 0; v < g_.num_values(); ++v) {
      const ir::Value& value = g_.value(v);
      if (!value.constant || !g_.IsUsed(v)) continue;
      QC_ASSIGN_OR_RETURN(torch::Tensor t, ToTorch(*value.constant, "constant '" + value.name + "'"));
      const std::string torch_name = SanitizeName(value.name, used_names);
      if (is_parameter[v]) {
        m_.constants[v] = m_.module->register_parameter(torch_name, t, /*requires_grad=*/true);
        m_.parameter_info.push_back({value.name, torch_name, value.constant->dims()});
        m_.parameters.push_back(m_.constants[v]);
      } else {
        m_.constants[v] = m_.module->register_buffer(torch_name, t);
      }
    }
    return Status::Ok();
  }

  Status DecodeAttributes(const ir::Node& node, Step& step) const {
    const ir::Attributes& a = node.attributes;
    const std::string& owner = step.what;
    switch (node.op) {
      case OpType::kLayerNorm: {
        QC_ASSIGN_OR_RETURN(step.epsilon, a.GetFloat(AttrName::kEpsilon, owner));
        QC_ASSIGN_OR_RETURN(step.axis, a.GetInt(AttrName::kAxis, owner));
        break;
      }
      case OpType::kSoftmax: {
        QC_ASSIGN_OR_RETURN(step.axis, a.GetInt(AttrName::kAxis, owner));
        break;
      }
      case OpType::kL2Normalize: {
        QC_ASSIGN_OR_RETURN(step.axis, a.GetInt(AttrName::kAxis, owner));
        QC_ASSIGN_OR_RETURN(step.epsilon, a.GetFloat(AttrName::kEpsilon, owner));
        break;
      }
      case OpType::kGelu: {
        QC_ASSIGN_OR_RETURN(ir::GeluApproximation approx, a.GetGeluApproximation(AttrName::kApproximate, owner));
        step.gelu_tanh = approx == ir::GeluApproximation::kTanh;
        break;
      }
      case OpType::kAttention: {
        QC_ASSIGN_OR_RETURN(step.num_heads, a.GetInt(AttrName::kNumHeads, owner));
        QC_ASSIGN_OR_RETURN(step.scale, a.GetFloat(AttrName::kScale, owner));
        QC_ASSIGN_OR_RETURN(step.mask_fill, a.GetFloat(AttrName::kMaskFill, owner));
        if (step.num_heads <= 0) return InvalidArgument(owner + ": num_heads must be positive");
        break;
      }
      case OpType::kSelectToken: {
        QC_ASSIGN_OR_RETURN(step.index, a.GetInt(AttrName::kIndex, owner));
        break;
      }
      case OpType::kPatchEmbed: {
        QC_ASSIGN_OR_RETURN(step.patch, a.GetInt(AttrName::kPatch, owner));
        break;
      }
      case OpType::kAddPositionEmbedding: {
        QC_ASSIGN_OR_RETURN(step.offset, a.GetInt(AttrName::kOffset, owner));
        break;
      }
      case OpType::kEmbedding:
      case OpType::kAdd:
      case OpType::kSub:
      case OpType::kMul:
      case OpType::kLinear:
      case OpType::kTanh:
      case OpType::kRelu:
      case OpType::kMeanPool:
      case OpType::kPrependToken:
        break;
      case OpType::kQLinear:
      case OpType::kQEmbedding:
      case OpType::kQAttention:
      case OpType::kQAttentionQkv:
        return Unsupported(owner + ": a lowered quantized op cannot be trained; build the model from the float "
                           "graph (before lower_quantized) and let qat/fake_quant.h simulate it");
    }
    return Status::Ok();
  }

  bool ProducesGraphOutput(const ir::Node& node) const { return g_.IsGraphOutput(node.outputs[0]); }

  void AddLinearRole(ir::NodeId n, Step& step, LinearRole& role) const {
    role = m_.structure.RoleOf(n, &step.layer);
    switch (role) {
      case LinearRole::kQuery:
      case LinearRole::kKey:
        step.role = StepRole::kQueryKeyLinear;
        break;
      case LinearRole::kValue:
        step.role = StepRole::kValueLinear;
        break;
      case LinearRole::kAttentionOutput:
        step.role = StepRole::kAttentionDense;
        break;
      default:
        break;
    }
  }

  Status AddStep(ir::NodeId n) {
    const ir::Node& node = g_.node(n);
    Step step;
    step.node = n;
    step.op = node.op;
    step.what = g_.DescribeNode(n);
    step.inputs = node.inputs;
    if (node.outputs.size() != 1) return Internal(step.what + ": qat/ expects single-output ops");
    step.output = node.outputs[0];
    QC_RETURN_IF_ERROR(DecodeAttributes(node, step));

    LinearRole role = LinearRole::kOther;
    if (node.op == OpType::kLinear) AddLinearRole(n, step, role);
    if (node.op == OpType::kAttention) {
      step.layer = m_.structure.LayerOfAttention(n);
      if (step.layer >= 0) step.role = StepRole::kAttention;
    }
    const bool weighted = node.op == OpType::kLinear || node.op == OpType::kEmbedding || node.op == OpType::kPatchEmbed;
    if (weighted && m_.constants[node.inputs[1]].defined() && m_.constants[node.inputs[1]].requires_grad()) {
      WeightSite site;
      site.node = n;
      site.node_name = node.name;
      site.op = node.op;
      site.weight = g_.value(node.inputs[1]).name;
      site.input = g_.value(node.inputs[0]).name;
      site.input_value = node.inputs[0];
      site.layer = node.op == OpType::kLinear ? step.layer : -1;
      site.role = role;
      site.produces_graph_output = ProducesGraphOutput(node);
      step.weight_site = static_cast<int>(m_.weight_sites.size());
      m_.weight_sites.push_back(std::move(site));
    }
    if (node.op == OpType::kLinear) {
      step.input_site = static_cast<int>(m_.activation_sites.size());
      m_.activation_sites.push_back(
          {ActivationPoint::kLinearInput, n, node.name, step.layer, role, ProducesGraphOutput(node)});
    } else if (node.op == OpType::kAttention) {
      const ActivationPoint points[4] = {ActivationPoint::kQuery, ActivationPoint::kKey, ActivationPoint::kValue,
                                         ActivationPoint::kAttentionProbs};
      for (int i = 0; i < 4; ++i) {
        step.attention_sites[static_cast<size_t>(i)] = static_cast<int>(m_.activation_sites.size());
        m_.activation_sites.push_back({points[i], n, node.name, step.layer, LinearRole::kOther, false});
      }
    }
    m_.steps.push_back(std::move(step));
    return Status::Ok();
  }

  void AddGraphInterface() {
    for (ir::ValueId v : g_.inputs()) {
      const ir::Value& value = g_.value(v);
      m_.inputs.push_back({value.name, v, value.dtype, value.shape});
    }
    for (ir::ValueId v : g_.outputs()) m_.outputs.emplace_back(g_.value(v).name, v);
  }

  // Layer l's input is layer l-1's output (FindEncoderLayers checks the chain), so one kLayerInput tap serves both;
  // only the last layer's output needs its own.
  void AddValueTaps() {
    m_.value_taps.assign(g_.num_values(), {ValueTap::kNone, -1});
    const std::vector<EncoderLayer>& layers = m_.structure.layers;
    for (const EncoderLayer& layer : layers) {
      m_.value_taps[layer.input] = {ValueTap::kLayerInput, layer.index};
      m_.value_taps[layer.attention_output] = {ValueTap::kAttentionOutput, layer.index};
    }
    if (!layers.empty()) m_.value_taps[layers.back().output] = {ValueTap::kLayerOutput, layers.back().index};
  }

  void AddReleases() {
    std::vector<size_t> last_use(g_.num_values(), SIZE_MAX);
    for (size_t i = 0; i < m_.steps.size(); ++i) {
      for (ir::ValueId v : m_.steps[i].inputs) {
        if (v != ir::kNoValue) last_use[v] = i;
      }
    }
    for (ir::ValueId v = 0; v < g_.num_values(); ++v) {
      if (last_use[v] == SIZE_MAX || g_.IsGraphOutput(v) || m_.constants[v].defined()) continue;
      m_.steps[last_use[v]].release.push_back(v);
    }
  }

  const ir::Graph& g_;
  const TorchModelOptions& options_;
  TorchModel::Impl& m_;
  std::vector<ir::NodeId> order_;
};

}  // namespace

TorchModel::TorchModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchModel::~TorchModel() = default;

Expected<std::unique_ptr<TorchModel>> TorchModel::Build(const ir::Graph& graph, const TorchModelOptions& options) {
  auto impl = std::make_unique<Impl>();
  QC_RETURN_IF_ERROR(
      RunTorchGuarded("building the LibTorch model", [&] { return Compiler(graph, options, *impl).Compile(); }));
  return std::unique_ptr<TorchModel>(new TorchModel(std::move(impl)));
}

}  // namespace qc::qat
