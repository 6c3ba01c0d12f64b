// TorchModel in float reproduces the fixtures' reference outputs (PyTorch / onnxruntime) and its taps mean what
// qat/torch_model.h says.
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <cstdio>
#include <memory>
#include <string>

#include "importers/hf/hf_importer.h"
#include "importers/onnx/import.h"
#include "qat/torch_guard.h"
#include "qat/torch_model.h"

namespace {

using qc::qat::test::BitIdentical;
using qc::qat::test::FixtureDir;
using qc::qat::test::MaxAbsDiff;
using qc::qat::test::ReadTensorDir;

struct Loaded {
  qc::ir::Graph graph;
  std::map<std::string, torch::Tensor> inputs;
  std::map<std::string, torch::Tensor> expected;
};

// "hf/bert_tiny" (reference/) or "onnx/<name>" (test_data_set_0/: onnxruntime's outputs).
Loaded Load(const std::string& fixture) {
  Loaded l;
  const auto dir = FixtureDir(fixture);
  std::filesystem::path data;
  if (fixture.rfind("hf/", 0) == 0) {
    auto r = qc::hf::ImportHfDirectory(dir.string());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    l.graph = std::move(r->graph);
    data = dir / "reference";
  } else {
    auto r = qc::onnx_import::ImportOnnx((dir / "model.onnx").string());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    l.graph = std::move(r->graph);
    data = dir / "test_data_set_0";
  }
  auto inputs = ReadTensorDir(data, "input_");
  REQUIRE_MESSAGE(inputs.ok(), inputs.status().ToString());
  auto outputs = ReadTensorDir(data, "output_");
  REQUIRE_MESSAGE(outputs.ok(), outputs.status().ToString());
  l.inputs = std::move(*inputs);
  l.expected = std::move(*outputs);
  return l;
}

std::unique_ptr<qc::qat::TorchModel> BuildModel(const qc::ir::Graph& graph) {
  auto model = qc::qat::TorchModel::Build(graph);
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  return std::move(*model);
}

qc::qat::ForwardResult Run(const qc::qat::TorchModel& model, const std::map<std::string, torch::Tensor>& inputs,
                           const qc::qat::ForwardOptions& options = {}) {
  auto r = model.Forward(inputs, options);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(*r);
}

torch::Tensor Param(const qc::qat::TorchModel& model, const qc::ir::Graph& g, qc::ir::NodeId node, size_t input) {
  auto p = model.Parameter(g.value(g.node(node).inputs[input]).name);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  return *p;
}

}  // namespace

TEST_CASE("float forward reproduces every fixture within 1e-4, deterministically") {
  qc::qat::SetTorchThreads(2);
  const char* const fixtures[] = {
      "hf/bert_tiny",
      "hf/vit_tiny",
      "onnx/bert_opset11_eager",
      "onnx/bert_opset14_eager",
      "onnx/bert_opset14_gelutanh_eager",
      "onnx/bert_opset14_sdpa",
      "onnx/bert_opset14_sdpa_nomask",
      "onnx/bert_opset17_eager",
      "onnx/bert_opset17_sdpa",
      "onnx/bert_opset18_dynamo_sdpa",
      "onnx/bertmodel_opset14_sdpa",
      "onnx/vit_opset11_eager",
      "onnx/vit_opset14_eager",
      "onnx/vit_opset14_sdpa",
      "onnx/vit_opset17_sdpa",
  };
  std::string report;
  for (const std::string fixture : fixtures) {
    CAPTURE(fixture);
    const Loaded l = Load(fixture);
    const auto model = BuildModel(l.graph);
    CHECK(model->num_layers() == 2);
    const qc::qat::ForwardResult first = Run(*model, l.inputs);
    REQUIRE(first.outputs.size() == l.expected.size());
    for (size_t i = 0; i < first.names.size(); ++i) {
      CAPTURE(first.names[i]);
      REQUIRE(l.expected.count(first.names[i]) == 1);
      const torch::Tensor& want = l.expected.at(first.names[i]);
      REQUIRE(first.outputs[i].sizes() == want.sizes());
      const double diff = MaxAbsDiff(first.outputs[i], want);
      CHECK(diff <= 1e-4);
      char text[32];
      std::snprintf(text, sizeof(text), "%.3g", diff);
      report += "\n  " + fixture + " " + first.names[i] + ": " + text;
    }
    const qc::qat::ForwardResult second = Run(*model, l.inputs);
    for (size_t i = 0; i < first.outputs.size(); ++i) CHECK(BitIdentical(first.outputs[i], second.outputs[i]));
  }
  MESSAGE("max |torch - reference| per fixture output:" << report);
}

TEST_CASE("parameters: every weight constant, sanitised names, requires_grad") {
  const Loaded l = Load("hf/bert_tiny");
  const auto model = BuildModel(l.graph);
  // 5 embedding tensors (word, position, type, LN gamma/beta) + 16 per layer + pooler 2 + classifier 2.
  CHECK(model->parameter_info().size() == 5 + 2 * 16 + 4);
  CHECK(model->parameters().size() == model->parameter_info().size());
  for (const qc::qat::ParameterInfo& p : model->parameter_info()) {
    CHECK(p.torch_name.find('.') == std::string::npos);
    CHECK(model->module().named_parameters().contains(p.torch_name));
  }
  for (const torch::Tensor& p : model->parameters()) CHECK(p.requires_grad());
  auto q = model->Parameter("bert.encoder.layer.1.attention.self.query.weight");
  REQUIRE(q.ok());
  CHECK(q->sizes() == torch::IntArrayRef({64, 64}));
  CHECK(model->module().named_parameters()["bert_encoder_layer_1_attention_self_query_weight"].is_same(*q));
  CHECK(model->Parameter("nope").status().code() == qc::StatusCode::kNotFound);

  // Weight sites: 14 Linears + 2 Embeddings; activation sites: 14 Linear inputs + 4 per Attention.
  CHECK(model->weight_sites().size() == 16);
  CHECK(model->activation_sites().size() == 14 + 2 * 4);
  int outputs = 0;
  for (const qc::qat::WeightSite& s : model->weight_sites()) outputs += s.produces_graph_output ? 1 : 0;
  CHECK(outputs == 1);  // the classifier
  CHECK(model->weight_sites()[0].input == "input_ids");
}

