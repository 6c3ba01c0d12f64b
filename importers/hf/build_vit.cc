// ViT (ViTModel, ViTForImageClassification) from checkpoint tensors to IR ops. The graph layout is documented in
// hf_importer.h; shapes come from config.json and are checked per tensor.
#include <utility>

#include "importers/hf/graph_context.h"

namespace qc::hf {
namespace {

using ir::OpType;
using ir::ValueId;

Expected<ValueId> Embeddings(HfGraphContext& ctx, const std::string& p, ValueId pixels) {
  const HfVitConfig& v = ctx.config().vit;
  const int64_t h = ctx.hidden();
  const std::string projection = p + "embeddings.patch_embeddings.projection";
  QC_ASSIGN_OR_RETURN(ValueId weight,
                      ctx.Constant(projection + ".weight", {h, v.num_channels, v.patch_size, v.patch_size},
                                   "hidden_size x num_channels x patch_size x patch_size"));
  QC_ASSIGN_OR_RETURN(ValueId bias, ctx.Constant(projection + ".bias", {h}, "hidden_size"));
  QC_ASSIGN_OR_RETURN(ValueId x, ctx.Op(OpType::kPatchEmbed, projection, {pixels, weight, bias},
                                        {{ir::AttrName::kPatch, v.patch_size}}));
  QC_ASSIGN_OR_RETURN(ValueId cls, ctx.Constant(p + "embeddings.cls_token", {1, 1, h}, "1 x 1 x hidden_size"));
  QC_ASSIGN_OR_RETURN(x, ctx.Op(OpType::kPrependToken, p + "embeddings.prepend_cls_token", {x, cls}));

  // The checkpoint stores the table as [1, N+1, D]; AddPositionEmbedding takes [positions, D]: same bytes, new dims.
  const int64_t tokens = v.num_patches() + 1;
  const std::string table_name = p + "embeddings.position_embeddings";
  QC_ASSIGN_OR_RETURN(ir::Tensor table,
                      ctx.weights().TakeFloat(table_name, {1, tokens, h}, "1 x (num_patches + 1) x hidden_size"));
  QC_ASSIGN_OR_RETURN(ir::Tensor table2d, ir::Tensor::View(ir::DType::kF32, {tokens, h}, table.raw_data(),
                                                           table.byte_size(), table.owner()));
  QC_ASSIGN_OR_RETURN(ValueId positions, ctx.Constant(table_name, std::move(table2d)));
  return ctx.Op(OpType::kAddPositionEmbedding, table_name, {x, positions}, {{ir::AttrName::kOffset, int64_t{0}}});
}

// One pre-LN encoder layer (ViTLayer).
Expected<ValueId> Layer(HfGraphContext& ctx, const std::string& l, ValueId x) {
  const int64_t h = ctx.hidden();
  const int64_t inner = ctx.config().encoder.intermediate_size;
  const std::string attn = l + "attention.attention";
  QC_ASSIGN_OR_RETURN(ValueId a, ctx.LayerNorm(x, l + "layernorm_before"));
  QC_ASSIGN_OR_RETURN(a, ctx.SelfAttention(a, attn, attn + ".query", attn + ".key", attn + ".value",
                                           ctx.config().vit.qkv_bias, ir::kNoValue));
  QC_ASSIGN_OR_RETURN(a, ctx.Linear(a, l + "attention.output.dense", h, h, true, "attention output: hidden_size"));
  QC_ASSIGN_OR_RETURN(x, ctx.Op(OpType::kAdd, l + "attention.residual", {a, x}));
  QC_ASSIGN_OR_RETURN(ValueId f, ctx.LayerNorm(x, l + "layernorm_after"));
  QC_ASSIGN_OR_RETURN(f, ctx.Linear(f, l + "intermediate.dense", inner, h, true, "intermediate_size x hidden_size"));
  QC_ASSIGN_OR_RETURN(f, ctx.Activation(f, l + "intermediate.intermediate_act_fn"));
  QC_ASSIGN_OR_RETURN(f, ctx.Linear(f, l + "output.dense", h, inner, true, "hidden_size x intermediate_size"));
  return ctx.Op(OpType::kAdd, l + "output.residual", {f, x});
}

Expected<ValueId> FirstToken(HfGraphContext& ctx, const std::string& name, ValueId x) {
  return ctx.Op(OpType::kSelectToken, name, {x}, {{ir::AttrName::kIndex, int64_t{0}}});
}

}  // namespace

Status BuildVitGraph(HfGraphContext& ctx, const HfBuildPlan& plan) {
  const HfModelConfig& c = ctx.config();
  const HfVitConfig& v = c.vit;
  QC_ASSIGN_OR_RETURN(const std::string p, ctx.DetectPrefix({"vit.", ""}, "embeddings.cls_token"));
  QC_ASSIGN_OR_RETURN(ValueId pixels, ctx.builder().AddInput("pixel_values", ir::DType::kF32,
                                                             {"batch", v.num_channels, v.image_height, v.image_width}));
  QC_ASSIGN_OR_RETURN(ValueId x, Embeddings(ctx, p, pixels));
  for (int64_t i = 0; i < c.encoder.num_hidden_layers; ++i) {
    QC_ASSIGN_OR_RETURN(x, Layer(ctx, p + "encoder.layer." + std::to_string(i) + ".", x));
  }
  QC_ASSIGN_OR_RETURN(x, ctx.LayerNorm(x, p + "layernorm"));

  switch (plan.output) {
    case HfOutput::kLogits: {
      if (c.head != HfHeadKind::kImageClassification) {
        return Internal("logits requested for head " + std::string(HfHeadKindName(c.head)));
      }
      QC_ASSIGN_OR_RETURN(ValueId cls, FirstToken(ctx, "classifier.first_token", x));
      QC_ASSIGN_OR_RETURN(ValueId logits, ctx.Linear(cls, "classifier", c.labels.num_labels(), ctx.hidden(), true,
                                                     "num_labels x hidden_size"));
      return ctx.Output(logits, "logits");
    }
    case HfOutput::kLastHiddenState: {
      QC_RETURN_IF_ERROR(ctx.Output(x, "last_hidden_state"));
      if (!plan.pooler_output || !ctx.weights().Has(p + "pooler.dense.weight")) return Status::Ok();
      if (v.pooler_act != "tanh") {
        ctx.warnings().push_back(c.path + ": pooler_act '" + v.pooler_act +
                                 "' is not supported; pooler_output is not part of the graph");
        return Status::Ok();
      }
      const int64_t out = v.pooler_output_size > 0 ? v.pooler_output_size : ctx.hidden();
      QC_ASSIGN_OR_RETURN(ValueId cls, FirstToken(ctx, p + "pooler.first_token", x));
      QC_ASSIGN_OR_RETURN(ValueId dense,
                          ctx.Linear(cls, p + "pooler.dense", out, ctx.hidden(), true, "pooler_output_size x hidden"));
      QC_ASSIGN_OR_RETURN(ValueId pooled, ctx.Op(OpType::kTanh, p + "pooler.activation", {dense}));
      return ctx.Output(pooled, "pooler_output");
    }
    case HfOutput::kSentenceEmbedding:
    case HfOutput::kAuto:
      break;
  }
  return Internal("output '" + std::string(HfOutputName(plan.output)) + "' reached the ViT builder");
}

}  // namespace qc::hf
