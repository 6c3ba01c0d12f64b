// Linear layers: MatMul with a constant weight (3-D activations) and Gemm (2-D pooler / classifier).
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

// A bias for N outputs: [N], [1, N], [1, 1, N] constants (f32), or a scalar when N is 1.
bool IsBias(const WGraph& g, int v, int64_t n) {
  return IsVectorConstant(g, v, n);
}

// MatMul(x, W[K, N]) -> [Add(., b[N])]  =>  Linear(x, W^T[N, K], b)
Status FuseMatMul(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& mm = g.nodes[static_cast<size_t>(id)];
  const int x = mm.inputs[0], w = mm.inputs[1];
  const ir::Tensor* weight = g.Constant(w);
  if (weight == nullptr || !IsFloatActivation(g, x)) return Status::Ok();  // not a linear layer (e.g. Q K^T)
  if (weight->dims().size() != 2 || weight->dtype() != ir::DType::kF32) {
    return Unsupported("MatMul: the constant weight is " + weight->TypeString() + ", expected a 2-D f32 matrix");
  }
  const int64_t k = weight->dims()[0], n = weight->dims()[1];
  if (RankOf(g, x) < 2 || StaticDim(g, x, -1) != k) {
    return Unsupported("MatMul: the activation's last dimension does not match the weight's " + std::to_string(k) +
                       " rows (or its rank is < 2)");
  }
  std::vector<int> matched{id};
  int out = mm.outputs[0], bias = -1, add_id = -1;
  if (const WNode* add = SoleConsumer(g, out, "Add", &add_id); add && IsBias(g, OtherOperand(*add, out), n)) {
    bias = OtherOperand(*add, out);
    out = add->outputs[0];
    matched.push_back(add_id);
  }
  const std::string name = LinearWeightName(g, w, bias, g.values[static_cast<size_t>(w)].name + ".T");
  QC_ASSIGN_OR_RETURN(int weight_t, TransposedConstant(g, w, name));
  std::vector<int> inputs{x, weight_t};
  if (bias >= 0) {
    QC_ASSIGN_OR_RETURN(int flat, ReshapedConstant(g, bias, {n}, g.values[static_cast<size_t>(bias)].name + ".flat"));
    inputs.push_back(flat);
  }
  g.AddCanonical(ir::OpType::kLinear, std::move(inputs), {out}, {}, matched);
  ctx.report.Count("linear");
  return Status::Ok();
}

// A copy of 2-D / 1-D f32 constant `v` multiplied by `factor` (Gemm alpha / beta != 1).
Expected<int> Scaled(WGraph& g, int v, double factor, const std::string& name) {
  if (factor == 1.0) return v;
  const ir::Tensor* t = g.Constant(v);
  QC_ASSIGN_OR_RETURN(std::vector<float> values, t->ToVector<float>());
  for (float& f : values) f = static_cast<float>(f * factor);
  return AddFloatConstant(g, g.UniqueName(name), t->dims(), std::move(values));
}

// Gemm(x[M, K], B, C; alpha, beta, transA = 0, transB)  =>  Linear(x, alpha * (transB ? B : B^T), beta * C)
Status FuseGemm(PatternContext& ctx, int id) {
  WGraph& g = ctx.g;
  const WNode& gemm = g.nodes[static_cast<size_t>(id)];
  const int x = gemm.inputs[0], b = gemm.inputs[1];
  const int c = gemm.inputs.size() > 2 ? gemm.inputs[2] : -1;
  if (AttrInt(gemm, "transA", 0) != 0) return Unsupported("Gemm: transA = 1 is not supported");
  const ir::Tensor* weight = g.Constant(b);
  if (weight == nullptr || weight->dims().size() != 2 || weight->dtype() != ir::DType::kF32) {
    return Unsupported("Gemm: input B is not a constant 2-D f32 weight");
  }
  const bool trans_b = AttrInt(gemm, "transB", 0) != 0;
  const int64_t n = weight->dims()[trans_b ? 0 : 1], k = weight->dims()[trans_b ? 1 : 0];
  if (!IsFloatActivation(g, x) || RankOf(g, x) != 2 || StaticDim(g, x, -1) != k) {
    return Unsupported("Gemm: input A is not a 2-D activation with " + std::to_string(k) + " columns");
  }
  if (c >= 0 && !IsBias(g, c, n)) return Unsupported("Gemm: input C is not a constant bias of " + std::to_string(n));
  const double alpha = AttrFloat(gemm, "alpha", 1.0), beta = AttrFloat(gemm, "beta", 1.0);
  int w = b;
  if (!trans_b) {
    QC_ASSIGN_OR_RETURN(
        w, TransposedConstant(g, b, LinearWeightName(g, b, c, g.values[static_cast<size_t>(b)].name + ".T")));
  }
  QC_ASSIGN_OR_RETURN(w, Scaled(g, w, alpha, g.values[static_cast<size_t>(w)].name + ".alpha"));
  std::vector<int> inputs{x, w};
  if (c >= 0 && beta != 0.0) {
    QC_ASSIGN_OR_RETURN(int flat, ReshapedConstant(g, c, {n}, g.values[static_cast<size_t>(c)].name + ".flat"));
    QC_ASSIGN_OR_RETURN(flat, Scaled(g, flat, beta, g.values[static_cast<size_t>(c)].name + ".beta"));
    inputs.push_back(flat);
  }
  g.AddCanonical(ir::OpType::kLinear, std::move(inputs), {gemm.outputs[0]}, {}, {id});
  ctx.report.Count("linear");
  return Status::Ok();
}

}  // namespace

int FuseLinear(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int before = 0;
  for (const auto& [k, v] : ctx.report.fusions) before += k == "linear" ? static_cast<int>(v) : 0;
  for (int id : g.LiveNodes()) {
    if (g.nodes[static_cast<size_t>(id)].erased || !g.nodes[static_cast<size_t>(id)].domain.empty()) continue;
    const std::string op = g.nodes[static_cast<size_t>(id)].op_type;
    Status s = Status::Ok();
    if (op == "MatMul") s = FuseMatMul(ctx, id);
    if (op == "Gemm") s = FuseGemm(ctx, id);
    if (!s.ok()) g.nodes[static_cast<size_t>(id)].note = s.message();
  }
  int after = 0;
  for (const auto& [k, v] : ctx.report.fusions) after += k == "linear" ? static_cast<int>(v) : 0;
  return after - before;
}

}  // namespace qc::onnx_import
