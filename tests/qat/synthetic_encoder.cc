#include "tests/qat/synthetic_encoder.h"

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ir/builder.h"

namespace qc::qat::test {
namespace {

using ir::AttrName;
using ir::OpType;
using ir::ValueId;

class EncoderBuilder {
 public:
  explicit EncoderBuilder(const SyntheticEncoderSpec& spec) : s_(spec), rng_(spec.seed) {}

  Expected<ir::Graph> Build() && {
    QC_ASSIGN_OR_RETURN(ValueId ids, b_.AddInput("input_ids", ir::DType::kI64, {"batch", "sequence"}));
    QC_ASSIGN_OR_RETURN(ValueId mask, b_.AddInput("attention_mask", ir::DType::kI64, {"batch", "sequence"}));
    QC_ASSIGN_OR_RETURN(ValueId words, Random("embeddings.word_embeddings.weight", {s_.vocab, s_.hidden}));
    QC_ASSIGN_OR_RETURN(ValueId x, b_.AddOp(OpType::kEmbedding, "embeddings.word_embeddings", {ids, words}));
    QC_ASSIGN_OR_RETURN(ValueId positions,
                        Random("embeddings.position_embeddings.weight", {s_.max_positions, s_.hidden}));
    QC_ASSIGN_OR_RETURN(x, b_.AddOp(OpType::kAddPositionEmbedding, "embeddings.position_embeddings", {x, positions}));
    QC_ASSIGN_OR_RETURN(x, LayerNorm("embeddings.LayerNorm", x));
    for (int64_t i = 0; i < s_.layers; ++i) {
      QC_ASSIGN_OR_RETURN(x, Layer("encoder.layer." + std::to_string(i) + ".", x, mask));
    }
    if (s_.pre_ln) {
      QC_ASSIGN_OR_RETURN(x, LayerNorm("layernorm", x));
    }
    QC_ASSIGN_OR_RETURN(ValueId cls, b_.AddOp(OpType::kSelectToken, "pooler.first_token", {x}));
    QC_ASSIGN_OR_RETURN(ValueId pooled, Linear("pooler.dense", cls, s_.hidden, s_.hidden));
    QC_ASSIGN_OR_RETURN(pooled, b_.AddOp(OpType::kTanh, "pooler.activation", {pooled}));
    QC_ASSIGN_OR_RETURN(ValueId logits, Linear("classifier", pooled, s_.labels, s_.hidden));
    QC_RETURN_IF_ERROR(b_.MarkOutput(logits, "logits"));
    return std::move(b_).Build();
  }

 private:
  Expected<ValueId> Constant(const std::string& name, std::vector<int64_t> dims, float mean, float stddev) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::normal_distribution<float> dist(mean, stddev);
    std::vector<float> values(static_cast<size_t>(n));
    for (float& v : values) v = dist(rng_);
    QC_ASSIGN_OR_RETURN(ir::Tensor t, ir::Tensor::FromVector<float>(std::move(dims), std::move(values)));
    return b_.AddConstant(name, std::move(t));
  }
  Expected<ValueId> Random(const std::string& name, std::vector<int64_t> dims) {
    return Constant(name, std::move(dims), 0.0f, 0.1f);
  }

  Expected<ValueId> Linear(const std::string& name, ValueId x, int64_t out, int64_t in) {
    QC_ASSIGN_OR_RETURN(ValueId w, Random(name + ".weight", {out, in}));
    QC_ASSIGN_OR_RETURN(ValueId bias, Random(name + ".bias", {out}));
    return b_.AddOp(OpType::kLinear, name, {x, w, bias});
  }

  Expected<ValueId> LayerNorm(const std::string& name, ValueId x) {
    QC_ASSIGN_OR_RETURN(ValueId gamma, Constant(name + ".weight", {s_.hidden}, 1.0f, 0.1f));
    QC_ASSIGN_OR_RETURN(ValueId beta, Random(name + ".bias", {s_.hidden}));
    return b_.AddOp(OpType::kLayerNorm, name, {x, gamma, beta}, {{AttrName::kEpsilon, 1e-12}});
  }

  Expected<ValueId> Layer(const std::string& l, ValueId x, ValueId mask) {
    const int64_t h = s_.hidden;
    ValueId a = x;
    if (s_.pre_ln) {
      QC_ASSIGN_OR_RETURN(a, LayerNorm(l + "layernorm_before", x));
    }
    const std::string self = l + "attention.self.";
    QC_ASSIGN_OR_RETURN(ValueId q, Linear(self + "query", a, h, h));
    QC_ASSIGN_OR_RETURN(ValueId k, Linear(self + "key", a, h, h));
    QC_ASSIGN_OR_RETURN(ValueId v, Linear(self + "value", a, h, h));
    const double scale = 1.0 / std::sqrt(static_cast<double>(h / s_.heads));
    QC_ASSIGN_OR_RETURN(ValueId ctx, b_.AddOp(OpType::kAttention, l + "attention.self", {q, k, v, mask},
                                              {{AttrName::kNumHeads, s_.heads}, {AttrName::kScale, scale}}));
    QC_ASSIGN_OR_RETURN(ValueId dense, Linear(l + "attention.output.dense", ctx, h, h));
    QC_ASSIGN_OR_RETURN(ValueId sum, b_.AddOp(OpType::kAdd, l + "attention.output.residual", {dense, x}));
    ValueId s = sum;
    if (!s_.pre_ln) {
      QC_ASSIGN_OR_RETURN(s, LayerNorm(l + "attention.output.LayerNorm", sum));
    }
    ValueId f = s;
    if (s_.pre_ln) {
      QC_ASSIGN_OR_RETURN(f, LayerNorm(l + "layernorm_after", s));
    }
    QC_ASSIGN_OR_RETURN(f, Linear(l + "intermediate.dense", f, s_.ffn, h));
    QC_ASSIGN_OR_RETURN(f, b_.AddOp(OpType::kGelu, l + "intermediate.act", {f}));
    QC_ASSIGN_OR_RETURN(f, Linear(l + "output.dense", f, h, s_.ffn));
    QC_ASSIGN_OR_RETURN(ValueId out, b_.AddOp(OpType::kAdd, l + "output.residual", {f, s}));
    if (s_.pre_ln) return out;
    return LayerNorm(l + "output.LayerNorm", out);
  }

  const SyntheticEncoderSpec& s_;
  std::mt19937 rng_;
  ir::GraphBuilder b_;
};

}  // namespace

Expected<ir::Graph> BuildSyntheticEncoder(const SyntheticEncoderSpec& spec) {
  return EncoderBuilder(spec).Build();
}

}  // namespace qc::qat::test
