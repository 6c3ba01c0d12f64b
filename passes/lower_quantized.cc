#include "passes/lower_quantized.h"

#include "ir/rewriter.h"
#include "ir/text_format.h"
#include "passes/naming.h"
#include "passes/weight_packing.h"

namespace qc::passes {
namespace {

std::string FormatLabel(const ir::WeightQuant& w) {
  return std::string(ir::WeightBitsName(w.bits)) + "/" + std::string(ir::WeightGranularityName(w.granularity));
}

int64_t ConstantBytes(const ir::Graph& graph, ir::ValueId v) {
  return v != ir::kNoValue && graph.value(v).constant ? static_cast<int64_t>(graph.value(v).constant->byte_size()) : 0;
}

// Everything a replacement needs, computed before mutation.
struct Replacement {
  ir::NodeId node;
  ir::OpType op;
  std::vector<std::pair<std::string, ir::Tensor>> constants;  // added in order, referenced as inputs by index
  std::vector<ir::ValueId> inputs;                            // kNoValue placeholders are filled from constants
  std::vector<int> constant_slot;                             // per input: index into constants, or -1
  ir::Attributes attributes;
  LayerSummary summary;
};

Expected<ir::QActGranularity> ActGranularity(ir::ActivationMode mode) {
  switch (mode) {
    case ir::ActivationMode::kDynamicPerToken: return ir::QActGranularity::kPerToken;
    case ir::ActivationMode::kDynamicPerTensor: return ir::QActGranularity::kPerTensor;
    case ir::ActivationMode::kStatic: return ir::QActGranularity::kStatic;
  }
  return InvalidArgument("invalid activation mode");
}

Status CheckActivation(const ir::Graph& graph, ir::NodeId n, const ir::ActivationQuant& act) {
  if (act.bits != ir::ActivationBits::kInt8) {
    return Unsupported(graph.DescribeNode(n) + ": activations " + std::string(ir::ActivationBitsName(act.bits)) +
                       " are not supported by the quantized ops (int8 only)");
  }
  return Status::Ok();
}

Expected<Replacement> PlanLinear(const ir::Graph& graph, ir::NodeId n, const PassContext& context) {
  const ir::Node& node = graph.node(n);
  const std::string owner = graph.DescribeNode(n);
  const ir::QuantAnnotation& q = *node.quant;
  if (!q.activation) return InvalidArgument(owner + ": quantized Linear needs an activation annotation (int8)");
  QC_RETURN_IF_ERROR(CheckActivation(graph, n, *q.activation));
  const ir::Value& wv = graph.value(node.inputs[1]);
  if (!wv.constant) return InvalidArgument(owner + ": weight is not a constant");
  const int64_t n_out = wv.constant->dims()[0], k = wv.constant->dims()[1];
  QC_ASSIGN_OR_RETURN(std::vector<float> w, wv.constant->ToVector<float>());
  const int64_t act_groups = q.activation->groups;
  auto packed = PackLinearWeight(w.data(), n_out, k, q.weight->bits, q.weight->granularity, act_groups);
  if (!packed.ok()) return packed.status().WithContext(owner);
  QC_ASSIGN_OR_RETURN(ir::QActGranularity granularity, ActGranularity(q.activation->mode));
  double amax = 0;
  if (granularity == ir::QActGranularity::kStatic) {
    const auto it = context.static_amax.find(n);
    if (it == context.static_amax.end()) {
      return FailedPrecondition(owner + ": static activation scale without a calibrated range (run calibrate)");
    }
    amax = it->second;
  }
  Replacement r;
  r.node = n;
  r.op = ir::OpType::kQLinear;
  const std::string base = wv.name;
  const size_t scale_count = packed->scales.size();
  const int64_t packed_size = static_cast<int64_t>(packed->bytes.size());
  QC_ASSIGN_OR_RETURN(ir::Tensor wt, ir::Tensor::FromBytes(ir::DType::kU8, {packed_size}, std::move(packed->bytes)));
  QC_ASSIGN_OR_RETURN(ir::Tensor st,
                      ir::Tensor::FromVector<float>({static_cast<int64_t>(scale_count)}, std::move(packed->scales)));
  r.constants.emplace_back(base + ".qweight", std::move(wt));
  r.constants.emplace_back(base + ".qscale", std::move(st));
  const ir::ValueId bias = node.inputs.size() > 2 ? node.inputs[2] : ir::kNoValue;
  r.inputs = {node.inputs[0], ir::kNoValue, ir::kNoValue};
  r.constant_slot = {-1, 0, 1};
  if (bias != ir::kNoValue) {
    r.inputs.push_back(bias);
    r.constant_slot.push_back(-1);
  }
  r.attributes.Set(ir::AttrName::kWeightFormat, static_cast<int64_t>(packed->format));
  r.attributes.Set(ir::AttrName::kInFeatures, k);
  r.attributes.Set(ir::AttrName::kOutFeatures, n_out);
  r.attributes.Set(ir::AttrName::kActGranularity, static_cast<int64_t>(granularity));
  r.attributes.Set(ir::AttrName::kActClip, q.activation->clip.value_or(0.0));
  r.attributes.Set(ir::AttrName::kActAmax, amax);
  r.attributes.Set(ir::AttrName::kEpilogue, static_cast<int64_t>(ir::QEpilogue::kNone));
  if (act_groups > 1) r.attributes.Set(ir::AttrName::kActGroups, act_groups);  // absent = 1: older runtimes read it
  const int64_t bias_bytes = ConstantBytes(graph, bias);
  std::string label = FormatLabel(*q.weight) + " a=" + std::string(ir::QActGranularityName(granularity));
  if (q.activation->clip) label += "/clip=" + ir::FormatFloat(*q.activation->clip);
  if (act_groups > 1) label += "/groups=" + std::to_string(act_groups);
  r.summary = {node.name, "Linear", label, ConstantBytes(graph, node.inputs[1]) + bias_bytes,
               packed_size + static_cast<int64_t>(scale_count * sizeof(float)) + bias_bytes};
  return r;
}

Expected<Replacement> PlanEmbedding(const ir::Graph& graph, ir::NodeId n) {
  const ir::Node& node = graph.node(n);
  const std::string owner = graph.DescribeNode(n);
  const ir::QuantAnnotation& q = *node.quant;
  if (q.weight->granularity != ir::WeightGranularity::kPerRow) {
    return Unsupported(owner + ": QEmbedding tables are row-wise; annotation asks for " + FormatLabel(*q.weight));
  }
  const ir::Value& tv = graph.value(node.inputs[1]);
  if (!tv.constant) return InvalidArgument(owner + ": table is not a constant");
  const int64_t v = tv.constant->dims()[0], e = tv.constant->dims()[1];
  QC_ASSIGN_OR_RETURN(std::vector<float> table, tv.constant->ToVector<float>());
  ir::DType dtype = ir::DType::kT2;
  auto packed = PackEmbeddingTable(table.data(), v, e, q.weight->bits, &dtype);
  if (!packed.ok()) return packed.status().WithContext(owner);
  Replacement r;
  r.node = n;
  r.op = ir::OpType::kQEmbedding;
  const int64_t table_bytes = static_cast<int64_t>(packed->bytes.size());
  QC_ASSIGN_OR_RETURN(ir::Tensor tt, ir::Tensor::FromBytes(dtype, {v, e}, std::move(packed->bytes)));
  QC_ASSIGN_OR_RETURN(ir::Tensor st, ir::Tensor::FromVector<float>({v}, std::move(packed->scales)));
  r.constants.emplace_back(tv.name + ".qtable", std::move(tt));
  r.constants.emplace_back(tv.name + ".qscale", std::move(st));
  r.inputs = {node.inputs[0], ir::kNoValue, ir::kNoValue};
  r.constant_slot = {-1, 0, 1};
  r.summary = {node.name, "Embedding", FormatLabel(*q.weight), ConstantBytes(graph, node.inputs[1]),
               table_bytes + v * static_cast<int64_t>(sizeof(float))};
  return r;
}

Expected<Replacement> PlanAttention(const ir::Graph& graph, ir::NodeId n) {
  const ir::Node& node = graph.node(n);
  const ir::QuantAnnotation& q = *node.quant;
  if (!q.activation || q.weight) {
    return InvalidArgument(graph.DescribeNode(n) + ": a quantized Attention carries an activation annotation only");
  }
  QC_RETURN_IF_ERROR(CheckActivation(graph, n, *q.activation));
  Replacement r;
  r.node = n;
  r.op = ir::OpType::kQAttention;
  r.inputs = node.inputs;
  r.constant_slot.assign(node.inputs.size(), -1);
  for (const auto& [key, value] : node.attributes) r.attributes.Set(key, value);
  r.attributes.Set(ir::AttrName::kActClip, q.activation->clip.value_or(0.0));
  r.summary = {node.name, "Attention", "a=i8", 0, 0};
  return r;
}

Status Apply(ir::Graph& graph, Replacement r) {
  ir::Rewriter rw(graph);
  std::vector<ir::ValueId> constant_ids;
  for (auto& [name, tensor] : r.constants) {
    // A weight shared by two layers gives two packed copies ("<w>.qweight", "<w>.qweight.1"): each layer's
    // annotation may differ.
    QC_ASSIGN_OR_RETURN(ir::ValueId id, rw.AddConstant(UniqueValueName(graph, name), std::move(tensor)));
    constant_ids.push_back(id);
  }
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    if (r.constant_slot[i] >= 0) r.inputs[i] = constant_ids[static_cast<size_t>(r.constant_slot[i])];
  }
  const ir::ValueId old_out = graph.node(r.node).outputs[0];
  const std::string node_name = graph.node(r.node).name;
  QC_ASSIGN_OR_RETURN(ir::ValueId new_out, rw.InsertOp(r.op, node_name, r.inputs, r.attributes));
  QC_RETURN_IF_ERROR(rw.ReplaceAllUsesWith(old_out, new_out));
  QC_RETURN_IF_ERROR(rw.EraseNode(r.node));
  // Keep the source tensor name on the new output (graph outputs already took it in ReplaceAllUsesWith).
  if (graph.value(new_out).name.empty() && !graph.value(old_out).name.empty()) {
    graph.mutable_value(new_out).name = std::move(graph.mutable_value(old_out).name);
    graph.mutable_value(old_out).name.clear();
  }
  return Status::Ok();
}

// Completes quantize_annotate's row for the node (same name and op), or adds one.
void Record(LayerSummary summary, PassContext& context) {
  summary.lowered = true;
  for (LayerSummary& row : context.layers) {
    if (!row.lowered && row.name == summary.name && row.op == summary.op) {
      row = std::move(summary);
      return;
    }
  }
  context.layers.push_back(std::move(summary));
}

class LowerQuantizedPass final : public Pass {
 public:
  std::string_view name() const override { return "lower_quantized"; }
  Expected<bool> Run(ir::Graph& graph, PassContext& context) override {
    QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
    bool changed = false;
    for (ir::NodeId n : order) {
      const ir::Node& node = graph.node(n);
      if (!node.quant) continue;
      const bool quantized_weight = node.quant->weight && node.quant->weight->bits != ir::WeightBits::kFloat32;
      Expected<Replacement> plan = InvalidArgument("");
      if (node.op == ir::OpType::kLinear && quantized_weight) {
        plan = PlanLinear(graph, n, context);
      } else if (node.op == ir::OpType::kEmbedding && quantized_weight) {
        plan = PlanEmbedding(graph, n);
      } else if (node.op == ir::OpType::kAttention && node.quant->activation) {
        plan = PlanAttention(graph, n);
      } else {
        continue;
      }
      if (!plan.ok()) return plan.status();
      LayerSummary summary = plan->summary;
      QC_RETURN_IF_ERROR(Apply(graph, std::move(plan).value()));
      Record(std::move(summary), context);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeLowerQuantizedPass() { return std::make_unique<LowerQuantizedPass>(); }

}  // namespace qc::passes
