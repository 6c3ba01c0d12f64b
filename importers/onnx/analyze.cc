#include "importers/onnx/analyze.h"

#include <algorithm>

#include "importers/onnx/eval.h"
#include "importers/onnx/host_tensor.h"
#include "importers/onnx/tensor_convert.h"

namespace qc::onnx_import {
namespace {

constexpr size_t kMaxSymElements = 64;

bool IsIntType(int32_t t) {
  return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 || t == onnx::TensorProto::INT16 ||
         t == onnx::TensorProto::INT8 || t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::BOOL;
}

// ---- Symbolic elements of small integer tensors.

using Elems = std::vector<SymDim>;

std::optional<Elems> Binary(const Elems& a, const Elems& b, const std::string& op) {
  if (a.size() != b.size() && a.size() != 1 && b.size() != 1) return std::nullopt;
  const size_t n = std::max(a.size(), b.size());
  Elems out(n);
  for (size_t k = 0; k < n; ++k) {
    const SymDim& x = a[a.size() == 1 ? 0 : k];
    const SymDim& y = b[b.size() == 1 ? 0 : k];
    if (op == "Equal") {
      // Symbols are sizes >= 1: equal expressions are equal; a non-negative expression never equals a negative number.
      if (x && y && *x == *y)
        out[k] = SymExpr(1);
      else if (x && y && x->IsConstant() && y->IsConstant())
        out[k] = SymExpr(0);
      else if (x && y &&
               ((x->IsNonNegative() && y->IsConstant() && y->ConstantValue() < 0) ||
                (y->IsNonNegative() && x->IsConstant() && x->ConstantValue() < 0)))
        out[k] = SymExpr(0);
      continue;
    }
    if (!x || !y) continue;
    if (op == "Add")
      out[k] = *x + *y;
    else if (op == "Sub")
      out[k] = *x - *y;
    else if (op == "Mul")
      out[k] = *x * *y;
    else if (op == "Div") {
      if (x->IsConstant() && y->IsConstant() && y->ConstantValue() != 0) {
        out[k] = SymExpr(x->ConstantValue() / y->ConstantValue());
      } else if (auto q = x->DivExact(*y)) {
        out[k] = *q;
      }
    } else if (op == "Max" || op == "Min") {
      if (x->IsConstant() && y->IsConstant()) {
        out[k] = SymExpr(op == "Max" ? std::max(x->ConstantValue(), y->ConstantValue())
                                     : std::min(x->ConstantValue(), y->ConstantValue()));
      } else if (*x == *y) {
        out[k] = *x;
      } else if (op == "Max" && x->IsConstant() && x->ConstantValue() <= 1 && y->IsNonNegative()) {
        out[k] = *y;  // max(1, size) = size for sizes >= 1
      } else if (op == "Max" && y->IsConstant() && y->ConstantValue() <= 1 && x->IsNonNegative()) {
        out[k] = *x;
      }
    }
  }
  return out;
}

std::optional<Elems> SymOfNode(const WGraph& g, const WNode& n) {
  auto in = [&](size_t i) -> std::optional<Elems> {
    if (i >= n.inputs.size() || n.inputs[i] < 0) return std::nullopt;
    return SymElements(g, n.inputs[i]);
  };
  const std::string& op = n.op_type;
  if (op == "Shape") {
    const WValue& x = g.values[static_cast<size_t>(n.inputs[0])];
    if (!x.shape) return std::nullopt;
    const auto rank = static_cast<int64_t>(x.shape->size());
    int64_t start = AttrInt(n, "start", 0), end = AttrInt(n, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    Elems out;
    for (int64_t k = start; k < end; ++k) out.push_back((*x.shape)[static_cast<size_t>(k)]);
    return out;
  }
  if (op == "Size") {
    const WValue& x = g.values[static_cast<size_t>(n.inputs[0])];
    if (!x.shape) return std::nullopt;
    return Elems{ShapeProduct(*x.shape)};
  }
  if (op == "Identity" || op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten" ||
      (op == "Cast" && IsIntType(static_cast<int32_t>(AttrInt(n, "to", 0))) &&
       static_cast<int32_t>(AttrInt(n, "to", 0)) != onnx::TensorProto::BOOL)) {
    return in(0);  // element order is unchanged; the new rank is in the output shape
  }
  if (op == "Neg") {
    auto a = in(0);
    if (!a) return std::nullopt;
    for (SymDim& d : *a) {
      if (d) d = SymExpr(0) - *d;
    }
    return a;
  }
  if (op == "Concat") {
    Elems out;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      auto part = in(k);
      if (!part) return std::nullopt;
      out.insert(out.end(), part->begin(), part->end());
    }
    return out;
  }
  if (op == "Gather") {
    auto data = in(0);
    auto idx = ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : -1);
    if (!data || !idx) return std::nullopt;
    Elems out;
    const auto len = static_cast<int64_t>(data->size());
    for (int64_t i : *idx) {
      if (i < -len || i >= len) return std::nullopt;
      out.push_back((*data)[static_cast<size_t>(i < 0 ? i + len : i)]);
    }
    return out;
  }
  if (op == "Slice") {
    auto data = in(0);
    auto starts = ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : -1);
    auto ends = ConstInts(g, n.inputs.size() > 2 ? n.inputs[2] : -1);
    if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
    int64_t step = 1;
    if (n.inputs.size() > 4 && n.inputs[4] >= 0) {
      auto s = ConstInts(g, n.inputs[4]);
      if (!s || s->size() != 1) return std::nullopt;
      step = (*s)[0];
    }
    if (step != 1) return std::nullopt;
    const auto len = static_cast<int64_t>(data->size());
    int64_t b = (*starts)[0] < 0 ? std::max<int64_t>((*starts)[0] + len, 0) : std::min((*starts)[0], len);
    int64_t e = (*ends)[0] < 0 ? std::max<int64_t>((*ends)[0] + len, 0) : std::min((*ends)[0], len);
    Elems out;
    for (int64_t k = b; k < e; ++k) out.push_back((*data)[static_cast<size_t>(k)]);
    return out;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Equal" || op == "Max" || op == "Min") {
    auto a = in(0), b = in(1);
    if (!a || !b || n.inputs.size() != 2) return std::nullopt;
    return Binary(*a, *b, op);
  }
  if (op == "Where") {
    auto c = in(0), a = in(1), b = in(2);
    if (!c || !a || !b) return std::nullopt;
    const size_t len = std::max({c->size(), a->size(), b->size()});
    Elems out(len);
    for (size_t k = 0; k < len; ++k) {
      const SymDim& ck = (*c)[c->size() == 1 ? 0 : k];
      if (!ck || !ck->IsConstant()) continue;
      out[k] = ck->ConstantValue() != 0 ? (*a)[a->size() == 1 ? 0 : k] : (*b)[b->size() == 1 ? 0 : k];
    }
    return out;
  }
  return std::nullopt;
}

