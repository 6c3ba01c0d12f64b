// Symbolic output types and shapes of ONNX (and com.microsoft) ops, for importers/onnx/analyze.h.
#include <algorithm>
#include <set>

#include "importers/onnx/analyze.h"
#include "importers/onnx/host_tensor.h"

namespace qc::onnx_import {

std::optional<SymShape> BroadcastSym(const SymShape& a, const SymShape& b) {
  const size_t rank = std::max(a.size(), b.size());
  SymShape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const SymDim da = i < rank - a.size() ? SymDim(SymExpr(1)) : a[i - (rank - a.size())];
    const SymDim db = i < rank - b.size() ? SymDim(SymExpr(1)) : b[i - (rank - b.size())];
    if (da && db && *da == *db)
      out[i] = da;
    else if (db && *db == SymExpr(1))
      out[i] = da;
    else if (da && *da == SymExpr(1))
      out[i] = db;
    else if (da && db && da->IsConstant() && db->IsConstant())
      return std::nullopt;
    else if (da && da->IsConstant())
      out[i] = da;  // a symbol against N > 1 must be N (or 1) at run time
    else if (db && db->IsConstant())
      out[i] = db;
  }
  return out;
}

namespace {

const std::set<std::string> kSameShapeOps = {
    "Identity", "Cast",       "Neg",     "Abs",     "Sqrt",     "Reciprocal", "Exp",      "Log",         "Erf",
    "Tanh",     "Relu",       "Sigmoid", "Floor",   "Ceil",     "Sign",       "Not",      "IsNaN",       "IsInf",
    "Softmax",  "LogSoftmax", "Gelu",    "Dropout", "Clip",     "LeakyRelu",  "Elu",      "HardSigmoid", "Trilu",
    "CumSum",   "Round",      "Sin",     "Cos",     "Softplus", "FastGelu",   "BiasGelu", "QuickGelu"};
const std::set<std::string> kBroadcastOps = {
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
    "And", "Or",  "Xor", "Max", "Min", "Sum", "Where", "PRelu"};
const std::set<std::string> kBoolOps = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And",
                                        "Or",    "Xor",  "Not",     "IsNaN",       "IsInf"};

class Rules {
 public:
  Rules(WGraph& g, int node) : g_(g), n_(g.nodes[static_cast<size_t>(node)]) {}

  const WValue* In(size_t i) const {
    if (i >= n_.inputs.size() || n_.inputs[i] < 0) return nullptr;
    return &g_.values[static_cast<size_t>(n_.inputs[i])];
  }
  std::optional<SymShape> S(size_t i) const {
    const WValue* v = In(i);
    return v ? v->shape : std::nullopt;
  }
  int32_t T(size_t i) const {
    const WValue* v = In(i);
    return v ? v->dtype : 0;
  }
  void Set(size_t k, int32_t dtype, std::optional<SymShape> shape) {
    if (k >= n_.outputs.size() || n_.outputs[k] < 0) return;
    WValue& v = g_.values[static_cast<size_t>(n_.outputs[k])];
    if (v.constant) return;  // facts of constants come from their contents
    if (dtype != 0) v.dtype = dtype;
    if (shape) v.shape = std::move(shape);
  }
  std::optional<int64_t> Axis(int64_t axis, size_t rank) const {
    const auto r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r) return std::nullopt;
    return axis < 0 ? axis + r : axis;
  }
  std::optional<std::vector<int64_t>> Axes(size_t input_index) const {
    if (auto a = AttrInts(n_, "axes")) return a;
    if (input_index < n_.inputs.size() && n_.inputs[input_index] >= 0) return ConstInts(g_, n_.inputs[input_index]);
    return std::nullopt;
  }

  void Run();

 private:
  void Reshape();
  void Slice();
  void Reduce();
  void Contrib();

  WGraph& g_;
  WNode& n_;
};

