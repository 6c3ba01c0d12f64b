#include "importers/onnx/work_graph.h"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <queue>

#include "importers/onnx/model_file.h"
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

bool WGraph::IsGraphOutput(int value) const { return std::find(outputs.begin(), outputs.end(), value) != outputs.end(); }

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
  std::string text = "node '" + (n.name.empty() ? "#" + std::to_string(node) : n.name) + "' (" + n.op_type + ", " +
                     domain;
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

// ---- Loading.

namespace {

Expected<ir::Tensor> ConstantNodeValue(const onnx::NodeProto& node, const std::shared_ptr<const void>& owner,
                                       ExternalDataResolver* external, const std::string& what) {
  for (const auto& a : node.attribute()) {
    if (a.name() == "value") return TensorFromProto(a.t(), owner, external, what);
    if (a.name() == "value_float") return ir::Tensor::FromVector<float>({}, {a.f()});
    if (a.name() == "value_floats") {
      std::vector<float> v(a.floats().begin(), a.floats().end());
      const auto n = static_cast<int64_t>(v.size());
      return ir::Tensor::FromVector<float>({n}, std::move(v));
    }
    if (a.name() == "value_int") return ir::Tensor::FromVector<int64_t>({}, {a.i()});
    if (a.name() == "value_ints") {
      std::vector<int64_t> v(a.ints().begin(), a.ints().end());
      const auto n = static_cast<int64_t>(v.size());
      return ir::Tensor::FromVector<int64_t>({n}, std::move(v));
    }
  }
  return Unsupported(what + ": Constant node has no supported value attribute (sparse and string values are not)");
}

SymShape InputShape(const onnx::ValueInfoProto& info, const std::map<std::string, std::string>& renames) {
  SymShape shape;
  const auto& dims = info.type().tensor_type().shape().dim();
  for (int axis = 0; axis < dims.size(); ++axis) {
    const auto& d = dims[axis];
    if (d.has_dim_value()) {
      shape.push_back(SymExpr(d.dim_value()));
    } else {
      std::string symbol = d.has_dim_param() && !d.dim_param().empty() ? d.dim_param()
                                                                        : info.name() + "_d" + std::to_string(axis);
      auto it = renames.find(symbol);
      if (it != renames.end()) symbol = it->second;
      shape.push_back(SymExpr::Symbol(symbol));
    }
  }
  return shape;
}

// The dynamo exporter records each node's module path in NodeProto.metadata_props (field 9, newer than the
// system's onnx.proto, so it arrives as an unknown field) under "pkg.torch.onnx.name_scopes", a Python list such as
// "['', 'bert', 'bert.encoder.layer.0', 'bert.encoder.layer.0.attention', 'linear']". Returns the TorchScript-style
// scope "/bert/encoder/layer.0/attention" (each entry adds a suffix to the previous one), or "".
std::string DynamoScope(const onnx::NodeProto& node) {
  const auto& unknown = node.GetReflection()->GetUnknownFields(node);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& field = unknown.field(i);
    if (field.number() != 9 || field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    onnx::StringStringEntryProto entry;
    if (!entry.ParseFromString(field.length_delimited()) || entry.key() != "pkg.torch.onnx.name_scopes") continue;
    std::vector<std::string> items;
    const std::string& text = entry.value();
    for (size_t k = 0; k < text.size(); ++k) {
      if (text[k] != '\'' && text[k] != '"') continue;
      const char quote = text[k];
      const size_t end = text.find(quote, k + 1);
      if (end == std::string::npos) return "";
      items.push_back(text.substr(k + 1, end - k - 1));
      k = end;
    }
    // The last entry names the op itself; the ones before are nested module paths.
    std::string scope, previous;
    for (size_t k = 0; k + 1 < items.size(); ++k) {
      const std::string& item = items[k];
      if (item.empty()) continue;
      std::string segment = item;
      if (!previous.empty() && item.compare(0, previous.size() + 1, previous + ".") == 0) {
        segment = item.substr(previous.size() + 1);
      }
      scope += "/" + segment;
      previous = item;
    }
    return scope;
  }
  return "";
}

}  // namespace

