// ViT front end: Conv patch embedding, the CLS token, and the learned position table.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

bool AllEqual(const std::optional<std::vector<int64_t>>& v, size_t size, int64_t value) {
  if (!v) return true;  // absent attribute: the default (checked by the caller where it matters)
  if (v->size() != size) return false;
  for (int64_t x : *v) {
    if (x != value) return false;
  }
  return true;
}

// Conv(pixels, W[D, C, p, p], b; kernel = stride = p, no padding) -> Reshape([B, D, N]) -> Transpose(0, 2, 1)
//   =>  PatchEmbed(pixels, W, b; patch = p)
Status FusePatchEmbed(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& conv = g.nodes[static_cast<size_t>(id)];
  const ir::Tensor* w = g.Constant(conv.inputs[1]);
  if (!IsFloatActivation(g, conv.inputs[0]) || RankOf(g, conv.inputs[0]) != 4 || w == nullptr ||
      w->dims().size() != 4 || w->dtype() != ir::DType::kF32 || w->dims()[2] != w->dims()[3]) {
    return Unsupported("Conv: only a patch embedding (4-D input, square constant f32 kernel) is supported");
  }
  const int64_t p = w->dims()[2], d = w->dims()[0];
  const int bias = conv.inputs.size() > 2 ? conv.inputs[2] : -1;
  const std::string pad = AttrString(conv, "auto_pad", "NOTSET");
  if (!AllEqual(AttrInts(conv, "kernel_shape"), 2, p) || AttrInts(conv, "strides") != std::vector<int64_t>{p, p} ||
      !AllEqual(AttrInts(conv, "pads"), 4, 0) || !AllEqual(AttrInts(conv, "dilations"), 2, 1) ||
      AttrInt(conv, "group", 1) != 1 || (pad != "NOTSET" && pad != "VALID") ||
      (bias >= 0 && !IsVectorConstant(g, bias, d))) {
    return Unsupported("Conv: not a patch embedding (needs kernel = stride, no padding, no dilation, one group)");
  }
  int r_id = -1, t_id = -1;
  const WNode* r = SoleConsumer(g, conv.outputs[0], "Reshape", &r_id);
  const SymShape *cs = ShapeOf(g, conv.outputs[0]), *rs = r ? ShapeOf(g, r->outputs[0]) : nullptr;
  const SymDim grid = cs && cs->size() == 4 ? ShapeProduct(*cs, 2) : std::nullopt;
  if (!r || !rs || rs->size() != 3 || !grid || !(*rs)[0] || !(*cs)[0] || *(*rs)[0] != *(*cs)[0] || !(*rs)[1] ||
      *(*rs)[1] != SymExpr(d) || !(*rs)[2] || *(*rs)[2] != *grid) {
    return Unsupported("Conv: the patch grid is not flattened to [B, D, patches]");
  }
  const WNode* t = SoleConsumer(g, r->outputs[0], "Transpose", &t_id);
  if (!t || AttrInts(*t, "perm") != std::vector<int64_t>{0, 2, 1}) {
    return Unsupported("Conv: the flattened patches are not transposed to [B, patches, D]");
  }
  std::vector<int> inputs{conv.inputs[0], conv.inputs[1]};
  if (bias >= 0) {
    QC_ASSIGN_OR_RETURN(int flat, ReshapedConstant(g, bias, {d}, g.values[static_cast<size_t>(bias)].name + ".flat"));
    inputs.push_back(flat);
  }
  ir::Attributes attrs{{ir::AttrName::kPatch, p}};
  g.AddCanonical(ir::OpType::kPatchEmbed, std::move(inputs), {t->outputs[0]}, std::move(attrs), {id, r_id, t_id});
  ctx.report.Count("patch_embed");
  return Status::Ok();
}