void Rules::Reshape() {
  auto x = S(0);
  auto target = SymElements(g_, n_.inputs.size() > 1 ? n_.inputs[1] : -1);
  if (!target) {
    const WValue* t = In(1);
    if (t && t->shape && t->shape->size() == 1 && (*t->shape)[0] && (*t->shape)[0]->IsConstant()) {
      Set(0, T(0), SymShape(static_cast<size_t>((*t->shape)[0]->ConstantValue())));  // rank known, dims unknown
    }
    return;
  }
  const bool allowzero = AttrInt(n_, "allowzero", 0) != 0;
  SymShape out(target->size());
  int infer = -1;
  for (size_t k = 0; k < target->size(); ++k) {
    const SymDim& d = (*target)[k];
    if (d && d->IsConstant() && d->ConstantValue() == 0 && !allowzero) {
      if (x && k < x->size()) out[k] = (*x)[k];
    } else if (d && d->IsConstant() && d->ConstantValue() == -1) {
      infer = static_cast<int>(k);
    } else {
      out[k] = d;
    }
  }
  if (infer >= 0 && x) {
    SymDim total = ShapeProduct(*x);
    SymDim known = ShapeProduct(out, 0, static_cast<size_t>(infer));
    SymDim rest = ShapeProduct(out, static_cast<size_t>(infer) + 1);
    if (total && known && rest) {
      if (auto q = total->DivExact(*known * *rest)) out[static_cast<size_t>(infer)] = *q;
    }
  }
  Set(0, T(0), out);
}

void Rules::Slice() {
  auto x = S(0);
  if (!x) return;
  auto starts = SymElements(g_, n_.inputs.size() > 1 ? n_.inputs[1] : -1);
  auto ends = SymElements(g_, n_.inputs.size() > 2 ? n_.inputs[2] : -1);
  SymShape out = *x;
  if (!starts || !ends || starts->size() != ends->size()) {
    for (auto& d : out) d.reset();
    Set(0, T(0), out);
    return;
  }
  std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
  for (size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<int64_t>(k);
  if (n_.inputs.size() > 3 && n_.inputs[3] >= 0) {
    auto a = ConstInts(g_, n_.inputs[3]);
    if (!a || a->size() != axes.size()) return;
    axes = *a;
  }
  if (n_.inputs.size() > 4 && n_.inputs[4] >= 0) {
    auto s = ConstInts(g_, n_.inputs[4]);
    if (!s || s->size() != steps.size()) return;
    steps = *s;
  }
  constexpr int64_t kBig = int64_t{1} << 40;  // "to the end" sentinels: INT64_MAX and friends
  for (size_t k = 0; k < axes.size(); ++k) {
    auto axis = Axis(axes[k], x->size());
    if (!axis) return;
    SymDim& d = out[static_cast<size_t>(*axis)];
    const SymDim& s = (*starts)[k];
    const SymDim& e = (*ends)[k];
    SymDim result;
    if (d && s && e && steps[k] == 1) {
      const bool s_const = s->IsConstant(), e_const = e->IsConstant();
      if (d->IsConstant() && s_const && e_const) {
        const int64_t dim = d->ConstantValue();
        auto norm = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + dim : v, 0, dim); };
        result = SymExpr(std::max<int64_t>(0, norm(e->ConstantValue()) - norm(s->ConstantValue())));
      } else if (s_const && s->ConstantValue() >= 0) {
        // Start at a fixed offset from the front; the end is the full extent, a symbol (assumed within bounds: e.g.
        // position ids sliced to the sequence length) or a negative offset from the end.
        SymDim end;
        if (e_const && e->ConstantValue() >= kBig)
          end = *d;
        else if (e_const && e->ConstantValue() < 0)
          end = *d + *e;
        else if (!e_const)
          end = *e;
        else if (e->ConstantValue() <= 1)
          end = *e;  // symbols are >= 1, so min(e, d) = e
        if (end) result = *end - *s;
      } else if (s_const && s->ConstantValue() < 0 && e_const && e->ConstantValue() >= kBig) {
        result = SymExpr(-s->ConstantValue());  // the last |s| elements (assumes d >= |s|)
      }
    }
    d = result;
  }
  Set(0, T(0), out);
}

