// LayerNorm: the decomposed opset < 17 chain (incl. duplicated Sub and Reciprocal forms) and LayerNormalization.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

struct LnMatch {
  int x = -1, out = -1, gamma = -1, beta = -1;
  double epsilon = 0;
  std::vector<int> nodes;
};

// ReduceMean over the last axis only, keeping dims.
bool IsLastAxisMean(const WGraph& g, const WNode& n) {
  if (!n.domain.empty() || n.op_type != "ReduceMean" || AttrInt(n, "keepdims", 1) == 0) return false;
  std::optional<std::vector<int64_t>> axes = AttrInts(n, "axes");
  if (!axes && n.inputs.size() > 1) axes = ConstInts(g, n.inputs[1]);
  const int rank = RankOf(g, n.inputs[0]);
  return axes && axes->size() == 1 && ((*axes)[0] == -1 || (rank > 0 && (*axes)[0] == rank - 1));
}

// x -> ReduceMean(-1) -> Sub(x, mean) -> Pow(2)|Mul(d,d) -> ReduceMean(-1) -> Add(eps) -> Sqrt
//   -> Div(d, .)|Reciprocal+Mul -> [Mul(gamma)] -> [Add(beta)]   =>  LayerNorm(x, gamma, beta; epsilon)
std::optional<LnMatch> MatchDecomposed(const WGraph& g, int r1_id, std::string* why) {
  const WNode& r1 = g.nodes[static_cast<size_t>(r1_id)];
  if (!IsLastAxisMean(g, r1)) return std::nullopt;
  LnMatch m;
  m.x = r1.inputs[0];
  m.nodes.push_back(r1_id);
  const int mean = r1.outputs[0];
  if (g.IsGraphOutput(mean)) return std::nullopt;
  std::vector<int> diffs;
  for (int c : g.DataConsumers(mean)) {
    const WNode& sub = g.nodes[static_cast<size_t>(c)];
    if (!sub.domain.empty() || sub.op_type != "Sub" || sub.inputs[0] != m.x || sub.inputs[1] != mean)
      return std::nullopt;
    diffs.push_back(sub.outputs[0]);
    m.nodes.push_back(c);
  }
  if (diffs.empty() || diffs.size() > 2) return std::nullopt;
  auto is_diff = [&](int v) { return std::find(diffs.begin(), diffs.end(), v) != diffs.end(); };
  // Variance: Pow(d, 2) or Mul(d, d), then the mean over the last axis.
  int square = -1;
  for (int d : diffs) {
    for (int c : g.DataConsumers(d)) {
      const WNode& n = g.nodes[static_cast<size_t>(c)];
      if (!n.domain.empty()) continue;
      if (n.op_type == "Pow" && n.inputs[0] == d && ScalarOf(g, n.inputs[1]) == 2.0) square = c;
      if (n.op_type == "Mul" && n.inputs[0] == d && n.inputs[1] == d) square = c;
    }
  }
  if (square < 0) {
    *why = "LayerNorm: no Pow(x - mean, 2) after the mean";
    return std::nullopt;
  }
  m.nodes.push_back(square);
  int id = -1;
  const WNode* r2 = SoleConsumer(g, g.nodes[static_cast<size_t>(square)].outputs[0], "ReduceMean", &id);
  if (!r2 || !IsLastAxisMean(g, *r2)) {
    *why = "LayerNorm: the squared difference is not averaged over the last axis";
    return std::nullopt;
  }
  m.nodes.push_back(id);
  const WNode* add = SoleConsumer(g, r2->outputs[0], "Add", &id);
  if (!add) return std::nullopt;
  auto eps = ScalarOf(g, OtherOperand(*add, r2->outputs[0]));
  if (!eps || !(*eps > 0)) {
    *why = "LayerNorm: variance + epsilon has no positive constant epsilon";
    return std::nullopt;
  }
  m.epsilon = *eps;
  m.nodes.push_back(id);
  const WNode* sqrt = SoleConsumer(g, add->outputs[0], "Sqrt", &id);
  if (!sqrt) return std::nullopt;
  m.nodes.push_back(id);
  // Normalise: Div(d, sqrt) or Mul(d, Reciprocal(sqrt)).
  int normalized = -1, norm_node = -1;
  const int s = sqrt->outputs[0];
  if (const WNode* div = SoleConsumer(g, s, "Div", &id); div && div->inputs[1] == s && is_diff(div->inputs[0])) {
    normalized = div->outputs[0];
    norm_node = id;
  } else if (const WNode* rec = SoleConsumer(g, s, "Reciprocal", &id)) {
    m.nodes.push_back(id);
    int mul_id = -1;
    const WNode* mul = SoleConsumer(g, rec->outputs[0], "Mul", &mul_id);
    if (mul && is_diff(OtherOperand(*mul, rec->outputs[0]))) {
      normalized = mul->outputs[0];
      norm_node = mul_id;
    }
  }
  if (normalized < 0) {
    *why = "LayerNorm: (x - mean) is not divided by sqrt(variance + epsilon)";
    return std::nullopt;
  }
  m.nodes.push_back(norm_node);
  // Every difference feeds only the square and the normalisation.
  for (int d : diffs) {
    for (int c : g.DataConsumers(d)) {
      if (c != square && c != norm_node) return std::nullopt;
    }
    if (g.IsGraphOutput(d)) return std::nullopt;
  }
  auto width = StaticDim(g, m.x, -1);
  if (!width) {
    *why = "LayerNorm: the normalised (last) dimension is not static";
    return std::nullopt;
  }
  m.out = normalized;
  if (const WNode* mul = SoleConsumer(g, m.out, "Mul", &id);
      mul && IsVectorConstant(g, OtherOperand(*mul, m.out), *width)) {
    m.gamma = OtherOperand(*mul, m.out);
    m.out = mul->outputs[0];
    m.nodes.push_back(id);
  }
  if (const WNode* b = SoleConsumer(g, m.out, "Add", &id); b && IsVectorConstant(g, OtherOperand(*b, m.out), *width)) {
    m.beta = OtherOperand(*b, m.out);
    m.out = b->outputs[0];
    m.nodes.push_back(id);
  }
  return m;
}

