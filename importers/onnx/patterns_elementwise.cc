// Classification heads (CLS selection) and the ops that map one to one: Tanh, Relu, Softmax, Add/Sub/Mul and
// division by a constant.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

// Gather(x[B, S, H], k; axis = 1)  =>  SelectToken(x; index = k)
// Slice(x, [k], [k + 1], [1]) -> Squeeze([1])  =>  SelectToken(x; index = k)
bool FuseSelectToken(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& n = g.nodes[static_cast<size_t>(id)];
  const int x = n.inputs[0];
  if (!IsFloatActivation(g, x) || RankOf(g, x) != 3) return false;
  std::optional<int64_t> index;
  std::vector<int> matched{id};
  int out = n.outputs[0];
  if (n.op_type == "Gather") {
    const ir::Tensor* idx = g.Constant(n.inputs[1]);
    if (AttrInt(n, "axis", 0) != 1 || idx == nullptr || !idx->dims().empty()) return false;
    index = ScalarOf(g, n.inputs[1]).value_or(-1);
  } else {
    auto starts = ConstInts(g, n.inputs[1]), ends = ConstInts(g, n.inputs[2]);
    std::optional<std::vector<int64_t>> axes = n.inputs.size() > 3 ? ConstInts(g, n.inputs[3]) : std::nullopt;
    std::optional<std::vector<int64_t>> steps =
        n.inputs.size() > 4 && n.inputs[4] >= 0 ? ConstInts(g, n.inputs[4]) : std::vector<int64_t>{1};
    if (!starts || !ends || !axes || !steps || starts->size() != 1 || ends->size() != 1 || (*steps)[0] != 1 ||
        ((*axes)[0] != 1 && (*axes)[0] != -2) || (*starts)[0] < 0 || (*ends)[0] != (*starts)[0] + 1) {
      return false;
    }
    int sq_id = -1;
    const WNode* sq = SoleConsumer(g, out, "Squeeze", &sq_id);
    if (!sq) return false;
    std::optional<std::vector<int64_t>> sq_axes = AttrInts(*sq, "axes");
    if (!sq_axes && sq->inputs.size() > 1) sq_axes = ConstInts(g, sq->inputs[1]);
    if (!sq_axes || sq_axes->size() != 1 || ((*sq_axes)[0] != 1 && (*sq_axes)[0] != -2)) return false;
    index = (*starts)[0];
    matched.push_back(sq_id);
    out = sq->outputs[0];
  }
  if (*index < 0) {
    auto s = StaticDim(g, x, 1);
    if (!s) return false;
    *index += *s;
  }
  if (*index < 0) return false;
  ir::Attributes attrs{{ir::AttrName::kIndex, *index}};
  g.AddCanonical(ir::OpType::kSelectToken, {x}, {out}, std::move(attrs), matched);
  ctx.report.Count("select_token");
  return true;
}

bool SameIntOrFloatTypes(const WGraph& g, int a, int b) {
  const int32_t ta = g.values[static_cast<size_t>(a)].dtype, tb = g.values[static_cast<size_t>(b)].dtype;
  return ta == tb &&
         (ta == onnx::TensorProto::FLOAT || ta == onnx::TensorProto::INT64 || ta == onnx::TensorProto::INT32);
}

// Add|Sub|Mul(a, b) on activations (either side may be constant)  =>  the same IR op
// Div(x, c constant)  =>  Mul(x, 1 / c)
Status MapElementwise(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& n = g.nodes[static_cast<size_t>(id)];
  if (n.inputs.size() != 2) return Status::Ok();
  const int a = n.inputs[0], b = n.inputs[1];
  const bool a_const = g.Constant(a) != nullptr, b_const = g.Constant(b) != nullptr;
  if (a_const && b_const) return Unsupported(n.op_type + ": both operands are constant but it was not folded");
  if (!SameIntOrFloatTypes(g, a, b)) {
    return Unsupported(n.op_type + ": operands must both be f32 (or both i64/i32) to map onto the IR");
  }
  if (n.op_type == "Div") {
    const ir::Tensor* c = g.Constant(b);
    if (c == nullptr || c->dtype() != ir::DType::kF32) {
      return Unsupported("Div: only division of an activation by an f32 constant is supported");
    }
    QC_ASSIGN_OR_RETURN(std::vector<float> values, c->ToVector<float>());
    for (float& v : values) v = 1.0f / v;
    const int recip = AddFloatConstant(g, g.UniqueName(g.values[static_cast<size_t>(b)].name + ".reciprocal"),
                                       c->dims(), std::move(values));
    g.AddCanonical(ir::OpType::kMul, {a, recip}, {n.outputs[0]}, {}, {id});
    ctx.Note("Div by a constant imported as Mul by its float32 reciprocal (may differ in the last bit)");
    ctx.report.Count("mul");
    return Status::Ok();
  }
  const ir::OpType op = n.op_type == "Add"   ? ir::OpType::kAdd
                        : n.op_type == "Sub" ? ir::OpType::kSub
                                             : ir::OpType::kMul;
  g.AddCanonical(op, {a, b}, {n.outputs[0]}, {}, {id});
  ctx.report.Count(n.op_type == "Add" ? "add" : n.op_type == "Sub" ? "sub" : "mul");
  return Status::Ok();
}

}  // namespace

int FuseHeadsAndElementwise(PatternContext& ctx) {
  WGraph& g = ctx.g;
  const size_t before = g.nodes.size();
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty()) continue;
    if (n.op_type == "Gather" || n.op_type == "Slice") FuseSelectToken(ctx, id);
  }
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty() || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty()) continue;
    const std::string op = n.op_type;
    if (op == "Tanh" || op == "Relu") {
      if (!IsFloatActivation(g, n.inputs[0])) continue;
      g.AddCanonical(op == "Tanh" ? ir::OpType::kTanh : ir::OpType::kRelu, {n.inputs[0]}, {n.outputs[0]}, {}, {id});
      ctx.report.Count(op == "Tanh" ? "tanh" : "relu");
    } else if (op == "Softmax") {
      const int rank = RankOf(g, n.inputs[0]);
      int64_t axis = AttrInt(n, "axis", g.opset >= 13 ? -1 : 1);
      if (axis < 0) axis += rank;
      // Before opset 13 Softmax flattens to 2-D at `axis`; that equals a softmax over `axis` only for the last axis.
      if (rank <= 0 || !IsFloatActivation(g, n.inputs[0]) || (g.opset < 13 && axis != rank - 1)) {
        n.note = "Softmax: only a softmax over one axis of an f32 activation is supported";
        continue;
      }
      ir::Attributes attrs{{ir::AttrName::kAxis, axis == rank - 1 ? int64_t{-1} : axis}};
      g.AddCanonical(ir::OpType::kSoftmax, {n.inputs[0]}, {n.outputs[0]}, std::move(attrs), {id});
      ctx.report.Count("softmax");
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      Status s = MapElementwise(ctx, id);
      if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
    }
  }
  return static_cast<int>(g.nodes.size() - before);
}

}  // namespace qc::onnx_import
