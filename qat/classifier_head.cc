// AddClassifierHead (qat/classifier_head.h).
#include "qat/classifier_head.h"

#include <cmath>
#include <random>
#include <vector>

#include "ir/rewriter.h"
#include "ir/verifier.h"

namespace qc::qat {
namespace {

std::vector<float> Normal(size_t n, double std_dev, std::mt19937& rng) {
  std::vector<float> v(n);
  const double two_pi = 6.283185307179586;
  for (size_t i = 0; i < n; ++i) {
    const double u1 = (static_cast<double>(rng()) + 1.0) / 4294967297.0;  // (0, 1]
    const double u2 = static_cast<double>(rng()) / 4294967296.0;
    v[i] = static_cast<float>(std_dev * std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2));
  }
  return v;
}

Expected<ir::ValueId> Output(const ir::Graph& g, const std::string& name) {
  for (ir::ValueId v : g.outputs()) {
    if (g.value(v).name == name) return v;
  }
  return ir::kNoValue;
}

}  // namespace

Status AddClassifierHead(ir::Graph& graph, const ClassifierHeadOptions& o) {
  if (o.num_labels <= 0) return InvalidArgument("AddClassifierHead: num_labels must be > 0");
  QC_ASSIGN_OR_RETURN(ir::ValueId existing, Output(graph, "logits"));
  if (existing != ir::kNoValue) return InvalidArgument("AddClassifierHead: the graph already has a 'logits' output");
  QC_ASSIGN_OR_RETURN(ir::ValueId hidden, Output(graph, o.hidden_output));
  QC_ASSIGN_OR_RETURN(ir::ValueId pooled, Output(graph, o.pooler_output));
  if (hidden == ir::kNoValue && pooled == ir::kNoValue) {
    return NotFound("AddClassifierHead: the graph has neither a '" + o.hidden_output + "' nor a '" + o.pooler_output +
                    "' output");
  }
  const ir::Value& source = graph.value(pooled != ir::kNoValue ? pooled : hidden);
  const ir::Shape& dims = source.shape;
  if (dims.empty() || !dims.back().is_static()) {
    return InvalidArgument("AddClassifierHead: '" + source.name + "' has no static hidden size");
  }
  const int64_t h = dims.back().size();
  std::mt19937 rng(o.seed);
  ir::Rewriter rw(graph);
  auto linear = [&](ir::ValueId x, const std::string& name, int64_t n) -> Expected<ir::ValueId> {
    QC_ASSIGN_OR_RETURN(ir::Tensor w, ir::Tensor::FromVector<float>({n, h}, Normal(static_cast<size_t>(n * h), o.init_std, rng)));
    QC_ASSIGN_OR_RETURN(ir::Tensor b, ir::Tensor::FromVector<float>({n}, std::vector<float>(static_cast<size_t>(n), 0.0f)));
    QC_ASSIGN_OR_RETURN(ir::ValueId wv, rw.AddConstant(name + ".weight", std::move(w)));
    QC_ASSIGN_OR_RETURN(ir::ValueId bv, rw.AddConstant(name + ".bias", std::move(b)));
    return rw.InsertOp(ir::OpType::kLinear, name, {x, wv, bv});
  };
  ir::ValueId features = pooled;
  if (features == ir::kNoValue) {
    ir::Attributes index;
    index.Set(ir::AttrName::kIndex, int64_t{0});
    QC_ASSIGN_OR_RETURN(ir::ValueId cls, rw.InsertOp(ir::OpType::kSelectToken, "pooler.first_token", {hidden}, index));
    QC_ASSIGN_OR_RETURN(ir::ValueId dense, linear(cls, "pooler.dense", h));
    QC_ASSIGN_OR_RETURN(features, rw.InsertOp(ir::OpType::kTanh, "pooler.activation", {dense}));
  }
  QC_ASSIGN_OR_RETURN(ir::ValueId logits, linear(features, "classifier", o.num_labels));
  graph.mutable_value(logits).name = "logits";
  graph.mutable_outputs() = {logits};
  return ir::Verify(graph);
}

}  // namespace qc::qat