void Rules::Reduce() {
  auto x = S(0);
  if (!x) return;
  auto axes = Axes(1);
  const bool keep = AttrInt(n_, "keepdims", 1) != 0;
  std::vector<bool> reduce(x->size(), !axes || axes->empty());
  if (axes) {
    for (int64_t a : *axes) {
      auto k = Axis(a, x->size());
      if (!k) return;
      reduce[static_cast<size_t>(*k)] = true;
    }
  }
  SymShape out;
  for (size_t k = 0; k < x->size(); ++k) {
    if (!reduce[k])
      out.push_back((*x)[k]);
    else if (keep)
      out.push_back(SymExpr(1));
  }
  Set(0, T(0), out);
}

void Rules::Contrib() {
  const std::string& op = n_.op_type;
  auto x = S(0);
  if (op == "SkipLayerNormalization" || op == "SkipSimplifiedLayerNormalization") {
    Set(0, T(0), x);
    Set(3, T(0), x);
  } else if (op == "EmbedLayerNormalization") {
    auto table = S(2);
    if (x && table && table->size() == 2) {
      SymShape out = *x;
      out.push_back((*table)[1]);
      Set(0, onnx::TensorProto::FLOAT, out);
      Set(2, onnx::TensorProto::FLOAT, out);
      Set(1, onnx::TensorProto::INT32, SymShape{(*x)[0]});
    }
  } else if (op == "Attention") {
    auto w = S(1);
    if (x && w && x->size() == 3 && w->size() == 2 && (*w)[1]) {
      SymShape out = *x;
      out[2] = (*w)[1]->DivExact(SymExpr(3));  // q, k, v hidden sizes equal (qkv_hidden_sizes not supported)
      Set(0, T(0), out);
    }
  } else if (op == "MultiHeadAttention") {
    Set(0, T(0), x);
  } else if (kSameShapeOps.count(op)) {
    Set(0, T(0), x);
  }
}

