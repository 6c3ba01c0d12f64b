// Structural layer recognition (qat/encoder_layers.h) on imported and synthetic graphs. Torch-free.
#include "qat/encoder_layers.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "importers/hf/hf_importer.h"
#include "importers/onnx/import.h"
#include "ir/builder.h"
#include "tests/qat/synthetic_encoder.h"
#include "tests/support/test_paths.h"

namespace {

using qc::ir::OpType;
using qc::qat::LinearRole;

std::string NodeName(const qc::ir::Graph& g, qc::ir::NodeId n) {
  return n == qc::ir::kNoNode ? "" : g.node(n).name;
}

qc::ir::Graph ImportHf(const std::string& name) {
  auto r = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / name).string());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r->graph);
}

qc::ir::ValueId Zeros(qc::ir::GraphBuilder& b, const std::string& name, std::vector<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  auto t = qc::ir::Tensor::FromVector<float>(dims, std::vector<float>(static_cast<size_t>(n), 0.5f));
  REQUIRE(t.ok());
  auto v = b.AddConstant(name, *t);
  REQUIRE(v.ok());
  return *v;
}

qc::ir::ValueId Op(qc::ir::GraphBuilder& b, OpType op, const std::string& name, std::vector<qc::ir::ValueId> in,
                   qc::ir::Attributes attrs = {}) {
  auto v = b.AddOp(op, name, std::move(in), std::move(attrs));
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  return *v;
}

qc::ir::Attributes AttentionAttrs() {
  return {{qc::ir::AttrName::kNumHeads, int64_t{2}}, {qc::ir::AttrName::kScale, 0.5}};
}

}  // namespace

TEST_CASE("bert_tiny: two post-LN layers, every part named by the importer") {
  const qc::ir::Graph g = ImportHf("bert_tiny");
  auto s = qc::qat::FindEncoderLayers(g);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  REQUIRE(s->layers.size() == 2);
  for (const qc::qat::EncoderLayer& l : s->layers) {
    const std::string p = "bert.encoder.layer." + std::to_string(l.index) + ".";
    CHECK_FALSE(l.pre_ln);
    CHECK(NodeName(g, l.query) == p + "attention.self.query");
    CHECK(NodeName(g, l.key) == p + "attention.self.key");
    CHECK(NodeName(g, l.value) == p + "attention.self.value");
    CHECK(NodeName(g, l.attention) == p + "attention.self");
    CHECK(NodeName(g, l.attention_dense) == p + "attention.output.dense");
    CHECK(NodeName(g, l.attention_residual) == p + "attention.output.residual");
    CHECK(NodeName(g, l.attention_output_norm) == p + "attention.output.LayerNorm");
    CHECK(NodeName(g, l.ffn_in) == p + "intermediate.dense");
    CHECK(NodeName(g, l.ffn_activation) == p + "intermediate.intermediate_act_fn");
    CHECK(NodeName(g, l.ffn_out) == p + "output.dense");
    CHECK(NodeName(g, l.output_norm) == p + "output.LayerNorm");
    CHECK(l.attention_norm == qc::ir::kNoNode);
    CHECK(l.ffn_norm == qc::ir::kNoNode);
    CHECK(g.value(l.output).producer == l.output_norm);
    CHECK(g.value(l.attention_output).producer == l.attention_output_norm);
  }
  CHECK(g.node(g.value(s->layers[0].input).producer).name == "bert.embeddings.LayerNorm");
  CHECK(s->layers[1].input == s->layers[0].output);

  int layer = 7;
  CHECK(s->RoleOf(s->layers[1].value, &layer) == LinearRole::kValue);
  CHECK(layer == 1);
  const qc::ir::NodeId classifier = g.value(g.outputs()[0]).producer;
  CHECK(s->RoleOf(classifier, &layer) == LinearRole::kOther);
  CHECK(layer == -1);
  CHECK(s->LayerOfAttention(s->layers[1].attention) == 1);
  CHECK(qc::qat::LinearRoleName(LinearRole::kFfnOut) == "ffn_out");
}

