#include "importers/onnx/work_graph.h"

#include <algorithm>
#include <queue>

#include "importers/onnx/tensor_convert.h"

namespace qc::onnx_import {

int WGraph::AddValue(WValue value) {
  if (!value.name.empty()) {
    value.name = UniqueName(value.name);
    names_[value.name] = static_cast<int>(values.size());
  }
  values.push_back(std::move(value));
  Touch();
  return static_cast<int>(values.size()) - 1;
}

int WGraph::AddConstant(const std::string& base_name, ir::Tensor tensor) {
  WValue v;
  v.name = base_name;
  v.dtype = OnnxTypeFromIr(tensor.dtype());
  SymShape shape;
  for (int64_t d : tensor.dims()) shape.push_back(SymExpr(d));
  v.shape = std::move(shape);
  v.constant = std::move(tensor);
  return AddValue(std::move(v));
}

int WGraph::AddNode(WNode node) {
  const int id = static_cast<int>(nodes.size());
  for (int out : node.outputs) {
    if (out >= 0) values[static_cast<size_t>(out)].producer = id;
  }
  nodes.push_back(std::move(node));
  Touch();
  return id;
}

namespace {

// Longest common prefix of ONNX scope names at '/' boundaries: "/bert/encoder/layer.0/attention/self".
std::string CommonScope(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  if (names.size() == 1) return names[0];
  std::string prefix = names[0];
  for (const std::string& n : names) {
    size_t k = 0;
    while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
    prefix.resize(k);
  }
  const size_t slash = prefix.rfind('/');
  if (slash == std::string::npos || slash == 0) return "";
  return prefix.substr(0, slash);
}

}  // namespace

int WGraph::AddCanonical(ir::OpType op, std::vector<int> ins, std::vector<int> outs, ir::Attributes attrs,
                         const std::vector<int>& matched) {
  WNode node;
  node.op_type = std::string(ir::OpTypeName(op));
  node.domain = kCanonicalDomain;
  node.canonical = true;
  node.ir_op = op;
  node.ir_attrs = std::move(attrs);
  std::vector<std::string> names;
  for (int m : matched) {
    if (m >= 0 && !nodes[static_cast<size_t>(m)].name.empty()) names.push_back(nodes[static_cast<size_t>(m)].name);
  }
  node.name = CommonScope(names);
  if (node.name.empty() && !names.empty()) node.name = names.back();
  for (int out : outs) {
    const int old = values[static_cast<size_t>(out)].producer;
    if (old >= 0) Erase(old);
  }
  node.inputs = std::move(ins);
  node.outputs = std::move(outs);
  return AddNode(std::move(node));
}

void WGraph::ReplaceAllUses(int from, int to) {
  for (WNode& n : nodes) {
    if (n.erased) continue;
    for (int& in : n.inputs) {
      if (in == from) in = to;
    }
  }
  for (int& out : outputs) {
    if (out == from) out = to;
  }
  Touch();
}

void WGraph::SetInput(int node, size_t index, int value) {
  nodes[static_cast<size_t>(node)].inputs[index] = value;
  Touch();
}

void WGraph::Erase(int node) {
  WNode& n = nodes[static_cast<size_t>(node)];
  if (n.erased) return;
  n.erased = true;
  for (int out : n.outputs) {
    if (out >= 0 && values[static_cast<size_t>(out)].producer == node) values[static_cast<size_t>(out)].producer = -1;
  }
  Touch();
}

void WGraph::RemoveDeadNodes() {
  std::vector<bool> live(nodes.size(), false);
  std::vector<int> stack;
  auto visit_value = [&](int v) {
    if (v < 0) return;
    const WValue& value = values[static_cast<size_t>(v)];
    if (value.constant || value.producer < 0) return;  // constants are leaves: their producers are not needed
    if (!live[static_cast<size_t>(value.producer)]) {
      live[static_cast<size_t>(value.producer)] = true;
      stack.push_back(value.producer);
    }
  };
  for (int out : outputs) visit_value(out);
  while (!stack.empty()) {
    const int n = stack.back();
    stack.pop_back();
    for (int in : nodes[static_cast<size_t>(n)].inputs) visit_value(in);
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!live[n] && !nodes[n].erased) Erase(static_cast<int>(n));
  }
}

