// Loading a ModelProto's main graph into a WGraph (see work_graph.h).
#include <google/protobuf/unknown_field_set.h>

#include <map>

#include "importers/onnx/model_file.h"
#include "importers/onnx/tensor_convert.h"
#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {
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
      std::string symbol =
          d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : info.name() + "_d" + std::to_string(axis);
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

// Input-count rules of the ai.onnx ops the importer looks inside ({min, max}; max -1 = variadic). A node that breaks
// them is malformed; rejecting it here lets every pass index its required inputs without checks.
struct Arity {
  int min_inputs;
  int max_inputs;
};
const std::map<std::string, Arity>& ArityTable() {
  static const std::map<std::string, Arity> table = [] {
    std::map<std::string, Arity> t;
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual",
                           "GreaterOrEqual", "And", "Or", "Xor", "MatMul", "PRelu"}) {
      t[op] = {2, 2};
    }
    for (const char* op : {"Gather", "GatherElements", "GatherND", "Expand", "Tile", "Reshape", "CumSum"})
      t[op] = {2, 2};
    for (const char* op : {"Identity",   "Cast",    "Neg",   "Abs",     "Sqrt",
                           "Reciprocal", "Exp",     "Log",   "Erf",     "Tanh",
                           "Relu",       "Sigmoid", "Floor", "Ceil",    "Sign",
                           "Not",        "IsNaN",   "IsInf", "Softmax", "LogSoftmax",
                           "Transpose",  "Flatten", "Shape", "Size",    "ConstantOfShape",
                           "Gelu"}) {
      t[op] = {1, 1};
    }
    t["Where"] = {3, 3};
    t["Range"] = {3, 3};
    t["Slice"] = {3, 5};
    t["Gemm"] = {2, 3};
    t["Conv"] = {2, 3};
    t["LayerNormalization"] = {2, 3};
    t["Dropout"] = {1, 3};
    t["Unsqueeze"] = {1, 2};
    t["Squeeze"] = {1, 2};
    t["Split"] = {1, 2};
    t["Trilu"] = {1, 2};
    for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"}) t[op] = {1, 2};
    for (const char* op : {"Concat", "Max", "Min", "Sum"}) t[op] = {1, -1};
    return t;
  }();
  return table;
}

Status CheckArity(const WNode& n, const std::string& where) {
  if (n.outputs.empty() || n.outputs[0] < 0) return CorruptData(where + ": the node has no first output");
  if (!n.domain.empty()) return Status::Ok();
  auto it = ArityTable().find(n.op_type);
  if (it == ArityTable().end()) return Status::Ok();
  const auto count = static_cast<int>(n.inputs.size());
  const Arity a = it->second;
  if (count < a.min_inputs || (a.max_inputs >= 0 && count > a.max_inputs)) {
    return CorruptData(where + ": " + std::to_string(count) + " inputs, the op takes " + std::to_string(a.min_inputs) +
                       (a.max_inputs == a.min_inputs ? ""
                        : a.max_inputs < 0           ? " or more"
                                                     : "-" + std::to_string(a.max_inputs)));
  }
  for (int k = 0; k < a.min_inputs; ++k) {
    if (n.inputs[static_cast<size_t>(k)] < 0)
      return CorruptData(where + ": required input " + std::to_string(k) + " is empty");
  }
  return Status::Ok();
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
    QC_RETURN_IF_ERROR(CheckArity(node, where));
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