TEST_CASE("taps of a post-LN encoder (bertmodel_opset14_sdpa) mean what the header says") {
  const Loaded l = Load("onnx/bertmodel_opset14_sdpa");
  const auto model = BuildModel(l.graph);
  const qc::qat::ForwardResult none = Run(*model, l.inputs);
  CHECK(none.taps.layers.empty());
  CHECK_FALSE(none.taps.embedding_output.defined());

  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapAll;
  const qc::qat::ForwardResult r = Run(*model, l.inputs, options);
  const qc::ir::Graph& g = l.graph;
  REQUIRE(r.taps.layers.size() == 2);
  const std::vector<torch::Tensor> hidden = r.taps.HiddenStates();
  REQUIRE(hidden.size() == 3);
  CHECK(BitIdentical(hidden[2], r.Output("last_hidden_state")));
  CHECK(BitIdentical(r.taps.layers[1].input, r.taps.layers[0].output));
  CHECK(BitIdentical(r.taps.layers[0].input, r.taps.embedding_output));
  CHECK(MaxAbsDiff(hidden[2], l.expected.at("last_hidden_state")) <= 1e-4);

  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    const qc::qat::LayerTaps& t = r.taps.layers[static_cast<size_t>(i)];
    const qc::qat::EncoderLayer& layer = model->structure().layers[static_cast<size_t>(i)];
    CHECK(t.scores.sizes() == torch::IntArrayRef({2, 4, 16, 16}));
    CHECK(MaxAbsDiff(torch::softmax(t.scores, -1), t.probs) == 0.0);
    CHECK(MaxAbsDiff(t.probs.sum(-1), torch::ones({2, 4, 16})) <= 1e-6);
    // Row 0 pads its last 4 tokens: the scores carry the mask fill there, the probabilities are 0.
    CHECK(t.scores.index({0, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(12)})
              .max()
              .item<float>() < -1e38f);
    CHECK(t.probs.index({0, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(12)})
              .abs()
              .max()
              .item<float>() == 0.0f);
    CHECK(t.context.sizes() == torch::IntArrayRef({2, 16, 64}));
    const torch::Tensor dense = torch::linear(t.context, Param(*model, g, layer.attention_dense, 1),
                                              Param(*model, g, layer.attention_dense, 2));
    CHECK(MaxAbsDiff(dense, t.attention_dense) == 0.0);
    const qc::ir::NodeId ln = layer.attention_output_norm;
    const torch::Tensor attention_output =
        torch::layer_norm(t.attention_dense + t.input, {64}, Param(*model, g, ln, 1), Param(*model, g, ln, 2), 1e-12);
    CHECK(MaxAbsDiff(attention_output, t.attention_output) <= 1e-6);
  }

  options.taps = qc::qat::kTapScores;
  const qc::qat::ForwardResult only = Run(*model, l.inputs, options);
  CHECK(only.taps.layers[1].scores.defined());
  CHECK_FALSE(only.taps.layers[1].probs.defined());
  CHECK_FALSE(only.taps.layers[1].output.defined());
  CHECK_FALSE(only.taps.embedding_output.defined());
}

TEST_CASE("taps of a pre-LN encoder (vit_tiny): attention_output is the residual sum") {
  const Loaded l = Load("hf/vit_tiny");
  const auto model = BuildModel(l.graph);
  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapAll;
  const qc::qat::ForwardResult r = Run(*model, l.inputs, options);
  REQUIRE(r.taps.layers.size() == 2);
  for (const qc::qat::LayerTaps& t : r.taps.layers) {
    CHECK(t.scores.sizes() == torch::IntArrayRef({2, 4, 17, 17}));
    CHECK(BitIdentical(t.attention_output, t.attention_dense + t.input));
    CHECK(t.output.sizes() == torch::IntArrayRef({2, 17, 64}));
  }
  CHECK(r.taps.embedding_output.sizes() == torch::IntArrayRef({2, 17, 64}));
}

TEST_CASE("forward + backward is deterministic: identical gradients bit for bit") {
  qc::qat::SetTorchThreads(2);
  const Loaded l = Load("hf/bert_tiny");
  const auto model = BuildModel(l.graph);
  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapAll;
  std::vector<std::vector<torch::Tensor>> grads;
  for (int run = 0; run < 2; ++run) {
    model->module().zero_grad();
    const qc::qat::ForwardResult r = Run(*model, l.inputs, options);
    (r.outputs[0].pow(2).sum() + r.taps.layers[1].scores.clamp_min(-100).pow(2).mean()).backward();
    grads.emplace_back();
    for (const torch::Tensor& p : model->parameters()) grads.back().push_back(p.grad().clone());
  }
  REQUIRE(grads[0].size() == model->parameters().size());
  for (size_t i = 0; i < grads[0].size(); ++i) {
    CAPTURE(model->parameter_info()[i].ir_name);
    CHECK(BitIdentical(grads[0][i], grads[1][i]));
  }
}
