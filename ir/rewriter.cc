#include "ir/rewriter.h"

#include <algorithm>

#include "ir/builder.h"
#include "ir/op_schema.h"
#include "ir/shape_inference.h"

namespace qc::ir {
namespace {

std::string TypeOf(const Value& value) {
  return std::string(DTypeName(value.dtype)) + ToString(value.shape);
}

}  // namespace

Status Rewriter::CheckLiveNode(NodeId node, const char* operation) const {
  if (graph_.IsLive(node)) return Status::Ok();
  return InvalidArgument(std::string(operation) + ": " + graph_.DescribeNode(node) +
                         (graph_.HasNode(node) ? " is erased" : ""));
}

std::vector<bool> Rewriter::UpstreamNodes(ValueId value) const {
  std::vector<bool> upstream(graph_.num_nodes(), false);
  std::vector<NodeId> stack;
  auto push_producer = [&](ValueId v) {
    if (v == kNoValue || !graph_.HasValue(v)) return;
    const NodeId producer = graph_.value(v).producer;
    if (graph_.IsLive(producer) && !upstream[producer]) {
      upstream[producer] = true;
      stack.push_back(producer);
    }
  };
  push_producer(value);
  while (!stack.empty()) {
    const NodeId current = stack.back();
    stack.pop_back();
    for (ValueId in : graph_.node(current).inputs) push_producer(in);
  }
  return upstream;
}

Status Rewriter::ReinferOrRestore(NodeId node, Node saved, const char* operation) {
  const std::string owner = graph_.DescribeNode(node);
  Expected<std::vector<ValueType>> inferred = InferNodeOutputTypes(graph_, node);
  Status problem = inferred.status();
  if (problem.ok()) {
    const Node& edited = graph_.node(node);
    for (size_t i = 0; i < edited.outputs.size() && i < inferred->size(); ++i) {
      if (!graph_.HasValue(edited.outputs[i])) continue;  // a broken graph; the verifier reports it
      const Value& out = graph_.value(edited.outputs[i]);
      if (ValueType{out.dtype, out.shape} != (*inferred)[i]) {
        problem = InvalidArgument(owner + ": output " + std::to_string(i) + " would change from " + TypeOf(out) +
                                  " to " + ToString((*inferred)[i]));
        break;
      }
    }
  }
  if (problem.ok()) return Status::Ok();
  graph_.mutable_node(node) = std::move(saved);
  return problem.WithContext(operation);
}

Status Rewriter::ReplaceAllUsesWith(ValueId from, ValueId to) {
  const char* op = "ReplaceAllUsesWith";
  if (!graph_.HasValue(from) || !graph_.HasValue(to)) {
    return InvalidArgument(std::string(op) + ": value id out of range (" + std::to_string(from) + ", " +
                           std::to_string(to) + ")");
  }
  if (from == to) return Status::Ok();
  const Value& a = graph_.value(from);
  const Value& b = graph_.value(to);
  const std::string pair = graph_.DescribeValue(from) + " -> " + graph_.DescribeValue(to);
  if (a.dtype != b.dtype || a.shape != b.shape) {
    return InvalidArgument(std::string(op) + ": " + pair + ": types differ (" + TypeOf(a) + " vs " + TypeOf(b) + ")");
  }
  const bool output = graph_.IsGraphOutput(from);
  if (output) {
    if (graph_.IsGraphOutput(to)) return InvalidArgument(std::string(op) + ": " + pair + ": both are graph outputs");
    if (graph_.IsGraphInput(from) || a.constant) {
      return InvalidArgument(std::string(op) + ": " + pair + ": graph output '" + a.name +
                             "' is a graph input or constant and must keep its name");
    }
    if (!b.name.empty() && b.name != a.name) {
      return InvalidArgument(std::string(op) + ": " + pair + ": graph output '" + a.name +
                             "' would be renamed; the replacement is already named");
    }
  }

  // Nodes that compute `to` keep reading `from`.
  const std::vector<bool> upstream = UpstreamNodes(to);
  for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
    if (!graph_.IsLive(id) || upstream[id]) continue;
    for (ValueId& in : graph_.mutable_node(id).inputs) {
      if (in == from) in = to;
    }
  }
  if (output) {
    std::replace(graph_.mutable_outputs().begin(), graph_.mutable_outputs().end(), from, to);
    std::string name = std::move(graph_.mutable_value(from).name);
    graph_.mutable_value(from).name.clear();
    graph_.mutable_value(to).name = std::move(name);
  }
  return Status::Ok();
}

