#include "test_graphs.h"

#include <cmath>

namespace qc::ir::test {
namespace {

// "/bert/encoder/layer/0/attention/Add" from a dotted parameter prefix, like ONNX node names.
std::string NodeName(const std::string& prefix, const std::string& suffix) {
  std::string name = "/" + prefix + "/" + suffix;
  for (char& c : name) c = c == '.' ? '/' : c;
  return name;
}

ValueId Op(GraphBuilder& b, OpType op, const std::string& name, std::vector<ValueId> inputs, Attributes attrs = {},
           std::string output_name = "") {
  return Must(b.AddOp(op, name, std::move(inputs), std::move(attrs), std::move(output_name)));
}

ValueId Linear(GraphBuilder& b, const std::string& prefix, ValueId x, int64_t in, int64_t out, uint64_t seed) {
  const ValueId w = AddWeight(b, prefix + ".weight", {out, in}, seed);
  const ValueId bias = AddWeight(b, prefix + ".bias", {out}, seed + 1);
  return Op(b, OpType::kLinear, NodeName(prefix, "MatMul"), {x, w, bias});
}

ValueId LayerNorm(GraphBuilder& b, const std::string& prefix, ValueId x, int64_t hidden, uint64_t seed) {
  const ValueId gamma = AddWeight(b, prefix + ".weight", {hidden}, seed);
  const ValueId beta = AddWeight(b, prefix + ".bias", {hidden}, seed + 1);
  return Op(b, OpType::kLayerNorm, NodeName(prefix, "LayerNormalization"), {x, gamma, beta},
            {{AttrName::kEpsilon, 1e-12}});
}

// One post-LN BERT encoder layer; ViT reuses it (the tests care about structure, not pre/post-LN fidelity).
ValueId EncoderLayer(GraphBuilder& b, const std::string& prefix, ValueId x, ValueId mask, int64_t hidden, int64_t heads,
                     int64_t ffn, uint64_t seed) {
  const ValueId q = Linear(b, prefix + ".attention.self.query", x, hidden, hidden, seed);
  const ValueId k = Linear(b, prefix + ".attention.self.key", x, hidden, hidden, seed + 2);
  const ValueId v = Linear(b, prefix + ".attention.self.value", x, hidden, hidden, seed + 4);
  std::vector<ValueId> attention_inputs = {q, k, v};
  if (mask != kNoValue) attention_inputs.push_back(mask);
  const double scale = 1.0 / std::sqrt(static_cast<double>(hidden / heads));
  const ValueId context = Op(b, OpType::kAttention, NodeName(prefix, "attention/self/Attention"), attention_inputs,
                             {{AttrName::kNumHeads, heads}, {AttrName::kScale, scale}});
  const ValueId attention_out = Linear(b, prefix + ".attention.output.dense", context, hidden, hidden, seed + 6);
  const ValueId residual1 = Op(b, OpType::kAdd, NodeName(prefix, "attention/output/Add"), {attention_out, x});
  const ValueId ln1 = LayerNorm(b, prefix + ".attention.output.LayerNorm", residual1, hidden, seed + 8);
  const ValueId up = Linear(b, prefix + ".intermediate.dense", ln1, hidden, ffn, seed + 10);
  const ValueId gelu = Op(b, OpType::kGelu, NodeName(prefix, "intermediate/Gelu"), {up});
  const ValueId down = Linear(b, prefix + ".output.dense", gelu, ffn, hidden, seed + 12);
  const ValueId residual2 = Op(b, OpType::kAdd, NodeName(prefix, "output/Add"), {down, ln1});
  return LayerNorm(b, prefix + ".output.LayerNorm", residual2, hidden, seed + 14);
}

}  // namespace

ValueId OutputOfNode(const Graph& graph, const std::string& node_name) {
  for (const Node& node : graph.nodes()) {
    if (node.name == node_name && !node.erased) return node.outputs.front();
  }
  FAIL("no node named " << node_name);
  return kNoValue;
}

std::vector<float> Weights(size_t count, uint64_t seed) {
  std::vector<float> values(count);
  uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (float& value : values) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto step = static_cast<int64_t>((state >> 33) % 2049) - 1024;  // [-1024, 1024]
    value = static_cast<float>(step) / 1024.0f;                           // exact in binary
  }
  return values;
}

ValueId AddWeight(GraphBuilder& builder, const std::string& name, std::vector<int64_t> dims, uint64_t seed) {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  Tensor tensor = Must(Tensor::FromVector<float>(std::move(dims), Weights(static_cast<size_t>(count), seed)));
  return Must(builder.AddConstant(name, std::move(tensor)));
}