Expected<WGraph> BuildWorkGraph(std::shared_ptr<const onnx::ModelProto> model, const std::string& base_dir,
                                const std::string& path, const std::map<std::string, std::string>& symbol_renames) {
  WGraph g;
  g.model = model;
  g.path = path;
  g.producer = model->producer_name();
  if (!model->producer_version().empty()) g.producer += " " + model->producer_version();
  for (const auto& op : model->opset_import()) {
    const std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    g.opsets[domain] = op.version();
  }
  g.opset = g.opsets.count("") ? g.opsets[""] : 0;
  const std::shared_ptr<const void> owner = model;
  ExternalDataResolver external(base_dir);
  const onnx::GraphProto& graph = model->graph();
  std::map<std::string, int> by_name;

  if (graph.sparse_initializer_size() > 0) {
    return Unsupported(path + ": sparse initializers are not supported (" +
                       std::to_string(graph.sparse_initializer_size()) + " present)");
  }
  for (const auto& init : graph.initializer()) {
    WValue v;
    v.name = init.name();
    v.dtype = init.data_type();
    v.is_initializer = true;
    SymShape shape;
    for (int64_t d : init.dims()) shape.push_back(SymExpr(d));
    v.shape = std::move(shape);
    Expected<ir::Tensor> t = TensorFromProto(init, owner, &external, "initializer '" + init.name() + "'");
    if (t.ok()) {
      v.constant = std::move(*t);
    } else if (t.status().code() == StatusCode::kUnsupported) {
      v.load_error = t.status().message();  // reported only if a converted node needs it
    } else {
      return t.status().WithContext(path);
    }
    if (by_name.count(init.name())) return CorruptData(path + ": initializer '" + init.name() + "' is defined twice");
    by_name[init.name()] = g.AddValue(std::move(v));
  }
  for (const auto& in : graph.input()) {
    if (by_name.count(in.name())) continue;  // an initializer's declared input (ir_version < 4 style)
    if (!in.type().has_tensor_type()) return Unsupported(path + ": graph input '" + in.name() + "' is not a tensor");
    WValue v;
    v.name = in.name();
    v.dtype = in.type().tensor_type().elem_type();
    v.is_graph_input = true;
    if (in.type().tensor_type().has_shape()) v.shape = InputShape(in, symbol_renames);
    const int id = g.AddValue(std::move(v));
    by_name[in.name()] = id;
    g.inputs.push_back(id);
  }
  for (int k = 0; k < graph.node_size(); ++k) {
    const onnx::NodeProto& proto = graph.node(k);
    WNode node;
    node.op_type = proto.op_type();
    node.domain = proto.domain() == "ai.onnx" ? "" : proto.domain();
    node.name = proto.name();
    if (const std::string scope = DynamoScope(proto); !scope.empty()) node.name = scope + "/" + proto.name();
    for (const auto& a : proto.attribute()) node.attrs[a.name()] = &a;
    const std::string where = path + ": node '" + proto.name() + "' (" + proto.op_type() + ")";
    for (const std::string& in : proto.input()) {
      if (in.empty()) {
        node.inputs.push_back(-1);
        continue;
      }
      auto it = by_name.find(in);
      if (it == by_name.end()) {
        return CorruptData(where + ": input '" + in + "' is not defined before use (graph not topologically sorted?)");
      }
      node.inputs.push_back(it->second);
    }
    for (const std::string& out : proto.output()) {
      if (out.empty()) {
        node.outputs.push_back(-1);
        continue;
      }
      if (by_name.count(out)) return CorruptData(where + ": output '" + out + "' is defined twice");
      WValue v;
      v.name = out;
      const int id = g.AddValue(std::move(v));
      by_name[out] = id;
      node.outputs.push_back(id);
    }
    if (node.domain.empty() && node.op_type == "Constant" && node.outputs.size() == 1 && node.outputs[0] >= 0) {
      Expected<ir::Tensor> t = ConstantNodeValue(proto, owner, &external, where);
      if (t.ok()) {
        WValue& v = g.values[static_cast<size_t>(node.outputs[0])];
        v.dtype = OnnxTypeFromIr(t->dtype());
        SymShape shape;
        for (int64_t d : t->dims()) shape.push_back(SymExpr(d));
        v.shape = std::move(shape);
        v.constant = std::move(*t);
      } else if (t.status().code() == StatusCode::kUnsupported) {
        node.note = t.status().message();
      } else {
        return t.status();
      }
    }
    g.AddNode(std::move(node));
  }
  for (const auto& out : graph.output()) {
    auto it = by_name.find(out.name());
    if (it == by_name.end()) return CorruptData(path + ": graph output '" + out.name() + "' is never defined");
    g.outputs.push_back(it->second);
    g.output_names.push_back(out.name());
  }
  if (g.outputs.empty()) return CorruptData(path + ": the graph has no outputs");
  return g;
}

}  // namespace qc::onnx_import
