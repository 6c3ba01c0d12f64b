// Sentence-embedding heads (sentence-transformers style): masked / plain mean pooling over the sequence and L2
// normalisation.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"
#include "importers/onnx/probe.h"

namespace qc::onnx_import {
namespace {

// A Reduce* node over exactly `axis` (of a rank-`rank` input) with the given keepdims.
bool ReducesAxis(const WGraph& g, const WNode& n, int64_t axis, int rank, bool keepdims) {
  if (AttrInt(n, "keepdims", 1) != (keepdims ? 1 : 0)) return false;
  std::optional<std::vector<int64_t>> axes = AttrInts(n, "axes");
  if (!axes && n.inputs.size() > 1) axes = ConstInts(g, n.inputs[1]);
  if (!axes || axes->size() != 1) return false;
  const int64_t a = (*axes)[0] < 0 ? (*axes)[0] + rank : (*axes)[0];
  return a == axis;
}

// The lower bound of Clip(v, min) or Max(v, c) (a positive constant), or nullopt; *inner = v.
std::optional<double> LowerClamp(const WGraph& g, int value, int* inner, int* node) {
  int id = -1;
  if (const WNode* clip = Producer(g, value, "Clip", &id)) {
    if (clip->inputs.size() < 2 || (clip->inputs.size() > 2 && clip->inputs[2] >= 0)) return std::nullopt;
    auto lo = ScalarOf(g, clip->inputs[1]);
    if (!lo || !(*lo > 0)) return std::nullopt;
    *inner = clip->inputs[0];
    *node = id;
    return lo;
  }
  if (const WNode* max = Producer(g, value, "Max", &id); max && max->inputs.size() == 2) {
    for (int side = 0; side < 2; ++side) {
      auto lo = ScalarOf(g, max->inputs[static_cast<size_t>(side)]);
      if (lo && *lo > 0) {
        *inner = max->inputs[static_cast<size_t>(1 - side)];
        *node = id;
        return lo;
      }
    }
  }
  return std::nullopt;
}

// Div(ReduceSum(Mul(x, M), 1), Clip(ReduceSum(M, 1), min > 0)), M = mask broadcast over x  =>  MeanPool(x, mask)
// (any positive clamp gives the IR's result: it only matters when the mask sum, and so the numerator, is 0)
Status FuseMaskedMean(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& div = g.nodes[static_cast<size_t>(id)];
  int num_id = -1, mul_id = -1, den_inner = -1, clamp_id = -1, den_id = -1;
  const WNode* num = Producer(g, div.inputs[0], "ReduceSum", &num_id);
  if (!num || !SingleUse(g, div.inputs[0])) return Status::Ok();
  const WNode* mul = Producer(g, num->inputs[0], "Mul", &mul_id);
  if (!mul || !SingleUse(g, num->inputs[0])) return Status::Ok();
  int x = mul->inputs[0], m = mul->inputs[1];
  if (RankOf(g, m) == 3 && RankOf(g, x) == 3 && g.values[static_cast<size_t>(x)].producer >= 0 &&
      ProbeDataInputs(g, x).has_value()) {
    std::swap(x, m);  // the activation is the operand that probes cannot evaluate
  }
  if (!IsFloatActivation(g, x) || RankOf(g, x) != 3 || !ReducesAxis(g, *num, 1, 3, false)) return Status::Ok();
  if (!LowerClamp(g, div.inputs[1], &den_inner, &clamp_id)) return Status::Ok();
  const WNode* den = Producer(g, den_inner, "ReduceSum", &den_id);
  if (!den || den->inputs[0] != m || !ReducesAxis(g, *den, 1, 3, false)) return Status::Ok();
  std::string why;
  std::optional<int> mask = ClassifyExpandedMask(g, m, x, &why);
  if (!mask) return Unsupported("mean pooling: the weights are not the attention mask: " + why);
  g.AddCanonical(ir::OpType::kMeanPool, {x, *mask}, {div.outputs[0]}, {}, {id, num_id, mul_id, den_id, clamp_id});
  ctx.report.Count("mean_pool");
  return Status::Ok();
}

// Div(x, [Expand](Clip(ReduceL2(x, axis, keepdims), min = eps)))  =>  L2Normalize(x; axis, epsilon = eps)
bool FuseL2Normalize(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& div = g.nodes[static_cast<size_t>(id)];
  const int x = div.inputs[0];
  const int rank = RankOf(g, x);
  if (!IsFloatActivation(g, x) || rank <= 0) return false;
  std::vector<int> matched{id};
  int d = div.inputs[1], e_id = -1;
  if (const WNode* expand = Producer(g, d, "Expand", &e_id)) {
    const SymShape *es = ShapeOf(g, d), *xs = ShapeOf(g, x);
    if (!SingleUse(g, d) || !es || !xs || !SameShape(*es, *xs)) return false;
    matched.push_back(e_id);
    d = expand->inputs[0];
  }
  int norm = -1, clamp_id = -1, l2_id = -1;
  const std::optional<double> eps = LowerClamp(g, d, &norm, &clamp_id);
  if (!eps || !SingleUse(g, d)) return false;
  const WNode* l2 = Producer(g, norm, "ReduceL2", &l2_id);
  if (!l2 || l2->inputs[0] != x || !SingleUse(g, norm)) return false;
  int64_t axis = -1;
  for (int64_t a = 0; a < rank; ++a) {
    if (ReducesAxis(g, *l2, a, rank, true)) axis = a;
  }
  if (axis < 0) return false;
  matched.insert(matched.end(), {clamp_id, l2_id});
  ir::Attributes attrs{{ir::AttrName::kAxis, axis == rank - 1 ? int64_t{-1} : axis}, {ir::AttrName::kEpsilon, *eps}};
  g.AddCanonical(ir::OpType::kL2Normalize, {x}, {div.outputs[0]}, std::move(attrs), matched);
  ctx.report.Count("l2_normalize");
  return true;
}

}  // namespace

int FusePooling(PatternContext& ctx) {
  WGraph& g = ctx.g;
  const size_t before = g.nodes.size();
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty()) continue;
    if (n.op_type == "Div") {
      Status s = FuseMaskedMean(ctx, id);
      if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
    } else if (n.op_type == "ReduceMean" && RankOf(g, n.inputs[0]) == 3 && IsFloatActivation(g, n.inputs[0]) &&
               ReducesAxis(g, n, 1, 3, false)) {
      // ReduceMean(x[B, S, H], axes = [1], keepdims = 0)  =>  MeanPool(x)
      g.AddCanonical(ir::OpType::kMeanPool, {n.inputs[0]}, {n.outputs[0]}, {}, {id});
      ctx.report.Count("mean_pool");
    }
  }
  // L2 normalisation usually follows the pooling, so it runs once the pooled value is canonical.
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (!n.erased && n.domain.empty() && n.op_type == "Div") FuseL2Normalize(ctx, id);
  }
  return static_cast<int>(g.nodes.size() - before);
}

}  // namespace qc::onnx_import