const std::vector<int>& WGraph::Consumers(int value) const {
  if (cache_version_ != version_) {
    consumers_.assign(values.size(), {});
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (nodes[n].erased) continue;
      for (int in : nodes[n].inputs) {
        if (in < 0) continue;
        auto& list = consumers_[static_cast<size_t>(in)];
        if (list.empty() || list.back() != static_cast<int>(n)) list.push_back(static_cast<int>(n));
      }
    }
    cache_version_ = version_;
  }
  return consumers_[static_cast<size_t>(value)];
}

std::vector<int> WGraph::DataConsumers(int value) const {
  std::vector<int> out;
  for (int n : Consumers(value)) {
    const WNode& node = nodes[static_cast<size_t>(n)];
    if (node.op_type == "Shape" && node.domain.empty()) continue;
    out.push_back(n);
  }
  return out;
}

bool WGraph::IsGraphOutput(int value) const {
  return std::find(outputs.begin(), outputs.end(), value) != outputs.end();
}

std::vector<int> WGraph::LiveNodes() const {
  // Kahn's algorithm with a min-heap on node id: deterministic, and equal to id order for a sorted ONNX graph.
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> users(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (nodes[n].erased) continue;
    for (int in : nodes[n].inputs) {
      if (in < 0) continue;
      const int p = values[static_cast<size_t>(in)].producer;
      if (p >= 0 && !nodes[static_cast<size_t>(p)].erased && p != static_cast<int>(n)) {
        ++pending[n];
        users[static_cast<size_t>(p)].push_back(static_cast<int>(n));
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!nodes[n].erased && pending[n] == 0) ready.push(static_cast<int>(n));
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int n = ready.top();
    ready.pop();
    order.push_back(n);
    for (int u : users[static_cast<size_t>(n)]) {
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
    }
  }
  return order;  // nodes on a cycle are left out; the emitter reports them as unconverted
}

const ir::Tensor* WGraph::Constant(int value) const {
  if (value < 0) return nullptr;
  const WValue& v = values[static_cast<size_t>(value)];
  return v.constant ? &*v.constant : nullptr;
}

int WGraph::ProducerOp(int value, const char* op_type) const {
  if (value < 0) return -1;
  const int p = values[static_cast<size_t>(value)].producer;
  if (p < 0) return -1;
  const WNode& n = nodes[static_cast<size_t>(p)];
  if (n.erased || !n.domain.empty() || n.op_type != op_type) return -1;
  return p;
}

std::string WGraph::UniqueName(const std::string& base) const {
  if (names_.count(base) == 0) return base;
  for (int k = 1;; ++k) {
    std::string candidate = base + "_" + std::to_string(k);
    if (names_.count(candidate) == 0) return candidate;
  }
}

std::string WGraph::DescribeNode(int node) const {
  const WNode& n = nodes[static_cast<size_t>(node)];
  std::string domain = n.domain.empty() ? "ai.onnx" : n.domain;
  std::string text =
      "node '" + (n.name.empty() ? "#" + std::to_string(node) : n.name) + "' (" + n.op_type + ", " + domain;
  auto it = opsets.find(n.domain == "ai.onnx" ? "" : n.domain);
  if (it != opsets.end()) text += " opset " + std::to_string(it->second);
  return text + ")";
}

std::string WGraph::DescribeValue(int value) const {
  return "value '" + values[static_cast<size_t>(value)].name + "'";
}

// ---- Attributes.

const onnx::AttributeProto* FindAttr(const WNode& node, const std::string& name) {
  auto it = node.attrs.find(name);
  return it == node.attrs.end() ? nullptr : it->second;
}

int64_t AttrInt(const WNode& node, const std::string& name, int64_t fallback) {
  const onnx::AttributeProto* a = FindAttr(node, name);
  return a != nullptr && a->has_i() ? a->i() : fallback;
}

double AttrFloat(const WNode& node, const std::string& name, double fallback) {
  const onnx::AttributeProto* a = FindAttr(node, name);
  return a != nullptr && a->has_f() ? static_cast<double>(a->f()) : fallback;
}

std::string AttrString(const WNode& node, const std::string& name, const std::string& fallback) {
  const onnx::AttributeProto* a = FindAttr(node, name);
  return a != nullptr && a->has_s() ? a->s() : fallback;
}

std::optional<std::vector<int64_t>> AttrInts(const WNode& node, const std::string& name) {
  const onnx::AttributeProto* a = FindAttr(node, name);
  if (a == nullptr) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

}  // namespace qc::onnx_import
