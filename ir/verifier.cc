#include "ir/verifier.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "ir/op_schema.h"
#include "ir/shape_inference.h"

namespace qc::ir {
namespace {

class Verifier {
 public:
  explicit Verifier(const Graph& graph)
      : graph_(graph), producer_of_(graph.num_values(), kNoNode), is_input_(graph.num_values(), false) {}

  Status Run() {
    QC_RETURN_IF_ERROR(CheckValues());
    QC_RETURN_IF_ERROR(CheckGraphInputs());
    for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
      if (graph_.IsLive(id)) QC_RETURN_IF_ERROR(CheckNodeStructure(id));
    }
    QC_RETURN_IF_ERROR(CheckProducerLinks());
    for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
      if (graph_.IsLive(id)) QC_RETURN_IF_ERROR(CheckInputsDefined(id));
    }
    QC_RETURN_IF_ERROR(graph_.TopologicalOrder().status());
    for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
      if (graph_.IsLive(id)) QC_RETURN_IF_ERROR(CheckNodeSemantics(id));
    }
    return CheckGraphOutputs();
  }

 private:
  static Status Fail(const std::string& message) { return InvalidArgument(message); }

  bool IsDefined(ValueId id) const {
    return is_input_[id] || graph_.value(id).constant.has_value() || producer_of_[id] != kNoNode;
  }

  Status CheckValues() {
    std::unordered_map<std::string, ValueId> names;
    for (ValueId id = 0; id < graph_.num_values(); ++id) {
      const Value& value = graph_.value(id);
      const std::string what = graph_.DescribeValue(id);
      if (DTypeBits(value.dtype) == 0) return Fail(what + ": invalid dtype");
      QC_RETURN_IF_ERROR(ValidateShape(value.shape, what));
      if (!value.name.empty()) {
        const auto [it, inserted] = names.emplace(value.name, id);
        if (!inserted) {
          return Fail(what + ": name is used by value ids " + std::to_string(it->second) + " and " +
                      std::to_string(id));
        }
      }
      if (!value.constant) continue;
      if (value.name.empty()) return Fail(what + ": constants must be named");
      if (value.constant->dtype() != value.dtype || value.constant->shape() != value.shape) {
        return Fail(what + ": declared " + std::string(DTypeName(value.dtype)) + ToString(value.shape) +
                    " but its tensor is " + value.constant->TypeString());
      }
    }
    return Status::Ok();
  }

  Status CheckGraphInputs() {
    for (ValueId id : graph_.inputs()) {
      if (!graph_.HasValue(id)) return Fail("graph input id " + std::to_string(id) + " is out of range");
      const std::string what = "graph input " + graph_.DescribeValue(id);
      if (is_input_[id]) return Fail(what + " is listed twice");
      is_input_[id] = true;
      if (graph_.value(id).name.empty()) return Fail(what + ": graph inputs must be named");
      if (graph_.value(id).constant) return Fail(what + " is also a constant");
    }
    return Status::Ok();
  }

  Status CheckNodeStructure(NodeId id) {
    const Node& node = graph_.node(id);
    const std::string owner = graph_.DescribeNode(id);
    if (!IsValidOpType(node.op))
      return Fail(owner + ": invalid op type value " + std::to_string(static_cast<int>(node.op)));
    const OpArity arity = GetOpArity(node.op);
    const auto num_inputs = static_cast<int>(node.inputs.size());
    if (num_inputs < arity.min_inputs || num_inputs > arity.max_inputs) {
      return Fail(owner + ": has " + std::to_string(num_inputs) + " inputs, " + std::string(OpTypeName(node.op)) +
                  " takes " + std::to_string(arity.min_inputs) + ".." + std::to_string(arity.max_inputs));
    }
    if (static_cast<int>(node.outputs.size()) != arity.num_outputs) {
      return Fail(owner + ": has " + std::to_string(node.outputs.size()) + " outputs, " +
                  std::string(OpTypeName(node.op)) + " produces " + std::to_string(arity.num_outputs));
    }
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId in = node.inputs[i];
      if (in == kNoValue) {
        if (static_cast<int>(i) < arity.min_inputs) {
          return Fail(owner + ": required " + InputLabel(node.op, i) + " is absent");
        }
      } else if (!graph_.HasValue(in)) {
        return Fail(owner + ": " + InputLabel(node.op, i) + " refers to value id " + std::to_string(in) +
                    ", out of range");
      }
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const ValueId out = node.outputs[i];
      const std::string where = owner + ": output " + std::to_string(i);
      if (!graph_.HasValue(out)) return Fail(where + " refers to value id " + std::to_string(out) + ", out of range");
      const std::string value = graph_.DescribeValue(out);
      if (producer_of_[out] != kNoNode) {
        return Fail(where + " " + value + " is also produced by " + graph_.DescribeNode(producer_of_[out]) +
                    " (a value has one producer)");
      }
      if (is_input_[out]) return Fail(where + " " + value + " is a graph input");
      if (graph_.value(out).constant) return Fail(where + " " + value + " is a constant");
      producer_of_[out] = id;
    }
    return Status::Ok();
  }

  Status CheckProducerLinks() const {
    for (ValueId id = 0; id < graph_.num_values(); ++id) {
      const NodeId recorded = graph_.value(id).producer;
      if (recorded == producer_of_[id]) continue;
      if (producer_of_[id] == kNoNode) {
        return Fail(graph_.DescribeValue(id) + " records producer " + graph_.DescribeNode(recorded) +
                    (graph_.IsLive(recorded) ? ", which does not list it as an output" : ", which is not a live node"));
      }
      return Fail(graph_.DescribeValue(id) + " is an output of " + graph_.DescribeNode(producer_of_[id]) +
                  " but records producer " +
                  (recorded == kNoNode ? std::string("none") : graph_.DescribeNode(recorded)));
    }
    return Status::Ok();
  }

  Status CheckInputsDefined(NodeId id) const {
    const Node& node = graph_.node(id);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId in = node.inputs[i];
      if (in == kNoValue || IsDefined(in)) continue;
      return Fail(graph_.DescribeNode(id) + ": " + InputLabel(node.op, i) + " " + graph_.DescribeValue(in) +
                  " is not defined (not a graph input, constant or output of a live node)");
    }
    return Status::Ok();
  }

  Status CheckNodeSemantics(NodeId id) const {
    const Node& node = graph_.node(id);
    const std::string owner = graph_.DescribeNode(id);
    QC_RETURN_IF_ERROR(CheckAttributes(node.op, node.attributes, owner, AttributePresence::kAll));
    if (node.quant) QC_RETURN_IF_ERROR(CheckQuant(id));
    QC_RETURN_IF_ERROR(CheckConstantInputs(id));
    QC_ASSIGN_OR_RETURN(std::vector<ValueType> inferred, InferNodeOutputTypes(graph_, id));
    for (size_t i = 0; i < inferred.size(); ++i) {
      const Value& out = graph_.value(node.outputs[i]);
      const ValueType stored{out.dtype, out.shape};
      if (stored != inferred[i]) {
        return Fail(owner + ": output " + std::to_string(i) + " " + graph_.DescribeValue(node.outputs[i]) + " is " +
                    ToString(stored) + ", but its inputs give " + ToString(inferred[i]));
      }
    }
    return Status::Ok();
  }

  // Packed weights, tables and their scales are stored data the runtime maps as-is, never computed values.
  Status CheckConstantInputs(NodeId id) const {
    const Node& node = graph_.node(id);
    // QLinear: weight, w_scale; QEmbedding: table, scale.
    if (node.op != OpType::kQLinear && node.op != OpType::kQEmbedding) return Status::Ok();
    for (size_t i : {size_t{1}, size_t{2}}) {
      if (i >= node.inputs.size() || node.inputs[i] == kNoValue) continue;
      if (graph_.value(node.inputs[i]).constant) continue;
      return Fail(graph_.DescribeNode(id) + ": " + InputLabel(node.op, i) + " " +
                  graph_.DescribeValue(node.inputs[i]) + " must be a constant");
    }
    return Status::Ok();
  }

  Status CheckQuant(NodeId id) const {
    const Node& node = graph_.node(id);
    const std::string owner = graph_.DescribeNode(id);
    QC_RETURN_IF_ERROR(ValidateQuantAnnotation(*node.quant, owner));
    if (!node.quant->weight) return Status::Ok();
    const int weight_input = GetOpSchema(node.op).weight_input;
    if (weight_input < 0 || static_cast<size_t>(weight_input) >= node.inputs.size() ||
        node.inputs[weight_input] == kNoValue) {
      return Fail(owner + ": has a weight quantization annotation, but " + std::string(OpTypeName(node.op)) +
                  " has no weight input");
    }
    const WeightQuant& weight = *node.quant->weight;
    if (weight.granularity != WeightGranularity::kPerGroup) return Status::Ok();
    // Groups split each output row (dimension 0) into runs of group_size elements.
    const Shape& shape = graph_.value(node.inputs[weight_input]).shape;
    const Shape row(shape.begin() + (shape.empty() ? 0 : 1), shape.end());
    Expected<int64_t> row_length = StaticElementCount(row);
    if (row_length.ok() && *row_length % weight.group_size != 0) {
      return Fail(owner + ": weight rows of " + std::to_string(*row_length) + " elements do not split into groups of " +
                  std::to_string(weight.group_size));
    }
    return Status::Ok();
  }

  Status CheckGraphOutputs() const {
    if (graph_.outputs().empty()) return Fail("graph has no outputs");
    std::vector<bool> seen(graph_.num_values(), false);
    for (ValueId id : graph_.outputs()) {
      if (!graph_.HasValue(id)) return Fail("graph output id " + std::to_string(id) + " is out of range");
      const std::string what = "graph output " + graph_.DescribeValue(id);
      if (seen[id]) return Fail(what + " is listed twice");
      seen[id] = true;
      if (graph_.value(id).name.empty()) return Fail(what + ": graph outputs must be named");
      if (!IsDefined(id)) return Fail(what + " is not defined (not a graph input, constant or output of a live node)");
    }
    return Status::Ok();
  }

  const Graph& graph_;
  std::vector<NodeId> producer_of_;  // live producer per value, filled by CheckNodeStructure
  std::vector<bool> is_input_;
};

}  // namespace

Status Verify(const Graph& graph) {
  return Verifier(graph).Run();
}

}  // namespace qc::ir
