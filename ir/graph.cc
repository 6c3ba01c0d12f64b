#include "ir/graph.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace qc::ir {

Expected<ValueId> Graph::FindValue(std::string_view name) const {
  if (!name.empty()) {
    for (size_t id = 0; id < values_.size(); ++id) {
      if (values_[id].name == name) return static_cast<ValueId>(id);
    }
  }
  return NotFound("graph has no value named '" + std::string(name) + "'");
}

std::vector<NodeId> Graph::Consumers(ValueId value) const {
  std::vector<NodeId> consumers;
  for (size_t id = 0; id < nodes_.size(); ++id) {
    const Node& node = nodes_[id];
    if (node.erased) continue;
    if (std::find(node.inputs.begin(), node.inputs.end(), value) != node.inputs.end()) {
      consumers.push_back(static_cast<NodeId>(id));
    }
  }
  return consumers;
}

bool Graph::IsUsed(ValueId value) const {
  return IsGraphOutput(value) || !Consumers(value).empty();
}

bool Graph::IsGraphInput(ValueId value) const {
  return std::find(inputs_.begin(), inputs_.end(), value) != inputs_.end();
}

bool Graph::IsGraphOutput(ValueId value) const {
  return std::find(outputs_.begin(), outputs_.end(), value) != outputs_.end();
}

Expected<std::vector<NodeId>> Graph::TopologicalOrder() const {
  // The producing live node of each value, derived from node outputs rather than Value::producer so the order is
  // right even while a rewrite is in progress.
  std::vector<NodeId> producer_of(values_.size(), kNoNode);
  for (size_t id = 0; id < nodes_.size(); ++id) {
    if (nodes_[id].erased) continue;
    for (ValueId out : nodes_[id].outputs) {
      if (HasValue(out) && producer_of[out] == kNoNode) producer_of[out] = static_cast<NodeId>(id);
    }
  }
  auto producer = [&](ValueId in) { return HasValue(in) ? producer_of[in] : kNoNode; };

  std::vector<size_t> pending_inputs(nodes_.size(), 0);
  std::vector<std::vector<NodeId>> dependents(nodes_.size());
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  size_t live = 0;
  for (size_t id = 0; id < nodes_.size(); ++id) {
    if (nodes_[id].erased) continue;
    ++live;
    for (ValueId in : nodes_[id].inputs) {
      const NodeId from = producer(in);
      if (from == kNoNode) continue;
      ++pending_inputs[id];
      dependents[from].push_back(static_cast<NodeId>(id));
    }
    if (pending_inputs[id] == 0) ready.push(static_cast<NodeId>(id));
  }

  std::vector<NodeId> order;
  order.reserve(live);
  while (!ready.empty()) {
    const NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (NodeId next : dependents[id]) {
      if (--pending_inputs[next] == 0) ready.push(next);
    }
  }
  if (order.size() == live) return order;

  // Every node left has a pending input from another node left: follow those edges until one repeats; the repeated
  // part of the walk is a cycle.
  NodeId start = kNoNode;
  for (size_t id = 0; id < nodes_.size() && start == kNoNode; ++id) {
    if (!nodes_[id].erased && pending_inputs[id] > 0) start = static_cast<NodeId>(id);
  }
  std::vector<NodeId> walk;
  std::vector<bool> seen(nodes_.size(), false);
  NodeId current = start;
  while (!seen[current]) {
    seen[current] = true;
    walk.push_back(current);
    NodeId previous = kNoNode;
    for (ValueId in : nodes_[current].inputs) {
      const NodeId from = producer(in);
      if (from != kNoNode && pending_inputs[from] > 0) {
        previous = from;
        break;
      }
    }
    current = previous;  // always found: current still has pending inputs from unprocessed nodes
  }
  // walk[i + 1] produces an input of walk[i], and `current` (= walk[k]) produces an input of walk.back(); print the
  // cycle in data-flow order, starting and ending at `current`.
  std::string cycle = DescribeNode(current);
  const auto cycle_start = std::find(walk.begin(), walk.end(), current);
  for (auto it = walk.end(); it != cycle_start;) {
    --it;
    cycle += " -> " + DescribeNode(*it);
  }
  return InvalidArgument("graph has a cycle: " + cycle);
}

std::string Graph::DescribeNode(NodeId id) const {
  if (!HasNode(id)) return "node #" + std::to_string(id) + " (out of range)";
  const Node& n = nodes_[id];
  const std::string op(OpTypeName(n.op));
  if (n.name.empty()) return "node #" + std::to_string(id) + " (" + op + ")";
  return "node '" + n.name + "' (" + op + ")";
}

std::string Graph::DescribeValue(ValueId id) const {
  if (id == kNoValue) return "absent value";
  if (!HasValue(id)) return "value %" + std::to_string(id) + " (out of range)";
  if (values_[id].name.empty()) return "value %" + std::to_string(id);
  return "value '" + values_[id].name + "'";
}

ValueId Graph::AppendValue(Value value) {
  values_.push_back(std::move(value));
  return static_cast<ValueId>(values_.size() - 1);
}

NodeId Graph::AppendNode(Node node) {
  const auto id = static_cast<NodeId>(nodes_.size());
  for (ValueId out : node.outputs) {
    if (HasValue(out)) values_[out].producer = id;
  }
  nodes_.push_back(std::move(node));
  return id;
}

void Graph::ReplaceContents(std::vector<Value> values, std::vector<Node> nodes, std::vector<ValueId> inputs,
                            std::vector<ValueId> outputs) {
  values_ = std::move(values);
  nodes_ = std::move(nodes);
  inputs_ = std::move(inputs);
  outputs_ = std::move(outputs);
}

}  // namespace qc::ir