void Rules::Run() {
  const std::string& op = n_.op_type;
  if (!n_.domain.empty()) {
    if (n_.domain == "com.microsoft") Contrib();
    return;
  }
  if (op == "Constant") return;
  if (kSameShapeOps.count(op)) {
    int32_t type = T(0);
    if (kBoolOps.count(op)) type = onnx::TensorProto::BOOL;
    if (op == "Cast") type = static_cast<int32_t>(AttrInt(n_, "to", 0));
    Set(0, type, S(0));
    if (op == "Dropout") Set(1, onnx::TensorProto::BOOL, S(0));
    return;
  }
  if (kBroadcastOps.count(op)) {
    std::optional<SymShape> out = S(0);
    for (size_t k = 1; k < n_.inputs.size() && out; ++k) {
      auto s = S(k);
      out = s ? BroadcastSym(*out, *s) : std::nullopt;
    }
    int32_t type = op == "Where" ? T(1) : T(0);
    if (kBoolOps.count(op)) type = onnx::TensorProto::BOOL;
    Set(0, type, out);
    return;
  }
  if (op == "Shape") {
    auto x = S(0);
    if (!x) return;
    const auto rank = static_cast<int64_t>(x->size());
    int64_t start = AttrInt(n_, "start", 0), end = AttrInt(n_, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    Set(0, onnx::TensorProto::INT64, SymShape{SymExpr(std::max<int64_t>(0, end - start))});
    return;
  }
  if (op == "Size") return Set(0, onnx::TensorProto::INT64, SymShape{});
  if (op == "Reshape") return Reshape();
  if (op == "Slice") return Slice();
  if (op.rfind("Reduce", 0) == 0) return Reduce();
  auto x = S(0);
  if (op == "Flatten") {
    if (!x) return;
    int64_t axis = AttrInt(n_, "axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(x->size());
    if (axis < 0 || axis > static_cast<int64_t>(x->size())) return;
    Set(0, T(0), SymShape{ShapeProduct(*x, 0, static_cast<size_t>(axis)), ShapeProduct(*x, static_cast<size_t>(axis))});
    return;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto axes = Axes(1);
    if (!x) return;
    SymShape out = *x;
    if (op == "Unsqueeze") {
      if (!axes) return;
      std::vector<int64_t> norm;
      for (int64_t a : *axes) {
        auto k = Axis(a, x->size() + axes->size());
        if (!k) return;
        norm.push_back(*k);
      }
      std::sort(norm.begin(), norm.end());
      for (int64_t k : norm) out.insert(out.begin() + k, SymDim(SymExpr(1)));
    } else {
      out.clear();
      for (size_t k = 0; k < x->size(); ++k) {
        bool drop = false;
        if (axes) {
          for (int64_t a : *axes) drop |= Axis(a, x->size()) == static_cast<int64_t>(k);
        } else {
          drop = (*x)[k] && *(*x)[k] == SymExpr(1);
        }
        if (!drop) out.push_back((*x)[k]);
      }
    }
    Set(0, T(0), out);
    return;
  }
  if (op == "Transpose") {
    if (!x) return;
    std::vector<int64_t> perm(x->size());
    for (size_t k = 0; k < perm.size(); ++k) perm[k] = static_cast<int64_t>(perm.size() - 1 - k);
    if (auto p = AttrInts(n_, "perm")) perm = *p;
    if (perm.size() != x->size()) return;
    SymShape out;
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(x->size())) return;
      out.push_back((*x)[static_cast<size_t>(p)]);
    }
    Set(0, T(0), out);
    return;
  }
  if (op == "Concat") {
    if (!x) return;
    auto axis = Axis(AttrInt(n_, "axis", 0), x->size());
    if (!axis) return;
    SymShape out = *x;
    SymDim total = SymExpr(0);
    for (size_t k = 0; k < n_.inputs.size(); ++k) {
      auto s = S(k);
      if (!s || s->size() != x->size()) return;
      const SymDim& d = (*s)[static_cast<size_t>(*axis)];
      total = total && d ? SymDim(*total + *d) : std::nullopt;
    }
    out[static_cast<size_t>(*axis)] = total;
    Set(0, T(0), out);
    return;
  }
  if (op == "Gather") {
    auto idx = S(1);
    if (!x || !idx) return;
    auto axis = Axis(AttrInt(n_, "axis", 0), x->size());
    if (!axis) return;
    SymShape out(x->begin(), x->begin() + *axis);
    out.insert(out.end(), idx->begin(), idx->end());
    out.insert(out.end(), x->begin() + *axis + 1, x->end());
    Set(0, T(0), out);
    return;
  }
  if (op == "GatherElements") return Set(0, T(0), S(1));
  if (op == "GatherND") {
    auto idx = S(1);
    if (!x || !idx || idx->empty() || !idx->back() || !idx->back()->IsConstant()) return;
    const int64_t depth = idx->back()->ConstantValue();
    if (AttrInt(n_, "batch_dims", 0) != 0 || depth > static_cast<int64_t>(x->size())) return;
    SymShape out(idx->begin(), idx->end() - 1);
    out.insert(out.end(), x->begin() + depth, x->end());
    Set(0, T(0), out);
    return;
  }
  if (op == "Expand") {
    auto target = SymElements(g_, n_.inputs.size() > 1 ? n_.inputs[1] : -1);
    if (!x || !target) return;
    Set(0, T(0), BroadcastSym(*x, *target));
    return;
  }
  if (op == "Tile") {
    auto reps = SymElements(g_, n_.inputs.size() > 1 ? n_.inputs[1] : -1);
    if (!x || !reps || reps->size() != x->size()) return;
    SymShape out = *x;
    for (size_t k = 0; k < out.size(); ++k)
      out[k] = out[k] && (*reps)[k] ? SymDim(*out[k] * *(*reps)[k]) : std::nullopt;
    Set(0, T(0), out);
    return;
  }
  if (op == "ConstantOfShape") {
    auto target = SymElements(g_, n_.inputs.empty() ? -1 : n_.inputs[0]);
    int32_t type = onnx::TensorProto::FLOAT;
    if (const onnx::AttributeProto* a = FindAttr(n_, "value")) type = a->t().data_type();
    if (target)
      Set(0, type, SymShape(target->begin(), target->end()));
    else
      Set(0, type, std::nullopt);
    return;
  }
  if (op == "Range") {
    auto s = SymElements(g_, n_.inputs.empty() ? -1 : n_.inputs[0]);
    auto l = SymElements(g_, n_.inputs.size() > 1 ? n_.inputs[1] : -1);
    auto d = SymElements(g_, n_.inputs.size() > 2 ? n_.inputs[2] : -1);
    SymDim len;
    if (s && l && d && s->size() == 1 && l->size() == 1 && d->size() == 1 && (*s)[0] && (*l)[0] && (*d)[0] &&
        *(*d)[0] == SymExpr(1)) {
      len = *(*l)[0] - *(*s)[0];
    }
    Set(0, T(0), SymShape{len});
    return;
  }
  if (op == "MatMul") {
    auto a = S(0), b = S(1);
    if (!a || !b || a->size() < 2 || b->size() < 2) return;
    SymShape batch_a(a->begin(), a->end() - 2), batch_b(b->begin(), b->end() - 2);
    auto batch = BroadcastSym(batch_a, batch_b);
    if (!batch) return;
    batch->push_back((*a)[a->size() - 2]);
    batch->push_back(b->back());
    Set(0, T(0), batch);
    return;
  }
  if (op == "Gemm") {
    auto a = S(0), b = S(1);
    if (!a || !b || a->size() != 2 || b->size() != 2) return;
    const bool ta = AttrInt(n_, "transA", 0) != 0, tb = AttrInt(n_, "transB", 0) != 0;
    Set(0, T(0), SymShape{(*a)[ta ? 1 : 0], (*b)[tb ? 0 : 1]});
    return;
  }
  if (op == "LayerNormalization") {
    Set(0, T(0), x);
    if (x) {
      auto axis = Axis(AttrInt(n_, "axis", -1), x->size());
      if (!axis) return;
      SymShape stats = *x;
      for (size_t k = static_cast<size_t>(*axis); k < stats.size(); ++k) stats[k] = SymExpr(1);
      Set(1, onnx::TensorProto::FLOAT, stats);
      Set(2, onnx::TensorProto::FLOAT, stats);
    }
    return;
  }
  if (op == "Conv") {
    auto w = S(1);
    if (!x || !w || x->size() != 4 || w->size() != 4) return;
    auto k = AttrInts(n_, "kernel_shape"), st = AttrInts(n_, "strides"), pads = AttrInts(n_, "pads");
    auto dil = AttrInts(n_, "dilations");
    SymShape out{(*x)[0], (*w)[0], std::nullopt, std::nullopt};
    for (size_t a = 0; a < 2; ++a) {
      const SymDim& in = (*x)[2 + a];
      const SymDim& kw = (*w)[2 + a];
      if (!in || !kw || !in->IsConstant() || !kw->IsConstant()) continue;
      const int64_t stride = st && st->size() == 2 ? (*st)[a] : 1;
      const int64_t pad = pads && pads->size() == 4 ? (*pads)[a] + (*pads)[a + 2] : 0;
      const int64_t d = dil && dil->size() == 2 ? (*dil)[a] : 1;
      const int64_t kern = k && k->size() == 2 ? (*k)[a] : kw->ConstantValue();
      if (stride <= 0) continue;
      out[2 + a] = SymExpr((in->ConstantValue() + pad - d * (kern - 1) - 1) / stride + 1);
    }
    Set(0, T(0), out);
    return;
  }
  if (op == "Split") {
    if (!x) return;
    auto axis = Axis(AttrInt(n_, "axis", 0), x->size());
    if (!axis) return;
    auto sizes = AttrInts(n_, "split");
    if (!sizes && n_.inputs.size() > 1 && n_.inputs[1] >= 0) sizes = ConstInts(g_, n_.inputs[1]);
    for (size_t k = 0; k < n_.outputs.size(); ++k) {
      SymShape out = *x;
      const SymDim& d = (*x)[static_cast<size_t>(*axis)];
      if (sizes && sizes->size() == n_.outputs.size())
        out[static_cast<size_t>(*axis)] = SymExpr((*sizes)[k]);
      else if (d)
        out[static_cast<size_t>(*axis)] = d->DivExact(SymExpr(static_cast<int64_t>(n_.outputs.size())));
      Set(k, T(0), out);
    }
  }
}

}  // namespace

void InferShapes(WGraph& graph, int node) {
  if (graph.nodes[static_cast<size_t>(node)].canonical) return;
  Rules(graph, node).Run();
}

}  // namespace qc::onnx_import
