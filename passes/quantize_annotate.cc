#include "passes/quantize_annotate.h"

#include <regex>

#include "ir/rewriter.h"

namespace qc::passes {
namespace {

bool IsWordEmbedding(const ir::Graph& graph, const ir::Node& node) {
  const ir::ValueId ids = node.inputs[0];
  return graph.IsGraphInput(ids) && graph.value(ids).name == "input_ids";
}

bool HasConstantWeight(const ir::Graph& graph, const ir::Node& node) {
  return node.inputs.size() > 1 && node.inputs[1] != ir::kNoValue && graph.value(node.inputs[1]).constant &&
         graph.value(node.inputs[1]).dtype == ir::DType::kF32 && graph.value(node.inputs[1]).shape.size() == 2;
}

// A Linear whose output is a graph output: the task head (TernaryBERT keeps the classifier float).
bool IsClassifier(const ir::Graph& graph, const ir::Node& node) {
  return node.op == ir::OpType::kLinear && graph.IsGraphOutput(node.outputs[0]);
}

bool Matches(const LayerOverride& o, const ir::Node& node) {
  switch (o.match) {
    case OverrideMatch::kName: return node.name == o.pattern;
    case OverrideMatch::kRegex: return std::regex_match(node.name, std::regex(o.pattern, std::regex::ECMAScript));
    case OverrideMatch::kOp: return ir::OpTypeName(node.op) == o.pattern;
  }
  return false;
}

int64_t WeightBytes(const ir::Graph& graph, const ir::Node& node) {
  int64_t bytes = 0;
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    if (node.inputs[i] != ir::kNoValue && graph.value(node.inputs[i]).constant) {
      bytes += static_cast<int64_t>(graph.value(node.inputs[i]).constant->byte_size());
    }
  }
  return bytes;
}

struct Decision {
  ir::NodeId node;
  ir::WeightBits bits;  // kFloat32: stays float
  ir::ActivationMode act_mode;
  std::optional<double> act_clip;
};

// Which candidates the config quantizes and how (defaults, then overrides in order, then keep_float), and the
// check that every override and keep_float entry matched something.
Expected<std::vector<Decision>> Decide(const ir::Graph& graph, const QuantConfig& config) {
  QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
  std::vector<size_t> override_hits(config.overrides.size(), 0);
  std::vector<size_t> keep_hits(config.keep_float.size(), 0);
  std::vector<Decision> decisions;
  for (ir::NodeId n : order) {
    const ir::Node& node = graph.node(n);
    const bool linear = node.op == ir::OpType::kLinear && HasConstantWeight(graph, node);
    const bool embedding = node.op == ir::OpType::kEmbedding && HasConstantWeight(graph, node);
    const bool attention = node.op == ir::OpType::kAttention;
    if (!linear && !embedding && !attention) continue;
    Decision d{n, ir::WeightBits::kFloat32, config.act_mode, config.act_clip};
    if (linear && !(config.keep_classifier_float && IsClassifier(graph, node))) d.bits = config.linear_bits;
    if (embedding && IsWordEmbedding(graph, node)) d.bits = config.embedding_bits.value_or(config.linear_bits);
    if (attention && config.quantize_attention) d.bits = ir::WeightBits::kInt8;  // "quantized": no weight
    for (size_t i = 0; i < config.overrides.size(); ++i) {
      const LayerOverride& o = config.overrides[i];
      if (!Matches(o, node)) continue;
      ++override_hits[i];
      if (o.bits) d.bits = attention && *o.bits != ir::WeightBits::kFloat32 ? ir::WeightBits::kInt8 : *o.bits;
      if (o.keep_float) d.bits = ir::WeightBits::kFloat32;
      if (o.act_mode) d.act_mode = *o.act_mode;
      if (o.act_clip) d.act_clip = o.act_clip;
    }
    for (size_t i = 0; i < config.keep_float.size(); ++i) {
      if (node.name == config.keep_float[i]) {
        ++keep_hits[i];
        d.bits = ir::WeightBits::kFloat32;
      }
    }
    decisions.push_back(d);
  }
  for (size_t i = 0; i < override_hits.size(); ++i) {
    if (override_hits[i] == 0) {
      const LayerOverride& o = config.overrides[i];
      return NotFound("override #" + std::to_string(i) + " (" + std::string(OverrideMatchName(o.match)) + " '" +
                      o.pattern + "') matches no Linear, Embedding or Attention node");
    }
  }
  for (size_t i = 0; i < keep_hits.size(); ++i) {
    if (keep_hits[i] == 0) {
      return NotFound("keep_float entry '" + config.keep_float[i] +
                      "' matches no Linear, Embedding or Attention node by exact name");
    }
  }
  return decisions;
}

class QuantizeAnnotatePass final : public Pass {
 public:
  explicit QuantizeAnnotatePass(QuantConfig config) : config_(std::move(config)) {}
  std::string_view name() const override { return "quantize_annotate"; }