// Sets `v.constant` from symbolic elements that are all numbers.
void FoldSymToConstant(WValue& v) {
  if (!v.sym || v.constant || !v.shape || v.shape->size() > 1) return;
  std::vector<int64_t> values;
  for (const SymDim& d : *v.sym) {
    if (!d || !d->IsConstant()) return;
    values.push_back(d->ConstantValue());
  }
  std::vector<int64_t> dims;
  if (v.shape->size() == 1) dims.push_back(static_cast<int64_t>(values.size()));
  const int32_t type = v.dtype == 0 ? onnx::TensorProto::INT64 : v.dtype;
  HostTensor t = HostTensor::Ints(type, dims, values);
  for (size_t k = 0; k < t.i.size(); ++k) t.i[k] = WrapToType(type, t.i[k]);
  Expected<ir::Tensor> tensor = t.ToIr();
  if (tensor.ok()) v.constant = std::move(*tensor);
}

void FoldConstant(WGraph& g, int node) {
  WNode& n = g.nodes[static_cast<size_t>(node)];
  if (!IsEvaluableOp(n)) return;
  std::vector<HostTensor> storage(n.inputs.size());
  std::vector<const HostTensor*> inputs(n.inputs.size(), nullptr);
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    if (n.inputs[k] < 0) continue;
    const ir::Tensor* t = g.Constant(n.inputs[k]);
    if (t == nullptr || t->element_count() > kMaxEvalElements) return;
    Expected<HostTensor> h = HostTensor::FromIr(*t);
    if (!h.ok()) return;
    storage[k] = std::move(*h);
    inputs[k] = &storage[k];
  }
  Expected<std::vector<HostTensor>> out = EvalNode(n, g.opset, inputs);
  if (!out.ok()) {
    if (out.status().code() != StatusCode::kUnsupported) n.note = "constant folding failed: " + out.status().message();
    return;
  }
  for (size_t k = 0; k < n.outputs.size() && k < out->size(); ++k) {
    if (n.outputs[k] < 0) continue;
    Expected<ir::Tensor> t = (*out)[k].ToIr();
    if (!t.ok()) continue;
    WValue& v = g.values[static_cast<size_t>(n.outputs[k])];
    v.dtype = (*out)[k].dtype;
    SymShape shape;
    for (int64_t d : t->dims()) shape.push_back(SymExpr(d));
    v.shape = std::move(shape);
    v.constant = std::move(*t);
  }
}

}  // namespace

