// GELU: the erf and tanh formulas in any association, recognised by their polynomial argument and the product
// 0.5 * x * (1 + f(.)), plus the native opset-20 Gelu.
#include <array>
#include <cmath>

#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752;
constexpr double kSqrt2OverPi = 0.79788456080286536;
constexpr double kTanhCubic = 0.044715 * kSqrt2OverPi;

using Poly = std::array<double, 5>;  // coefficients of x^0 .. x^4

std::optional<Poly> Multiply(const Poly& a, const Poly& b) {
  Poly out{};
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < b.size(); ++j) {
      if (a[i] == 0 || b[j] == 0) continue;
      if (i + j >= out.size()) return std::nullopt;
      out[i + j] += a[i] * b[j];
    }
  }
  return out;
}

// The polynomial in one activation `*x` that `v` computes through single-use Add/Sub/Mul/Div-by-constant/Pow/Neg
// nodes; leaves are scalar constants and `*x` (set by the first activation met).
std::optional<Poly> PolyOf(const WGraph& g, int v, bool root, int* x, std::vector<int>* nodes, int depth) {
  Poly p{};
  if (auto c = ScalarOf(g, v)) {
    p[0] = *c;
    return p;
  }
  const WValue& val = g.values[static_cast<size_t>(v)];
  const int prod = val.producer;
  const bool expandable = depth < 10 && prod >= 0 && (root || SingleUse(g, v)) && v != *x;
  const WNode* n = expandable ? &g.nodes[static_cast<size_t>(prod)] : nullptr;
  const std::string op = n && n->domain.empty() ? n->op_type : "";
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Neg") {
    std::optional<Poly> a = PolyOf(g, n->inputs[0], false, x, nodes, depth + 1);
    if (!a) return std::nullopt;
    std::optional<Poly> out;
    if (op == "Neg") {
      for (double& c : *a) c = -c;
      out = a;
    } else if (op == "Pow") {
      auto e = ScalarOf(g, n->inputs[1]);
      if (!e || (*e != 2.0 && *e != 3.0)) return std::nullopt;
      out = a;
      for (int k = 1; k < static_cast<int>(*e) && out; ++k) out = Multiply(*out, *a);
    } else if (op == "Div") {
      auto d = ScalarOf(g, n->inputs[1]);
      if (!d || *d == 0) return std::nullopt;
      for (double& c : *a) c /= *d;
      out = a;
    } else {
      std::optional<Poly> b = PolyOf(g, n->inputs[1], false, x, nodes, depth + 1);
      if (!b) return std::nullopt;
      if (op == "Mul") {
        out = Multiply(*a, *b);
      } else {
        out = Poly{};
        for (size_t k = 0; k < out->size(); ++k) (*out)[k] = (*a)[k] + (op == "Add" ? (*b)[k] : -(*b)[k]);
      }
    }
    if (out) nodes->push_back(prod);
    return out;
  }
  if (val.dtype != onnx::TensorProto::FLOAT) return std::nullopt;
  if (*x < 0) *x = v;
  if (v != *x) return std::nullopt;
  p[1] = 1;
  return p;
}

// Leaves of the Mul tree rooted at `v` (single-use Mul nodes are expanded; `a` and `x` are leaves).
void MulLeaves(const WGraph& g, int v, bool root, int a, int x, std::vector<int>* leaves, std::vector<int>* nodes) {
  int id = -1;
  const WNode* m = v == a || v == x ? nullptr : Producer(g, v, "Mul", &id);
  if (m && (root || SingleUse(g, v))) {
    nodes->push_back(id);
    MulLeaves(g, m->inputs[0], false, a, x, leaves, nodes);
    MulLeaves(g, m->inputs[1], false, a, x, leaves, nodes);
    return;
  }
  leaves->push_back(v);
}

struct GeluMatch {
  int x = -1, out = -1;
  ir::GeluApproximation approximation = ir::GeluApproximation::kNone;
  std::vector<int> nodes;
};