// Concat(Expand(cls[1, 1, D], [B, 1, D]), x[B, N, D]; axis = 1)  =>  PrependToken(x, cls)
bool FusePrependToken(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& cat = g.nodes[static_cast<size_t>(id)];
  if (cat.inputs.size() != 2 || RankOf(g, cat.outputs[0]) != 3) return false;
  int64_t axis = AttrInt(cat, "axis", 0);
  if (axis < 0) axis += 3;
  if (axis != 1) return false;
  const int x = cat.inputs[1];
  int e_id = -1;
  const WNode* expand = Producer(g, cat.inputs[0], "Expand", &e_id);
  const int token = expand ? expand->inputs[0] : cat.inputs[0];
  const ir::Tensor* tok = g.Constant(token);
  const SymShape* xs = ShapeOf(g, x);
  if (!IsFloatActivation(g, x) || !xs || xs->size() != 3 || tok == nullptr || tok->dtype() != ir::DType::kF32 ||
      tok->dims().size() != 3 || tok->dims()[0] != 1 || tok->dims()[1] != 1 || !(*xs)[2] ||
      *(*xs)[2] != SymExpr(tok->dims()[2])) {
    return false;
  }
  std::vector<int> matched{id};
  if (expand) {
    const SymShape* es = ShapeOf(g, expand->outputs[0]);
    if (!SingleUse(g, cat.inputs[0]) || !es || es->size() != 3 || !(*es)[0] || !(*xs)[0] || *(*es)[0] != *(*xs)[0] ||
        !(*es)[1] || *(*es)[1] != SymExpr(1)) {
      return false;
    }
    matched.push_back(e_id);
  } else if (!(*xs)[0] || *(*xs)[0] != SymExpr(1)) {
    return false;  // without an Expand the token only lines up with a batch of one
  }
  g.AddCanonical(ir::OpType::kPrependToken, {x, token}, {cat.outputs[0]}, {}, matched);
  ctx.report.Count("prepend_token");
  return true;
}

// Add(x[B, S, E] from PatchEmbed / PrependToken, P[1, S, E] constant)  =>  AddPositionEmbedding(x, P[S, E]; offset 0)
Status FusePositionAdd(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& add = g.nodes[static_cast<size_t>(id)];
  if (add.inputs.size() != 2) return Status::Ok();
  for (int side = 0; side < 2; ++side) {
    const int x = add.inputs[static_cast<size_t>(side)], table = add.inputs[static_cast<size_t>(1 - side)];
    const int p = g.values[static_cast<size_t>(x)].producer;
    if (p < 0 || !g.nodes[static_cast<size_t>(p)].canonical) continue;
    const ir::OpType op = g.nodes[static_cast<size_t>(p)].ir_op;
    if (op != ir::OpType::kPatchEmbed && op != ir::OpType::kPrependToken) continue;
    const ir::Tensor* t = g.Constant(table);
    auto s = StaticDim(g, x, 1), e = StaticDim(g, x, 2);
    if (t == nullptr || t->dtype() != ir::DType::kF32 || !s || !e) continue;
    const std::vector<int64_t>& dims = t->dims();
    const bool fits = (dims.size() == 3 && dims[0] == 1 && dims[1] == *s && dims[2] == *e) ||
                      (dims.size() == 2 && dims[0] == *s && dims[1] == *e);
    if (!fits) continue;
    QC_ASSIGN_OR_RETURN(int flat,
                        ReshapedConstant(g, table, {*s, *e}, g.values[static_cast<size_t>(table)].name + ".flat"));
    ir::Attributes attrs{{ir::AttrName::kOffset, int64_t{0}}};
    g.AddCanonical(ir::OpType::kAddPositionEmbedding, {x, flat}, {add.outputs[0]}, std::move(attrs), {id});
    ctx.report.Count("position_embedding");
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

int FuseVitFrontEnd(PatternContext& ctx) {
  WGraph& g = ctx.g;
  const size_t before = g.nodes.size();
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty()) continue;
    if (n.op_type == "Conv") {
      Status s = FusePatchEmbed(ctx, id);
      if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
    } else if (n.op_type == "Concat") {
      FusePrependToken(ctx, id);
    }
  }
  // Position tables are added to the canonical front end, so this runs once PatchEmbed / PrependToken exist.
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty() || n.op_type != "Add") continue;
    Status s = FusePositionAdd(ctx, id);
    if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
  }
  return static_cast<int>(g.nodes.size() - before);
}

}  // namespace qc::onnx_import