  Expected<bool> Run(ir::Graph& graph, PassContext& context) override {
    // Every decision is made and checked before the first annotation is written.
    QC_ASSIGN_OR_RETURN(std::vector<QuantDecision> plan, PlanQuantization(graph, config_));
    ir::Rewriter rw(graph);
    bool changed = false;
    for (QuantDecision& d : plan) {
      if (d.row) context.layers.push_back(std::move(*d.row));
      if (!d.annotation || graph.node(d.node).quant == d.annotation) continue;
      QC_RETURN_IF_ERROR(rw.SetQuant(d.node, *d.annotation));
      changed = true;
    }
    return changed;
  }

 private:
  QuantConfig config_;
};

}  // namespace

Expected<std::vector<QuantDecision>> PlanQuantization(const ir::Graph& graph, const QuantConfig& config) {
  QC_RETURN_IF_ERROR(ValidateQuantConfig(config));
  QC_ASSIGN_OR_RETURN(std::vector<Decision> decisions, Decide(graph, config));
  std::vector<QuantDecision> plan;
  for (const Decision& d : decisions) {
    const ir::Node& node = graph.node(d.node);
    const int64_t bytes = WeightBytes(graph, node);
    const std::string op_name(ir::OpTypeName(node.op));
    QuantDecision out{d.node, std::nullopt, std::nullopt};
    if (d.bits == ir::WeightBits::kFloat32) {
      // A float Attention has no weights: listing it would only add noise to the summary.
      if (node.op != ir::OpType::kAttention) out.row = LayerSummary{node.name, op_name, "f32", bytes, bytes};
      plan.push_back(std::move(out));
      continue;
    }
    ir::QuantAnnotation q;
    ir::ActivationQuant act{ir::ActivationBits::kInt8, d.act_mode, d.act_clip};
    if (node.op == ir::OpType::kLinear) {
      act.groups = config.act_groups;
      const int64_t k = graph.value(node.inputs[1]).constant->dims()[1];
      if (k % act.groups != 0) {
        // The config is fine, it just does not fit this model: the caller's usage error, not bad input.
        return FailedPrecondition(graph.DescribeNode(d.node) + ": in_features " + std::to_string(k) +
                                  " is not a multiple of act_groups " + std::to_string(act.groups));
      }
      const ir::WeightGranularity g = config.linear_granularity.value_or(
          d.bits == ir::WeightBits::kTernary ? ir::WeightGranularity::kPerTensor : ir::WeightGranularity::kPerRow);
      q.weight = ir::WeightQuant{d.bits, g, 0};
      q.activation = act;
    } else if (node.op == ir::OpType::kEmbedding) {
      q.weight = ir::WeightQuant{d.bits, ir::WeightGranularity::kPerRow, 0};
    } else {
      act.mode = ir::ActivationMode::kDynamicPerToken;  // QAttention: per (token, head) rows, fixed by the op
      q.activation = act;
    }
    QC_RETURN_IF_ERROR(ir::ValidateQuantAnnotation(q, graph.DescribeNode(d.node)));
    // bytes_after is completed by lower_quantized; until then the row says "annotated, not lowered".
    out.row = LayerSummary{node.name, op_name, ir::ToString(q), bytes, bytes};
    out.annotation = q;
    plan.push_back(std::move(out));
  }
  return plan;
}

std::unique_ptr<Pass> MakeQuantizeAnnotatePass(QuantConfig config) {
  return std::make_unique<QuantizeAnnotatePass>(std::move(config));
}

}  // namespace qc::passes