// f(x) = Erf(x / sqrt 2) or Tanh(sqrt(2/pi) * (x + 0.044715 x^3));  Add(f, 1) -> a;  0.5 * x * a  =>  Gelu(x)
std::optional<GeluMatch> MatchFormula(const WGraph& g, int anchor, std::string* why) {
  const WNode& f = g.nodes[static_cast<size_t>(anchor)];
  GeluMatch m;
  m.approximation = f.op_type == "Erf" ? ir::GeluApproximation::kNone : ir::GeluApproximation::kTanh;
  std::vector<int> nodes{anchor};
  std::optional<Poly> p = PolyOf(g, f.inputs[0], true, &m.x, &nodes, 0);
  if (!p || m.x < 0) return std::nullopt;
  const Poly want = m.approximation == ir::GeluApproximation::kNone ? Poly{0, kInvSqrt2, 0, 0, 0}
                                                                    : Poly{0, kSqrt2OverPi, 0, kTanhCubic, 0};
  for (size_t k = 0; k < want.size(); ++k) {
    if (want[k] == 0 ? std::fabs((*p)[k]) > 1e-9 : !Near((*p)[k], want[k], 2e-5)) {
      if (f.op_type == "Erf") *why = "Erf: its argument is not x / sqrt(2), so this is not a GELU";
      return std::nullopt;
    }
  }
  int id = -1;
  const WNode* add = SoleConsumer(g, f.outputs[0], "Add", &id);
  if (!add || ScalarOf(g, OtherOperand(*add, f.outputs[0])) != 1.0) {
    if (f.op_type == "Erf") *why = "Erf: not followed by Add(1) as in GELU";
    return std::nullopt;
  }
  nodes.push_back(id);
  const int a = add->outputs[0];
  // Walk up the Mul chain above `a` until its leaves are exactly {x, a, constants with product 0.5}.
  int cur = -1;
  const WNode* mul = SoleConsumer(g, a, "Mul", &cur);
  for (int step = 0; mul != nullptr && step < 3; ++step) {
    std::vector<int> leaves, mul_nodes;
    MulLeaves(g, mul->outputs[0], true, a, m.x, &leaves, &mul_nodes);
    double constant = 1;
    int seen_x = 0, seen_a = 0, other = 0;
    for (int leaf : leaves) {
      if (leaf == m.x)
        ++seen_x;
      else if (leaf == a)
        ++seen_a;
      else if (auto c = ScalarOf(g, leaf))
        constant *= *c;
      else
        ++other;
    }
    if (seen_x == 1 && seen_a == 1 && other == 0 && Near(constant, 0.5, 1e-6)) {
      nodes.insert(nodes.end(), mul_nodes.begin(), mul_nodes.end());
      m.out = mul->outputs[0];
      m.nodes = std::move(nodes);
      return m;
    }
    mul = SoleConsumer(g, mul->outputs[0], "Mul", &cur);
  }
  if (f.op_type == "Erf") *why = "Erf: the GELU product 0.5 * x * (1 + erf(.)) was not found";
  return std::nullopt;
}

}  // namespace

int FuseGelu(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int fused = 0;
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty()) continue;
    if (n.op_type == "Gelu") {
      // Gelu(x; approximate)  =>  Gelu(x; approximate)   (ai.onnx opset 20)
      const std::string approx = AttrString(n, "approximate", "none");
      if (approx != "none" && approx != "tanh") {
        n.note = "Gelu: unknown approximate='" + approx + "'";
        continue;
      }
      ir::Attributes attrs;
      attrs.Set(ir::AttrName::kApproximate,
                approx == "tanh" ? ir::GeluApproximation::kTanh : ir::GeluApproximation::kNone);
      g.AddCanonical(ir::OpType::kGelu, {n.inputs[0]}, {n.outputs[0]}, std::move(attrs), {id});
      ctx.report.Count("gelu");
      ++fused;
      continue;
    }
    if (n.op_type != "Erf" && n.op_type != "Tanh") continue;
    std::string why;
    std::optional<GeluMatch> m = MatchFormula(g, id, &why);
    if (!m) {
      if (!why.empty()) n.note = why;
      continue;
    }
    ir::Attributes attrs;
    attrs.Set(ir::AttrName::kApproximate, m->approximation);
    g.AddCanonical(ir::OpType::kGelu, {m->x}, {m->out}, std::move(attrs), m->nodes);
    ctx.report.Count("gelu");
    ++fused;
  }
  return fused;
}

}  // namespace qc::onnx_import
