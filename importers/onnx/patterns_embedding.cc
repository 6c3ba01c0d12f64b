// Embedding lookups: token ids from graph inputs, position ids (Slice of a buffer, Range, Expand) and constant
// token-type ids (no token_type_ids input), all classified by what the index tensor evaluates to.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"
#include "importers/onnx/probe.h"

namespace qc::onnx_import {
namespace {

bool IsIntType(int32_t t) {
  return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32;
}

// Cast(ids: int64|int32 graph input, to = int32|int64) -> ids  (exact for any valid vocabulary index)
int IntGraphInputThroughCast(const WGraph& g, int v) {
  const WValue& val = g.values[static_cast<size_t>(v)];
  if (val.is_graph_input && IsIntType(val.dtype)) return v;
  if (const WNode* cast = Producer(g, v, "Cast"); cast && IsIntType(static_cast<int32_t>(AttrInt(*cast, "to", 0)))) {
    const WValue& src = g.values[static_cast<size_t>(cast->inputs[0])];
    if (src.is_graph_input && IsIntType(src.dtype)) return cast->inputs[0];
  }
  return -1;
}

// Gather(table[V, E], ids: graph input)  =>  Embedding(ids, table)
// Gather(table, idx == c everywhere) -> Add(x, .)  =>  Add(x, table[c])
// Gather(table, idx == arange(o, o + S)) -> Add(x[B, S, E], .)  =>  AddPositionEmbedding(x, table; offset = o)
Status FuseGather(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& n = g.nodes[static_cast<size_t>(id)];
  const int table = n.inputs[0], idx = n.inputs[1], out = n.outputs[0];
  const ir::Tensor* t = g.Constant(table);
  if (t == nullptr || AttrInt(n, "axis", 0) != 0 || t->dims().size() != 2) return Status::Ok();
  if (t->dtype() != ir::DType::kF32) return Unsupported("Gather: embedding table is " + t->TypeString() + ", not f32");
  const int64_t width = t->dims()[1];
  if (int ids = IntGraphInputThroughCast(g, idx); ids >= 0) {
    g.AddCanonical(ir::OpType::kEmbedding, {ids, table}, {out}, {}, {id});
    ctx.report.Count("embedding");
    return Status::Ok();
  }
  std::string why;
  std::optional<IndexValue> kind = ClassifyIndexValue(g, idx, &why);
  if (!kind) return Unsupported("Gather: the embedding indices are neither a graph input nor understood: " + why);
  int add_id = -1;
  const WNode* add = SoleConsumer(g, out, "Add", &add_id);
  const int x = add ? OtherOperand(*add, out) : -1;
  const SymShape *xs = ShapeOf(g, x), *ys = add ? ShapeOf(g, add->outputs[0]) : nullptr, *gs = ShapeOf(g, out);
  if (!add || !IsFloatActivation(g, x) || !xs || !ys || !gs || !SameShape(*xs, *ys)) {
    return Unsupported("Gather: computed embedding indices must feed Add(x, .) with x of the sum's shape");
  }
  if (kind->constant) {
    if (kind->fill < 0 || kind->fill >= t->dims()[0]) return Unsupported("Gather: constant index out of range");
    QC_ASSIGN_OR_RETURN(std::vector<float> all, t->ToVector<float>());
    std::vector<float> row(all.begin() + kind->fill * width, all.begin() + (kind->fill + 1) * width);
    const int row_value = AddFloatConstant(
        g, g.UniqueName(g.values[static_cast<size_t>(table)].name + ".row" + std::to_string(kind->fill)), {width},
        std::move(row));
    g.AddCanonical(ir::OpType::kAdd, {x, row_value}, {add->outputs[0]}, {}, {id, add_id});
    ctx.report.Count("embedding_constant_row");
    return Status::Ok();
  }
  // Positions: the gathered rows line up with x's sequence axis.
  if (xs->size() != 3 || gs->size() < 2 || !(*xs)[1] || !(*gs)[gs->size() - 2] || *(*xs)[1] != *(*gs)[gs->size() - 2] ||
      kind->offset < 0) {
    return Unsupported("Gather: position ids do not run along the sequence axis of " + g.DescribeValue(x));
  }
  ir::Attributes attrs{{ir::AttrName::kOffset, kind->offset}};
  g.AddCanonical(ir::OpType::kAddPositionEmbedding, {x, table}, {add->outputs[0]}, std::move(attrs), {id, add_id});
  ctx.report.Count("position_embedding");
  return Status::Ok();
}

}  // namespace

int FuseEmbeddings(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int fused = 0;
  for (int id : g.LiveNodes()) {
    WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased || !n.domain.empty() || n.op_type != "Gather") continue;
    const size_t before = g.nodes.size();
    Status s = FuseGather(ctx, id);
    if (!s.ok()) {
      g.nodes[static_cast<size_t>(id)].note = s.message();
      continue;
    }
    fused += g.nodes.size() > before;
  }
  return fused;
}

}  // namespace qc::onnx_import
