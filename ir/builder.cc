#include "ir/builder.h"

#include <optional>

#include "ir/op_schema.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"

namespace qc::ir {
namespace {

Status CheckNewName(const Graph& graph, const std::string& name, std::string_view what) {
  if (name.empty()) return InvalidArgument(std::string(what) + " needs a non-empty name");
  if (graph.FindValue(name).ok()) {
    return InvalidArgument(std::string(what) + " '" + name + "': the graph already has a value with this name");
  }
  return Status::Ok();
}

}  // namespace

Expected<std::vector<ValueId>> AppendInferredNode(Graph& graph, OpType op, std::string name,
                                                  std::vector<ValueId> inputs, Attributes attributes,
                                                  std::vector<std::string> output_names) {
  const std::string owner = (name.empty() ? "unnamed node" : "node '" + name + "'") + " (" +
                            std::string(IsValidOpType(op) ? OpTypeName(op) : "invalid op") + ")";
  if (!IsValidOpType(op))
    return InvalidArgument(owner + ": invalid op type value " + std::to_string(static_cast<int>(op)));

  std::vector<std::optional<ValueType>> input_types;
  input_types.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueId id = inputs[i];
    if (id == kNoValue) {
      input_types.emplace_back(std::nullopt);  // InferOutputTypes rejects it at a required position
    } else if (!graph.HasValue(id)) {
      return InvalidArgument(owner + ": " + InputLabel(op, i) + " refers to value id " + std::to_string(id) +
                             ", but the graph has " + std::to_string(graph.num_values()) + " values");
    } else {
      input_types.emplace_back(ValueType{graph.value(id).dtype, graph.value(id).shape});
    }
  }
  QC_ASSIGN_OR_RETURN(Attributes complete, ApplyAttributeDefaults(op, std::move(attributes), owner));
  QC_ASSIGN_OR_RETURN(std::vector<ValueType> output_types, InferOutputTypes(op, input_types, complete, owner));

  if (output_names.empty()) output_names.resize(output_types.size());
  if (output_names.size() != output_types.size()) {
    return InvalidArgument(owner + ": " + std::to_string(output_names.size()) + " output names for " +
                           std::to_string(output_types.size()) + " outputs");
  }
  for (size_t i = 0; i < output_names.size(); ++i) {
    if (output_names[i].empty()) continue;
    QC_RETURN_IF_ERROR(CheckNewName(graph, output_names[i], owner + ": output " + std::to_string(i)));
    for (size_t j = 0; j < i; ++j) {
      if (output_names[j] == output_names[i]) {
        return InvalidArgument(owner + ": outputs " + std::to_string(j) + " and " + std::to_string(i) +
                               " are both named '" + output_names[i] + "'");
      }
    }
  }

  // All checks passed: only now touch the graph. Absent trailing inputs are dropped (the canonical form).
  while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();
  Node node;
  node.op = op;
  node.name = std::move(name);
  node.inputs = std::move(inputs);
  node.attributes = std::move(complete);
  for (size_t i = 0; i < output_types.size(); ++i) {
    Value value;
    value.name = std::move(output_names[i]);
    value.dtype = output_types[i].dtype;
    value.shape = std::move(output_types[i].shape);
    node.outputs.push_back(graph.AppendValue(std::move(value)));
  }
  std::vector<ValueId> outputs = node.outputs;
  graph.AppendNode(std::move(node));
  return outputs;
}

Expected<ValueId> GraphBuilder::AddInput(std::string name, DType dtype, Shape shape) {
  QC_RETURN_IF_ERROR(CheckNewName(graph_, name, "graph input"));
  if (DTypeBits(dtype) == 0) return InvalidArgument("graph input '" + name + "': invalid dtype");
  QC_RETURN_IF_ERROR(ValidateShape(shape, "graph input '" + name + "'"));
  Value value;
  value.name = std::move(name);
  value.dtype = dtype;
  value.shape = std::move(shape);
  const ValueId id = graph_.AppendValue(std::move(value));
  graph_.mutable_inputs().push_back(id);
  return id;
}

Expected<ValueId> GraphBuilder::AddConstant(std::string name, Tensor tensor) {
  QC_RETURN_IF_ERROR(CheckNewName(graph_, name, "constant"));
  Value value;
  value.name = std::move(name);
  value.dtype = tensor.dtype();
  value.shape = tensor.shape();
  value.constant = std::move(tensor);
  return graph_.AppendValue(std::move(value));
}

Expected<std::vector<ValueId>> GraphBuilder::AddNode(OpType op, std::string name, std::vector<ValueId> inputs,
                                                     Attributes attributes, std::vector<std::string> output_names) {
  return AppendInferredNode(graph_, op, std::move(name), std::move(inputs), std::move(attributes),
                            std::move(output_names));
}

Expected<ValueId> GraphBuilder::AddOp(OpType op, std::string name, std::vector<ValueId> inputs, Attributes attributes,
                                      std::string output_name) {
  if (IsValidOpType(op) && GetOpArity(op).num_outputs != 1) {
    return InvalidArgument("node '" + name + "' (" + std::string(OpTypeName(op)) + "): AddOp needs a single-output op");
  }
  QC_ASSIGN_OR_RETURN(std::vector<ValueId> outputs,
                      AddNode(op, std::move(name), std::move(inputs), std::move(attributes), {std::move(output_name)}));
  return outputs.front();
}

Status GraphBuilder::MarkOutput(ValueId value, std::string name) {
  if (!graph_.HasValue(value))
    return InvalidArgument("graph output '" + name + "': no value with id " + std::to_string(value));
  if (graph_.IsGraphOutput(value)) {
    return InvalidArgument("graph output '" + name + "': " + graph_.DescribeValue(value) + " is already an output");
  }
  const std::string& current = graph_.value(value).name;
  if (current.empty()) {
    QC_RETURN_IF_ERROR(CheckNewName(graph_, name, "graph output"));
    graph_.mutable_value(value).name = std::move(name);
  } else if (current != name) {
    return InvalidArgument("graph output '" + name + "': " + graph_.DescribeValue(value) +
                           " already has a different name; graph outputs are named by their value");
  }
  graph_.mutable_outputs().push_back(value);
  return Status::Ok();
}

Expected<Graph> GraphBuilder::Build() && {
  QC_RETURN_IF_ERROR(Verify(graph_));
  return std::move(graph_);
}

}  // namespace qc::ir