// gamma / beta as [E] constants (ones / zeros when the export has none).
Expected<int> AffineParam(WGraph& g, int v, int64_t width, float fill, const std::string& name) {
  if (v < 0)
    return AddFloatConstant(g, g.UniqueName(name), {width}, std::vector<float>(static_cast<size_t>(width), fill));
  return ReshapedConstant(g, v, {width}, g.values[static_cast<size_t>(v)].name + ".flat");
}

Status Emit(PatternContext& ctx, const LnMatch& m, int64_t axis, int64_t width) {
  WGraph& g = ctx.g;
  const std::string scope = g.nodes[static_cast<size_t>(m.nodes.front())].name;
  QC_ASSIGN_OR_RETURN(int gamma, AffineParam(g, m.gamma, width, 1.0f, scope + ".gamma"));
  QC_ASSIGN_OR_RETURN(int beta, AffineParam(g, m.beta, width, 0.0f, scope + ".beta"));
  ir::Attributes attrs{{ir::AttrName::kEpsilon, m.epsilon}, {ir::AttrName::kAxis, axis}};
  g.AddCanonical(ir::OpType::kLayerNorm, {m.x, gamma, beta}, {m.out}, std::move(attrs), m.nodes);
  ctx.report.Count("layernorm");
  return Status::Ok();
}

// LayerNormalization(x, scale, bias; axis, epsilon) with unused Mean / InvStdDev outputs  =>  LayerNorm
std::optional<LnMatch> MatchNative(const WGraph& g, int id, int64_t* axis, int64_t* width, std::string* why) {
  const WNode& n = g.nodes[static_cast<size_t>(id)];
  for (size_t k = 1; k < n.outputs.size(); ++k) {
    if (n.outputs[k] >= 0 && (!g.Consumers(n.outputs[k]).empty() || g.IsGraphOutput(n.outputs[k]))) {
      *why = "LayerNormalization: the Mean / InvStdDev outputs are used";
      return std::nullopt;
    }
  }
  const int rank = RankOf(g, n.inputs[0]);
  int64_t a = AttrInt(n, "axis", -1);
  if (rank <= 0 || a < -rank || a >= rank) return std::nullopt;
  if (a < 0) a += rank;
  if (a != rank - 1) {
    *why = "LayerNormalization: only normalisation over the last axis is supported";
    return std::nullopt;
  }
  auto w = StaticDim(g, n.inputs[0], -1);
  if (!w || n.inputs.size() < 2 || !IsVectorConstant(g, n.inputs[1], *w)) {
    *why = "LayerNormalization: the scale is not a constant of the normalised size";
    return std::nullopt;
  }
  LnMatch m;
  m.x = n.inputs[0];
  m.gamma = n.inputs[1];
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    if (!IsVectorConstant(g, n.inputs[2], *w)) {
      *why = "LayerNormalization: the bias is not a constant of the normalised size";
      return std::nullopt;
    }
    m.beta = n.inputs[2];
  }
  m.epsilon = AttrFloat(n, "epsilon", 1e-5);
  m.out = n.outputs[0];
  m.nodes = {id};
  *axis = -1;
  *width = *w;
  return m;
}

}  // namespace

int FuseLayerNorm(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int fused = 0;
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty()) continue;
    std::string why;
    if (n.op_type == "ReduceMean") {
      std::optional<LnMatch> m = MatchDecomposed(g, id, &why);
      if (!m) {
        if (!why.empty()) n.note = why;
        continue;
      }
      Status s = Emit(ctx, *m, -1, *StaticDim(g, m->x, -1));
      if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
      fused += s.ok();
    } else if (n.op_type == "LayerNormalization") {
      int64_t axis = -1, width = 0;
      std::optional<LnMatch> m = MatchNative(g, id, &axis, &width, &why);
      if (!m) {
        if (!why.empty()) n.note = why;
        continue;
      }
      Status s = Emit(ctx, *m, axis, width);
      if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
      fused += s.ok();
    }
  }
  return fused;
}

}  // namespace qc::onnx_import