Status Rewriter::SetInput(NodeId node, size_t index, ValueId value) {
  const char* op = "SetInput";
  QC_RETURN_IF_ERROR(CheckLiveNode(node, op));
  const std::string owner = graph_.DescribeNode(node);
  const OpType type = graph_.node(node).op;
  if (index >= static_cast<size_t>(GetOpArity(type).max_inputs)) {
    return InvalidArgument(std::string(op) + ": " + owner + ": " + std::string(OpTypeName(type)) + " has no input " +
                           std::to_string(index));
  }
  if (value != kNoValue && !graph_.HasValue(value)) {
    return InvalidArgument(std::string(op) + ": " + owner + ": value id " + std::to_string(value) + " out of range");
  }
  if (value != kNoValue && UpstreamNodes(value)[node]) {
    return InvalidArgument(std::string(op) + ": " + owner + ": " + graph_.DescribeValue(value) +
                           " is computed from this node; using it as " + InputLabel(type, index) +
                           " would create a cycle");
  }
  Node saved = graph_.node(node);
  std::vector<ValueId>& inputs = graph_.mutable_node(node).inputs;
  if (index >= inputs.size()) inputs.resize(index + 1, kNoValue);
  inputs[index] = value;
  while (!inputs.empty() && inputs.back() == kNoValue) inputs.pop_back();  // absent trailing inputs are omitted
  return ReinferOrRestore(node, std::move(saved), op);
}

Status Rewriter::SetAttribute(NodeId node, AttrName name, AttrValue value) {
  const char* op = "SetAttribute";
  QC_RETURN_IF_ERROR(CheckLiveNode(node, op));
  const std::string owner = graph_.DescribeNode(node);
  Attributes updated = graph_.node(node).attributes;
  updated.Set(name, std::move(value));
  QC_RETURN_IF_ERROR(CheckAttributes(graph_.node(node).op, updated, owner).WithContext(op));
  Node saved = graph_.node(node);
  graph_.mutable_node(node).attributes = std::move(updated);
  return ReinferOrRestore(node, std::move(saved), op);
}

Status Rewriter::SetQuant(NodeId node, std::optional<QuantAnnotation> annotation) {
  QC_RETURN_IF_ERROR(CheckLiveNode(node, "SetQuant"));
  if (annotation) {
    QC_RETURN_IF_ERROR(ValidateQuantAnnotation(*annotation, graph_.DescribeNode(node)).WithContext("SetQuant"));
    if (annotation->weight && GetOpSchema(graph_.node(node).op).weight_input < 0) {
      return InvalidArgument("SetQuant: " + graph_.DescribeNode(node) + " has no weight input to annotate");
    }
  }
  graph_.mutable_node(node).quant = annotation;
  return Status::Ok();
}

Expected<std::vector<ValueId>> Rewriter::InsertNode(OpType op, std::string name, std::vector<ValueId> inputs,
                                                    Attributes attributes, std::vector<std::string> output_names) {
  return AppendInferredNode(graph_, op, std::move(name), std::move(inputs), std::move(attributes),
                            std::move(output_names));
}

Expected<ValueId> Rewriter::InsertOp(OpType op, std::string name, std::vector<ValueId> inputs, Attributes attributes,
                                     std::string output_name) {
  if (IsValidOpType(op) && GetOpArity(op).num_outputs != 1) {
    return InvalidArgument("InsertOp: " + std::string(OpTypeName(op)) + " has several outputs; use InsertNode");
  }
  QC_ASSIGN_OR_RETURN(std::vector<ValueId> outputs, InsertNode(op, std::move(name), std::move(inputs),
                                                               std::move(attributes), {std::move(output_name)}));
  return outputs.front();
}

Expected<ValueId> Rewriter::AddConstant(std::string name, Tensor tensor) {
  if (name.empty()) return InvalidArgument("AddConstant: constants need a non-empty name");
  if (graph_.FindValue(name).ok()) {
    return InvalidArgument("AddConstant: the graph already has a value named '" + name + "'");
  }
  Value value;
  value.name = std::move(name);
  value.dtype = tensor.dtype();
  value.shape = tensor.shape();
  value.constant = std::move(tensor);
  return graph_.AppendValue(std::move(value));
}

Status Rewriter::SetConstant(ValueId id, Tensor tensor) {
  if (!graph_.HasValue(id) || !graph_.value(id).constant) {
    return InvalidArgument("SetConstant: " + graph_.DescribeValue(id) + " is not a constant");
  }
  const Tensor& current = *graph_.value(id).constant;
  if (current.dtype() != tensor.dtype() || current.dims() != tensor.dims()) {
    return InvalidArgument("SetConstant: " + graph_.DescribeValue(id) + " is " + current.TypeString() +
                           ", the new tensor is " + tensor.TypeString());
  }
  graph_.mutable_value(id).constant = std::move(tensor);
  return Status::Ok();
}

