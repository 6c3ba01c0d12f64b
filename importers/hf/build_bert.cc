// BERT (BertModel and its classification heads, sentence-transformers BERT) from checkpoint tensors to IR ops.
// The graph layout is documented in hf_importer.h; shapes come from config.json and are checked per tensor.
#include <cstring>
#include <utility>

#include "importers/hf/graph_context.h"

namespace qc::hf {
namespace {

using ir::OpType;
using ir::ValueId;

// Older checkpoints store the `position_ids` buffer (arange(max_position_embeddings) as [1, P]). It carries no
// information unless it differs from 0..P-1, which transformers never produces; anything else is refused.
Status CheckPositionIds(HfWeights& weights, const std::string& name, int64_t positions) {
  const SafetensorsTensor* t = weights.Find(name);
  if (t == nullptr) return Status::Ok();
  const std::string where = weights.FileOf(name) + ": tensor '" + name + "'";
  if (t->dtype != StDType::kI64 && t->dtype != StDType::kI32) {
    return CorruptData(where + " is " + t->TypeString() + ", expected an I64 position-id buffer");
  }
  if (t->shape.size() != 2 || t->shape[0] != 1 || t->shape[1] > positions) {
    return CorruptData(where + " has shape " + DimsToString(t->shape) +
                       ", expected [1, n] with n <= " + std::to_string(positions));
  }
  const size_t width = StDTypeSize(t->dtype);
  for (int64_t i = 0; i < t->element_count; ++i) {
    int64_t v = 0;
    if (width == 8) {
      std::memcpy(&v, t->data + 8 * i, 8);
    } else {
      int32_t narrow = 0;
      std::memcpy(&narrow, t->data + 4 * i, 4);
      v = narrow;
    }
    if (v != i) {
      return Unsupported(where + " holds " + std::to_string(v) + " at index " + std::to_string(i) +
                         ": custom position ids are not supported (expected 0..n-1)");
    }
  }
  weights.MarkUsed(name);
  return Status::Ok();
}

// The token-type embedding row every token gets when the graph has no token_type_ids input.
Expected<ValueId> TypeZeroRow(HfGraphContext& ctx, const std::string& table_name, int64_t rows) {
  const int64_t h = ctx.hidden();
  QC_ASSIGN_OR_RETURN(ir::Tensor table, ctx.weights().TakeFloat(table_name, {rows, h}, "type_vocab_size x hidden"));
  QC_ASSIGN_OR_RETURN(std::vector<float> values, table.ToVector<float>());
  values.resize(static_cast<size_t>(h));
  QC_ASSIGN_OR_RETURN(ir::Tensor row, ir::Tensor::FromVector<float>({h}, std::move(values)));
  return ctx.Constant(table_name + "[0]", std::move(row));
}

Expected<ValueId> Embeddings(HfGraphContext& ctx, const std::string& p, ValueId ids, ValueId types) {
  const HfModelConfig& c = ctx.config();
  const int64_t h = ctx.hidden();
  QC_ASSIGN_OR_RETURN(ValueId words, ctx.Constant(p + "embeddings.word_embeddings.weight", {c.bert.vocab_size, h},
                                                  "vocab_size x hidden_size"));
  QC_ASSIGN_OR_RETURN(ValueId x, ctx.Op(OpType::kEmbedding, p + "embeddings.word_embeddings", {ids, words}));
  QC_ASSIGN_OR_RETURN(ValueId positions,
                      ctx.Constant(p + "embeddings.position_embeddings.weight", {c.bert.max_position_embeddings, h},
                                   "max_position_embeddings x hidden_size"));
  QC_ASSIGN_OR_RETURN(x, ctx.Op(OpType::kAddPositionEmbedding, p + "embeddings.position_embeddings", {x, positions},
                                {{ir::AttrName::kOffset, int64_t{0}}}));
  QC_RETURN_IF_ERROR(CheckPositionIds(ctx.weights(), p + "embeddings.position_ids", c.bert.max_position_embeddings));
  const std::string type_table = p + "embeddings.token_type_embeddings.weight";
  ValueId type_embedding;
  if (types != ir::kNoValue) {
    QC_ASSIGN_OR_RETURN(ValueId table,
                        ctx.Constant(type_table, {c.bert.type_vocab_size, h}, "type_vocab_size x hidden_size"));
    QC_ASSIGN_OR_RETURN(type_embedding,
                        ctx.Op(OpType::kEmbedding, p + "embeddings.token_type_embeddings", {types, table}));
  } else {
    QC_ASSIGN_OR_RETURN(type_embedding, TypeZeroRow(ctx, type_table, c.bert.type_vocab_size));
  }
  QC_ASSIGN_OR_RETURN(x, ctx.Op(OpType::kAdd, p + "embeddings.add_token_type", {x, type_embedding}));
  return ctx.LayerNorm(x, p + "embeddings.LayerNorm");
}

// One post-LN encoder layer (BertLayer).
Expected<ValueId> Layer(HfGraphContext& ctx, const std::string& l, ValueId x, ValueId mask) {
  const int64_t h = ctx.hidden();
  const int64_t inner = ctx.config().encoder.intermediate_size;
  const std::string self = l + "attention.self";
  QC_ASSIGN_OR_RETURN(ValueId a, ctx.SelfAttention(x, self, self + ".query", self + ".key", self + ".value",
                                                   /*qkv_bias=*/true, mask));
  QC_ASSIGN_OR_RETURN(a, ctx.Linear(a, l + "attention.output.dense", h, h, true, "attention output: hidden_size"));
  QC_ASSIGN_OR_RETURN(a, ctx.Op(OpType::kAdd, l + "attention.output.residual", {a, x}));
  QC_ASSIGN_OR_RETURN(x, ctx.LayerNorm(a, l + "attention.output.LayerNorm"));
  QC_ASSIGN_OR_RETURN(ValueId f,
                      ctx.Linear(x, l + "intermediate.dense", inner, h, true, "intermediate_size x hidden_size"));
  QC_ASSIGN_OR_RETURN(f, ctx.Activation(f, l + "intermediate.intermediate_act_fn"));
  QC_ASSIGN_OR_RETURN(f, ctx.Linear(f, l + "output.dense", h, inner, true, "hidden_size x intermediate_size"));
  QC_ASSIGN_OR_RETURN(f, ctx.Op(OpType::kAdd, l + "output.residual", {f, x}));
  return ctx.LayerNorm(f, l + "output.LayerNorm");
}

// BertPooler: tanh(dense(hidden[:, 0])).
Expected<ValueId> Pooler(HfGraphContext& ctx, const std::string& p, ValueId x) {
  const int64_t h = ctx.hidden();
  QC_ASSIGN_OR_RETURN(
      ValueId cls, ctx.Op(OpType::kSelectToken, p + "pooler.first_token", {x}, {{ir::AttrName::kIndex, int64_t{0}}}));
  QC_ASSIGN_OR_RETURN(ValueId dense, ctx.Linear(cls, p + "pooler.dense", h, h, true, "pooler: hidden_size"));
  return ctx.Op(OpType::kTanh, p + "pooler.activation", {dense});
}

Status SentenceEmbedding(HfGraphContext& ctx, const HfPoolingSpec& pooling, ValueId x, ValueId mask) {
  ValueId pooled;
  if (pooling.mode == HfPoolingMode::kMean) {
    QC_ASSIGN_OR_RETURN(pooled, ctx.Op(OpType::kMeanPool, "pooling.mean", {x, mask}));
  } else if (pooling.mode == HfPoolingMode::kCls) {
    QC_ASSIGN_OR_RETURN(pooled, ctx.Op(OpType::kSelectToken, "pooling.cls", {x}, {{ir::AttrName::kIndex, int64_t{0}}}));
  } else {
    return Internal("pooling mode " + std::string(HfPoolingModeName(pooling.mode)) + " reached the BERT builder");
  }
  if (pooling.normalize) {
    // sentence-transformers' Normalize is torch.nn.functional.normalize(p=2, dim=1, eps=1e-12).
    QC_ASSIGN_OR_RETURN(pooled, ctx.Op(OpType::kL2Normalize, "normalize", {pooled},
                                       {{ir::AttrName::kAxis, int64_t{-1}}, {ir::AttrName::kEpsilon, 1e-12}}));
  }
  return ctx.Output(pooled, "sentence_embedding");
}

}  // namespace

Status BuildBertGraph(HfGraphContext& ctx, const HfBuildPlan& plan) {
  const HfModelConfig& c = ctx.config();
  QC_ASSIGN_OR_RETURN(const std::string p, ctx.DetectPrefix({"bert.", ""}, "embeddings.word_embeddings.weight"));
  ir::GraphBuilder& b = ctx.builder();
  const ir::Shape tokens{"batch", "sequence"};
  QC_ASSIGN_OR_RETURN(ValueId ids, b.AddInput("input_ids", ir::DType::kI64, tokens));
  QC_ASSIGN_OR_RETURN(ValueId mask, b.AddInput("attention_mask", ir::DType::kI64, tokens));
  ValueId types = ir::kNoValue;
  if (plan.token_type_ids_input) {
    QC_ASSIGN_OR_RETURN(types, b.AddInput("token_type_ids", ir::DType::kI64, tokens));
  }

  QC_ASSIGN_OR_RETURN(ValueId x, Embeddings(ctx, p, ids, types));
  for (int64_t i = 0; i < c.encoder.num_hidden_layers; ++i) {
    QC_ASSIGN_OR_RETURN(x, Layer(ctx, p + "encoder.layer." + std::to_string(i) + ".", x, mask));
  }

  const int64_t labels = c.labels.num_labels();
  switch (plan.output) {
    case HfOutput::kLogits: {
      ValueId features = x;  // token classification: every position
      if (c.head == HfHeadKind::kSequenceClassification) {
        QC_ASSIGN_OR_RETURN(features, Pooler(ctx, p, x));
      } else if (c.head != HfHeadKind::kTokenClassification) {
        return Internal("logits requested for head " + std::string(HfHeadKindName(c.head)));
      }
      QC_ASSIGN_OR_RETURN(ValueId logits,
                          ctx.Linear(features, "classifier", labels, ctx.hidden(), true, "num_labels x hidden_size"));
      return ctx.Output(logits, "logits");
    }
    case HfOutput::kSentenceEmbedding:
      if (!plan.pooling) return Internal("sentence_embedding without a pooling spec");
      return SentenceEmbedding(ctx, *plan.pooling, x, mask);
    case HfOutput::kLastHiddenState:
      QC_RETURN_IF_ERROR(ctx.Output(x, "last_hidden_state"));
      if (plan.pooler_output && ctx.weights().Has(p + "pooler.dense.weight")) {
        QC_ASSIGN_OR_RETURN(ValueId pooled, Pooler(ctx, p, x));
        QC_RETURN_IF_ERROR(ctx.Output(pooled, "pooler_output"));
      }
      return Status::Ok();
    case HfOutput::kAuto:
      break;
  }
  return Internal("unresolved output kind");
}

}  // namespace qc::hf