std::optional<std::vector<int64_t>> ConstInts(const WGraph& g, int value) {
  const ir::Tensor* t = g.Constant(value);
  if (t == nullptr || t->element_count() > kMaxEvalElements) return std::nullopt;
  Expected<HostTensor> h = HostTensor::FromIr(*t);
  if (!h.ok() || h->is_float()) return std::nullopt;
  return h->i;
}

std::optional<std::vector<double>> ConstDoubles(const WGraph& g, int value) {
  const ir::Tensor* t = g.Constant(value);
  if (t == nullptr || t->element_count() > kMaxEvalElements) return std::nullopt;
  Expected<HostTensor> h = HostTensor::FromIr(*t);
  if (!h.ok()) return std::nullopt;
  std::vector<double> out(h->size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = h->AsDouble(k);
  return out;
}

std::optional<double> ConstScalar(const WGraph& g, int value) {
  const ir::Tensor* t = g.Constant(value);
  if (t == nullptr || t->element_count() != 1) return std::nullopt;
  auto v = ConstDoubles(g, value);
  if (!v) return std::nullopt;
  return (*v)[0];
}

std::optional<std::vector<SymDim>> SymElements(const WGraph& g, int value) {
  if (value < 0) return std::nullopt;
  const WValue& v = g.values[static_cast<size_t>(value)];
  if (v.constant) {
    if (v.constant->dims().size() > 1 || static_cast<size_t>(v.constant->element_count()) > kMaxSymElements) {
      return std::nullopt;
    }
    auto ints = ConstInts(g, value);
    if (!ints) return std::nullopt;
    std::vector<SymDim> out;
    for (int64_t i : *ints) out.push_back(SymExpr(i));
    return out;
  }
  return v.sym;
}

void AnalyzeNode(WGraph& g, int node) {
  InferShapes(g, node);
  WNode& n = g.nodes[static_cast<size_t>(node)];
  if (n.canonical || !n.domain.empty()) return;
  if (n.op_type == "Constant") return;  // its value was set when the graph was loaded
  bool all_constant = !n.inputs.empty();
  for (int in : n.inputs) {
    if (in >= 0 && !g.values[static_cast<size_t>(in)].constant) all_constant = false;
  }
  if (all_constant) FoldConstant(g, node);
  if (n.outputs.size() != 1 || n.outputs[0] < 0) return;
  WValue& out = g.values[static_cast<size_t>(n.outputs[0])];
  if (out.constant) return;
  if (out.dtype != 0 && !IsIntType(out.dtype)) return;
  if (out.shape && out.shape->size() > 1) return;
  std::optional<Elems> sym = SymOfNode(g, n);
  if (!sym || sym->size() > kMaxSymElements) return;
  if (!out.shape) out.shape = SymShape{SymExpr(static_cast<int64_t>(sym->size()))};
  if (out.shape->size() == 1 && (*out.shape)[0] && *(*out.shape)[0] != SymExpr(static_cast<int64_t>(sym->size()))) {
    return;  // the element count disagrees with the inferred shape: do not trust either
  }
  if (out.shape->empty() && sym->size() != 1) return;
  out.sym = std::move(*sym);
  if (out.dtype == 0) out.dtype = onnx::TensorProto::INT64;
  FoldSymToConstant(out);
}

void AnalyzeGraph(WGraph& g) {
  for (int n : g.LiveNodes()) AnalyzeNode(g, n);
}

}  // namespace qc::onnx_import