Status Rewriter::EraseNode(NodeId node) {
  QC_RETURN_IF_ERROR(CheckLiveNode(node, "EraseNode"));
  for (ValueId out : graph_.node(node).outputs) {
    if (!graph_.HasValue(out)) continue;
    if (graph_.IsGraphOutput(out)) {
      return FailedPrecondition("EraseNode: " + graph_.DescribeNode(node) + ": output " + graph_.DescribeValue(out) +
                                " is a graph output");
    }
    const std::vector<NodeId> consumers = graph_.Consumers(out);
    if (!consumers.empty()) {
      return FailedPrecondition("EraseNode: " + graph_.DescribeNode(node) + ": output " + graph_.DescribeValue(out) +
                                " is still used by " + graph_.DescribeNode(consumers.front()));
    }
  }
  for (ValueId out : graph_.node(node).outputs) {
    if (graph_.HasValue(out) && graph_.value(out).producer == node) graph_.mutable_value(out).producer = kNoNode;
  }
  graph_.mutable_node(node).erased = true;
  return Status::Ok();
}

size_t Rewriter::EliminateDeadCode() {
  // Use counts by live nodes and graph outputs; a node is dead when all its outputs have count 0.
  std::vector<size_t> uses(graph_.num_values(), 0);
  for (ValueId out : graph_.outputs()) {
    if (graph_.HasValue(out)) ++uses[out];
  }
  for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
    if (!graph_.IsLive(id)) continue;
    for (ValueId in : graph_.node(id).inputs) {
      if (graph_.HasValue(in)) ++uses[in];
    }
  }
  auto is_dead = [&](NodeId id) {
    if (!graph_.IsLive(id)) return false;
    for (ValueId out : graph_.node(id).outputs) {
      if (graph_.HasValue(out) && uses[out] > 0) return false;
    }
    return true;
  };
  std::vector<NodeId> worklist;
  for (NodeId id = 0; id < graph_.num_nodes(); ++id) {
    if (is_dead(id)) worklist.push_back(id);
  }
  size_t erased = 0;
  while (!worklist.empty()) {
    const NodeId id = worklist.back();
    worklist.pop_back();
    if (!is_dead(id)) continue;  // already erased through another path
    Node& node = graph_.mutable_node(id);
    node.erased = true;
    ++erased;
    for (ValueId out : node.outputs) {
      if (graph_.HasValue(out) && graph_.value(out).producer == id) graph_.mutable_value(out).producer = kNoNode;
    }
    for (ValueId in : node.inputs) {
      if (!graph_.HasValue(in) || --uses[in] > 0) continue;
      const NodeId producer = graph_.value(in).producer;
      if (is_dead(producer)) worklist.push_back(producer);
    }
  }
  return erased;
}

Expected<CompactionMap> Rewriter::Compact() {
  QC_ASSIGN_OR_RETURN(std::vector<NodeId> order, graph_.TopologicalOrder());

  CompactionMap map;
  map.nodes.assign(graph_.num_nodes(), kNoNode);
  for (size_t i = 0; i < order.size(); ++i) map.nodes[order[i]] = static_cast<NodeId>(i);

  // A value survives if anything still refers to it.
  std::vector<bool> keep(graph_.num_values(), false);
  auto mark = [&](ValueId id) {
    if (graph_.HasValue(id)) keep[id] = true;
  };
  for (ValueId id : graph_.inputs()) mark(id);
  for (ValueId id : graph_.outputs()) mark(id);
  for (NodeId id : order) {
    for (ValueId in : graph_.node(id).inputs) mark(in);
    for (ValueId out : graph_.node(id).outputs) mark(out);
  }
  map.values.assign(graph_.num_values(), kNoValue);
  std::vector<Value> values;
  for (ValueId id = 0; id < graph_.num_values(); ++id) {
    if (!keep[id]) continue;
    map.values[id] = static_cast<ValueId>(values.size());
    values.push_back(graph_.value(id));
  }
  // Ids that were already dangling stay out of range (the verifier reports them) rather than aliasing a live id.
  auto remap_value = [&](ValueId id) {
    if (id == kNoValue) return kNoValue;
    return graph_.HasValue(id) ? map.values[id] : static_cast<ValueId>(values.size() + 1);
  };
  for (Value& value : values) {
    value.producer = graph_.HasNode(value.producer) ? map.nodes[value.producer] : kNoNode;
  }
  std::vector<Node> nodes;
  nodes.reserve(order.size());
  for (NodeId id : order) {
    Node node = graph_.node(id);
    for (ValueId& in : node.inputs) in = remap_value(in);
    for (ValueId& out : node.outputs) out = remap_value(out);
    nodes.push_back(std::move(node));
  }
  std::vector<ValueId> inputs;
  for (ValueId id : graph_.inputs()) inputs.push_back(remap_value(id));
  std::vector<ValueId> outputs;
  for (ValueId id : graph_.outputs()) outputs.push_back(remap_value(id));
  graph_.ReplaceContents(std::move(values), std::move(nodes), std::move(inputs), std::move(outputs));
  return map;
}

}  // namespace qc::ir