Graph TinyBert(TinyBertIds* ids) {
  constexpr int64_t kVocab = 32, kHidden = 16, kHeads = 2, kFfn = 32, kPositions = 8, kLabels = 2;
  GraphBuilder b;
  const ValueId input_ids = Must(b.AddInput("input_ids", DType::kI64, {"batch", "sequence"}));
  const ValueId attention_mask = Must(b.AddInput("attention_mask", DType::kI64, {"batch", "sequence"}));
  const ValueId token_type_ids = Must(b.AddInput("token_type_ids", DType::kI64, {"batch", "sequence"}));

  const ValueId word_table = AddWeight(b, "bert.embeddings.word_embeddings.weight", {kVocab, kHidden}, 1);
  const ValueId type_table = AddWeight(b, "bert.embeddings.token_type_embeddings.weight", {2, kHidden}, 2);
  const ValueId position_table = AddWeight(b, "bert.embeddings.position_embeddings.weight", {kPositions, kHidden}, 3);
  const ValueId words = Op(b, OpType::kEmbedding, "/bert/embeddings/word_embeddings/Gather", {input_ids, word_table});
  const ValueId types =
      Op(b, OpType::kEmbedding, "/bert/embeddings/token_type_embeddings/Gather", {token_type_ids, type_table});
  const ValueId sum = Op(b, OpType::kAdd, "/bert/embeddings/Add", {words, types});
  const ValueId positioned = Op(b, OpType::kAddPositionEmbedding, "/bert/embeddings/Add_1", {sum, position_table});
  const ValueId embeddings = LayerNorm(b, "bert.embeddings.LayerNorm", positioned, kHidden, 4);

  const ValueId encoded =
      EncoderLayer(b, "bert.encoder.layer.0", embeddings, attention_mask, kHidden, kHeads, kFfn, 10);
  const ValueId cls = Op(b, OpType::kSelectToken, "/bert/pooler/Gather", {encoded});
  const ValueId pooled = Linear(b, "bert.pooler.dense", cls, kHidden, kHidden, 40);
  const ValueId pooled_tanh = Op(b, OpType::kTanh, "/bert/pooler/activation/Tanh", {pooled});
  const ValueId logits = Linear(b, "classifier", pooled_tanh, kHidden, kLabels, 50);
  REQUIRE(b.MarkOutput(logits, "logits").ok());

  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = static_cast<int>(vocab.size()); i < kVocab; ++i) vocab.push_back("tok" + std::to_string(i));
  b.SetMetadata("tokenizer.vocab", vocab);
  b.SetMetadata("tokenizer.lowercase", int64_t{1});
  b.SetMetadata("tokenizer.special_ids", std::vector<int64_t>{0, 1, 2, 3, 4});
  b.SetMetadata("source.format", std::string("onnx"));

  if (ids != nullptr) {
    ids->input_ids = input_ids;
    ids->attention_mask = attention_mask;
    ids->token_type_ids = token_type_ids;
    ids->embeddings_ln = embeddings;
    ids->gelu = OutputOfNode(b.graph(), "/bert/encoder/layer/0/intermediate/Gelu");
    ids->logits = logits;
  }
  return Must(std::move(b).Build());
}

Graph TinyVit() {
  constexpr int64_t kChannels = 3, kImage = 8, kPatch = 4, kHidden = 16, kHeads = 4, kFfn = 32, kLabels = 3;
  constexpr int64_t kTokens = (kImage / kPatch) * (kImage / kPatch) + 1;
  GraphBuilder b;
  const ValueId pixels = Must(b.AddInput("pixel_values", DType::kF32, {"batch", kChannels, kImage, kImage}));
  const ValueId patch_weight =
      AddWeight(b, "vit.embeddings.patch_embeddings.projection.weight", {kHidden, kChannels, kPatch, kPatch}, 1);
  const ValueId patch_bias = AddWeight(b, "vit.embeddings.patch_embeddings.projection.bias", {kHidden}, 2);
  const ValueId cls_token = AddWeight(b, "vit.embeddings.cls_token", {1, 1, kHidden}, 3);
  const ValueId positions = AddWeight(b, "vit.embeddings.position_embeddings", {kTokens, kHidden}, 4);
  const ValueId patches = Op(b, OpType::kPatchEmbed, "/vit/embeddings/patch_embeddings/projection/Conv",
                             {pixels, patch_weight, patch_bias}, {{AttrName::kPatch, kPatch}});
  const ValueId tokens = Op(b, OpType::kPrependToken, "/vit/embeddings/Concat", {patches, cls_token});
  const ValueId embedded = Op(b, OpType::kAddPositionEmbedding, "/vit/embeddings/Add", {tokens, positions});
  const ValueId encoded = EncoderLayer(b, "vit.encoder.layer.0", embedded, kNoValue, kHidden, kHeads, kFfn, 10);
  const ValueId cls = Op(b, OpType::kSelectToken, "/vit/Gather", {encoded});
  const ValueId logits = Linear(b, "classifier", cls, kHidden, kLabels, 30);
  REQUIRE(b.MarkOutput(logits, "logits").ok());
  b.SetMetadata("image.mean", std::vector<double>{0.5, 0.5, 0.5});
  b.SetMetadata("image.size", std::vector<int64_t>{kImage, kImage});
  return Must(std::move(b).Build());
}

}  // namespace qc::ir::test
