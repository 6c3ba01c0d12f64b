// ApplyQuantRecipe / AnnotateQuantization (qat/fake_quant.h): which sites a recipe quantizes, once, for both.
#include <cmath>
#include <string>

#include "ir/rewriter.h"
#include "qat/fake_quant.h"

namespace qc::qat {
namespace {

bool IsWordEmbedding(const WeightSite& s) { return s.op == ir::OpType::kEmbedding && s.input == "input_ids"; }

// The weight quantization a recipe gives a site, or nullopt (float).
std::optional<ir::WeightQuant> SiteWeightQuant(const WeightSite& s, const QuantRecipe& r) {
  if (IsWordEmbedding(s) && r.embedding_bits != ir::WeightBits::kFloat32) {
    return ir::WeightQuant{r.embedding_bits, ir::WeightGranularity::kPerRow, 0};
  }
  if (s.op != ir::OpType::kLinear || s.produces_graph_output || r.linear_bits == ir::WeightBits::kFloat32) {
    return std::nullopt;
  }
  if (s.layer < 0 && !r.quantize_pooler) return std::nullopt;
  return ir::WeightQuant{r.linear_bits, r.linear_granularity, 0};
}

ir::ActivationQuant ActQuant(const QuantRecipe& r, bool attention) {
  ir::ActivationQuant a;
  a.bits = ir::ActivationBits::kInt8;
  a.mode = (attention || r.act_granularity == ActGranularity::kPerToken) ? ir::ActivationMode::kDynamicPerToken
                                                                        : ir::ActivationMode::kDynamicPerTensor;
  if (r.act_clip > 0.0f) a.clip = r.act_clip;
  if (!attention) a.groups = r.act_groups;
  return a;
}

Expected<TensorTransform> WeightTransform(const ir::WeightQuant& q, float twn_clip) {
  const bool per_row = q.granularity == ir::WeightGranularity::kPerRow;
  if (q.granularity == ir::WeightGranularity::kPerGroup) return Unsupported("qat: per-group weight quantization");
  switch (q.bits) {
    case ir::WeightBits::kTernary:
      return TensorTransform([per_row, twn_clip](const torch::Tensor& w) { return FakeQuantTwn(w, per_row, twn_clip); });
    case ir::WeightBits::kInt8:
    case ir::WeightBits::kInt4: {
      const int bits = static_cast<int>(q.bits);
      return TensorTransform([per_row, bits](const torch::Tensor& w) { return FakeQuantIntWeight(w, bits, per_row); });
    }
    default:
      return InvalidArgument("qat: no fake quantizer for weight bits " + std::string(ir::WeightBitsName(q.bits)));
  }
}

// The quantizer parameter of a Linear's learned input clip. Linears reading the same value share one (Q, K and V
// read one hidden state): one quantizer per tensor, as the runtime quantizes it, and equal clips let merge_qkv fuse
// the three. Keyed by value id (names may be empty); the name is for people.
std::string LearnedClipKey(const WeightSite& site) {
  return "act_clip:" + std::to_string(site.input_value) + ":" + site.input;
}

// The trainable clip of a quantized Linear's input (learn_act_clip), created by the first site reading it.
Expected<torch::Tensor> LearnedClipOf(TorchModel& model, const WeightSite& site, float initial) {
  torch::Tensor alpha = model.QuantizerParameter(LearnedClipKey(site));
  if (alpha.defined()) return alpha;
  alpha = torch::full({1}, initial, torch::kFloat).set_requires_grad(true);
  QC_RETURN_IF_ERROR(model.AddQuantizerParameter(LearnedClipKey(site), alpha));
  return alpha;
}

// What a quantized Linear's input quantizer sees: with a learned clip, x clamped by it (its gradient) and no clip of
// its own (the same codes: clamping is idempotent); otherwise x and the fixed clip.
struct LinearInput {
  torch::Tensor x;
  float clip;
};
LinearInput ClipLinearInput(const torch::Tensor& x, const torch::Tensor& learned_clip, float act_clip) {
  if (learned_clip.defined()) return {LearnedActClamp(x, learned_clip), 0.0f};
  return {x, act_clip};
}

torch::Tensor QuantizeLinearInput(const torch::Tensor& x, const torch::Tensor& learned_clip, ActGranularity g,
                                  float act_clip, int64_t groups) {
  const LinearInput in = ClipLinearInput(x, learned_clip, act_clip);
  return FakeQuantActivation(in.x, g, in.clip, groups);
}

// act_groups must divide every quantized Linear's in_features (the runtime's grouped QLinear splits K evenly).
Status CheckActGroups(const TorchModel& model, const WeightSite& site, int64_t groups) {
  if (groups == 1) return Status::Ok();
  QC_ASSIGN_OR_RETURN(torch::Tensor w, model.Parameter(site.weight));
  if (w.dim() == 2 && w.size(1) % groups == 0) return Status::Ok();
  return InvalidArgument("qat: act_groups " + std::to_string(groups) + " does not divide in_features " +
                         std::to_string(w.dim() == 2 ? w.size(1) : 0) + " of the Linear reading weight '" +
                         site.weight + "'");
}

}  // namespace

Expected<size_t> ApplyQuantRecipe(TorchModel& model, const QuantRecipe& recipe) {
  model.ClearTransforms();
  if (recipe.learn_act_clip && !(recipe.act_clip > 0.0f && std::isfinite(recipe.act_clip))) {
    return InvalidArgument("qat: learned activation clipping needs an initial act_clip > 0 (got " +
                           std::to_string(recipe.act_clip) + ")");
  }
  if (recipe.act_groups < 1 || recipe.act_groups > ir::kMaxActGroups) {
    return InvalidArgument("qat: act_groups must be in [1, " + std::to_string(ir::kMaxActGroups) + "], got " +
                           std::to_string(recipe.act_groups));
  }
  size_t count = 0;
  const auto& sites = model.weight_sites();
  for (size_t i = 0; i < sites.size(); ++i) {
    const std::optional<ir::WeightQuant> q = SiteWeightQuant(sites[i], recipe);
    if (!q) continue;
    ++count;
    const bool linear = sites[i].op == ir::OpType::kLinear;
    if (linear) QC_RETURN_IF_ERROR(CheckActGroups(model, sites[i], recipe.act_groups));
    const bool per_group = q->granularity == ir::WeightGranularity::kPerGroup;
    if (recipe.exact_linear && linear && per_group) return Unsupported("qat: per-group weights");
    // exact_linear: always the runtime's exact QLinear. exact_eval: that without autograd; training runs float-sum
    // fake quantization of both operands (`fn`; exact_linear Linears need none).
    TensorTransform fn;
    if (!(recipe.exact_linear && linear)) {
      QC_ASSIGN_OR_RETURN(fn, WeightTransform(*q, recipe.twn_clip));
    }
    torch::Tensor learned_clip;
    if (linear && recipe.learn_act_clip) {
      QC_ASSIGN_OR_RETURN(learned_clip, LearnedClipOf(model, sites[i], recipe.act_clip));
    }
    if (linear && !per_group && (recipe.exact_linear || recipe.exact_eval)) {
      const ir::WeightBits bits = q->bits;
      const bool per_row = q->granularity == ir::WeightGranularity::kPerRow;
      const float twn_clip = recipe.twn_clip, act_clip = recipe.act_clip;
      const ActGranularity g = recipe.act_granularity;
      const int64_t groups = recipe.act_groups;
      const bool always_exact = recipe.exact_linear;
      QC_RETURN_IF_ERROR(model.SetLinearFunction(
          i, [=](const torch::Tensor& x, const torch::Tensor& w, const c10::optional<torch::Tensor>& b) {
            if (always_exact || !torch::GradMode::is_enabled()) {
              const LinearInput in = ClipLinearInput(x, learned_clip, act_clip);
              return QLinearSim(in.x, w, b, bits, per_row, twn_clip, g, in.clip, groups);
            }
            return at::linear(QuantizeLinearInput(x, learned_clip, g, act_clip, groups), fn(w), b);
          }));
      continue;
    }
    if (sites[i].op == ir::OpType::kEmbedding && q->granularity == ir::WeightGranularity::kPerRow) {
      // Row-wise: the Embedding quantizes only the rows a batch reads (same values, a fraction of the work).
      if (q->bits == ir::WeightBits::kTernary) {
        const float clip = recipe.twn_clip;
        fn = [clip](const torch::Tensor& rows) { return FakeQuantTwnRows(rows, clip); };
      }
      QC_RETURN_IF_ERROR(model.SetWeightTransform(i, std::move(fn), WeightTransformScope::kRows));
      continue;
    }
    QC_RETURN_IF_ERROR(model.SetWeightTransform(i, std::move(fn)));
  }
  // Activations: the input of every Linear whose weight is quantized (QLinear quantizes its input).
  const auto& acts = model.activation_sites();
  for (size_t i = 0; i < acts.size(); ++i) {
    if (acts[i].point != ActivationPoint::kLinearInput) continue;
    const WeightSite* linear = nullptr;
    for (const WeightSite& s : sites) {
      if (s.node == acts[i].node && SiteWeightQuant(s, recipe).has_value()) linear = &s;
    }
    if (linear == nullptr || recipe.exact_linear || recipe.exact_eval) continue;  // the Linear function quantizes it
    const ActGranularity g = recipe.act_granularity;
    const float clip = recipe.act_clip;
    const int64_t groups = recipe.act_groups;
    const torch::Tensor learned_clip = model.QuantizerParameter(LearnedClipKey(*linear));
    QC_RETURN_IF_ERROR(model.SetActivationTransform(i, [g, clip, groups, learned_clip](const torch::Tensor& x) {
      return QuantizeLinearInput(x, learned_clip, g, clip, groups);
    }));
  }
  model.SetAttentionQuantization(recipe.quantize_attention, recipe.act_clip);
  return count;
}

Status AnnotateQuantization(const TorchModel& model, const QuantRecipe& recipe, ir::Graph& graph) {
  std::vector<std::pair<ir::NodeId, ir::QuantAnnotation>> plan;
  for (const WeightSite& s : model.weight_sites()) {
    const std::optional<ir::WeightQuant> q = SiteWeightQuant(s, recipe);
    if (!q) continue;
    // The node of `graph` reading the same weight constant with the same op.
    QC_ASSIGN_OR_RETURN(ir::ValueId w, graph.FindValue(s.weight));
    ir::NodeId found = ir::kNoNode;
    for (ir::NodeId n : graph.Consumers(w)) {
      const ir::Node& node = graph.node(n);
      if (node.op == s.op && node.inputs.size() > 1 && node.inputs[1] == w) found = n;
    }
    if (found == ir::kNoNode) {
      return NotFound("AnnotateQuantization: no " + std::string(ir::OpTypeName(s.op)) + " reads weight '" + s.weight +
                      "' in the graph");
    }
    ir::QuantAnnotation a;
    a.weight = *q;
    if (s.op == ir::OpType::kLinear) {
      a.activation = ActQuant(recipe, false);
      if (recipe.learn_act_clip) {
        const torch::Tensor alpha = model.QuantizerParameter(LearnedClipKey(s));
        if (!alpha.defined()) {
          return FailedPrecondition(
              "AnnotateQuantization: the recipe learns activation clips but the model has none "
              "for the Linear reading weight '" +
              s.weight + "' (ApplyQuantRecipe installs them)");
        }
        a.activation->clip = EffectiveLearnedClip(alpha);
      }
    }
    plan.emplace_back(found, a);
  }
  if (recipe.quantize_attention) {
    QC_ASSIGN_OR_RETURN(EncoderStructure structure, FindEncoderLayers(graph));
    if (structure.layers.size() != static_cast<size_t>(model.num_layers())) {
      return InvalidArgument("AnnotateQuantization: the graph has " + std::to_string(structure.layers.size()) +
                             " encoder layers, the model " + std::to_string(model.num_layers()));
    }
    for (const EncoderLayer& layer : structure.layers) {
      ir::QuantAnnotation a;
      a.activation = ActQuant(recipe, true);
      plan.emplace_back(layer.attention, a);
    }
  }
  for (const auto& [node, a] : plan) {
    QC_RETURN_IF_ERROR(ir::ValidateQuantAnnotation(a, graph.DescribeNode(node)));
  }
  ir::Rewriter rw(graph);
  for (auto& [node, a] : plan) QC_RETURN_IF_ERROR(rw.SetQuant(node, a));
  return Status::Ok();
}

}  // namespace qc::qat