TEST_CASE("vit_tiny and an ONNX ViT: pre-LN layers") {
  const qc::ir::Graph g = ImportHf("vit_tiny");
  auto s = qc::qat::FindEncoderLayers(g);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  REQUIRE(s->layers.size() == 2);
  const qc::qat::EncoderLayer& l = s->layers[1];
  CHECK(l.pre_ln);
  CHECK(NodeName(g, l.attention_norm) == "vit.encoder.layer.1.layernorm_before");
  CHECK(NodeName(g, l.ffn_norm) == "vit.encoder.layer.1.layernorm_after");
  CHECK(l.attention_output_norm == qc::ir::kNoNode);
  CHECK(l.output_norm == qc::ir::kNoNode);
  CHECK(l.attention_output == g.node(l.attention_residual).outputs[0]);
  CHECK(l.output == g.node(l.ffn_residual).outputs[0]);
  // The final LayerNorm reads the last layer's output.
  CHECK(g.Consumers(l.output).size() == 1);

  auto onnx = qc::onnx_import::ImportOnnx((qc::test::FixturesDir() / "onnx/vit_opset14_sdpa/model.onnx").string());
  REQUIRE_MESSAGE(onnx.ok(), onnx.status().ToString());
  auto so = qc::qat::FindEncoderLayers(onnx->graph);
  REQUIRE_MESSAGE(so.ok(), so.status().ToString());
  CHECK(so->layers.size() == 2);
  CHECK(so->layers[0].pre_ln);
}

TEST_CASE("synthetic encoders of both placements and a graph without attention") {
  for (bool pre_ln : {false, true}) {
    qc::qat::test::SyntheticEncoderSpec spec;
    spec.layers = 3;
    spec.pre_ln = pre_ln;
    auto g = qc::qat::test::BuildSyntheticEncoder(spec);
    REQUIRE_MESSAGE(g.ok(), g.status().ToString());
    auto s = qc::qat::FindEncoderLayers(*g);
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    REQUIRE(s->layers.size() == 3);
    for (const auto& l : s->layers) CHECK(l.pre_ln == pre_ln);
  }
  qc::ir::GraphBuilder b;
  auto x = b.AddInput("x", qc::ir::DType::kF32, {"batch", 4});
  REQUIRE(x.ok());
  const qc::ir::ValueId y = Op(b, OpType::kLinear, "fc", {*x, Zeros(b, "w", {2, 4})});
  REQUIRE(b.MarkOutput(y, "y").ok());
  auto g = std::move(b).Build();
  REQUIRE(g.ok());
  auto s = qc::qat::FindEncoderLayers(*g);
  REQUIRE(s.ok());
  CHECK(s->layers.empty());
}

TEST_CASE("unrecognised structures fail naming the layer, node and expectation") {
  SUBCASE("q is not produced by a Linear") {
    qc::ir::GraphBuilder b;
    auto x = b.AddInput("x", qc::ir::DType::kF32, {"batch", "sequence", 4});
    REQUIRE(x.ok());
    const auto k = Op(b, OpType::kLinear, "k", {*x, Zeros(b, "wk", {4, 4})});
    const auto v = Op(b, OpType::kLinear, "v", {*x, Zeros(b, "wv", {4, 4})});
    const auto a = Op(b, OpType::kAttention, "attn", {*x, k, v}, AttentionAttrs());
    REQUIRE(b.MarkOutput(a, "y").ok());
    auto g = std::move(b).Build();
    REQUIRE(g.ok());
    auto s = qc::qat::FindEncoderLayers(*g);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == qc::StatusCode::kUnsupported);
    CHECK(s.status().message().find("encoder layer 0 (node 'attn' (Attention)): input 'q'") != std::string::npos);
    CHECK(s.status().message().find("not the output of a Linear") != std::string::npos);
  }
  SUBCASE("attention block without an FFN") {
    qc::ir::GraphBuilder b;
    auto x = b.AddInput("x", qc::ir::DType::kF32, {"batch", "sequence", 4});
    REQUIRE(x.ok());
    const auto q = Op(b, OpType::kLinear, "q", {*x, Zeros(b, "wq", {4, 4})});
    const auto k = Op(b, OpType::kLinear, "k", {*x, Zeros(b, "wk", {4, 4})});
    const auto v = Op(b, OpType::kLinear, "v", {*x, Zeros(b, "wv", {4, 4})});
    const auto a = Op(b, OpType::kAttention, "attn", {q, k, v}, AttentionAttrs());
    const auto d = Op(b, OpType::kLinear, "dense", {a, Zeros(b, "wd", {4, 4})});
    const auto r = Op(b, OpType::kAdd, "residual", {d, *x});
    const auto n = Op(b, OpType::kLayerNorm, "ln", {r, Zeros(b, "g", {4}), Zeros(b, "bt", {4})},
                      {{qc::ir::AttrName::kEpsilon, 1e-12}});
    REQUIRE(b.MarkOutput(n, "y").ok());
    auto g = std::move(b).Build();
    REQUIRE(g.ok());
    auto s = qc::qat::FindEncoderLayers(*g);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("no FFN residual found") != std::string::npos);
    CHECK(s.status().message().find("docs/qat.md") != std::string::npos);
  }
}
