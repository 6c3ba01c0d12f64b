// Every real-exporter fixture (tests/fixtures/onnx and onnx_extra) imports, verifies, has the expected op census
// and I/O signature, and equivalent exports canonicalise to the same IR.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "importers/onnx/model_file.h"
#include "ir/verifier.h"
#include "test_support.h"

namespace fs = std::filesystem;
using qc::test::ImportFixture;
using qc::test::NormalizedText;
using qc::test::OpCensus;

namespace {

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path.string());
  return nlohmann::json::parse(in);
}

std::vector<std::string> AllFixtures() {
  std::vector<std::string> out;
  for (const char* root : {"onnx", "onnx_extra"}) {
    for (const auto& e : fs::directory_iterator(qc::test::FixturesDir() / root)) {
      if (e.is_directory() && fs::exists(e.path() / "model.onnx"))
        out.push_back(std::string(root) + "/" + e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ShapeText(const qc::ir::Graph& g, qc::ir::ValueId v) {
  return std::string(qc::ir::DTypeName(g.value(v).dtype)) + qc::ir::ToString(g.value(v).shape);
}

// Attributes of the first node with `op`.
const qc::ir::Node* FirstNode(const qc::ir::Graph& g, qc::ir::OpType op) {
  for (const qc::ir::Node& n : g.nodes()) {
    if (!n.erased && n.op == op) return &n;
  }
  return nullptr;
}

void CheckFixture(const std::string& dir) {
  CAPTURE(dir);
  const fs::path path = qc::test::FixturesDir() / dir;
  const nlohmann::json meta = ReadJson(path / "fixture.json");
  auto result = ImportFixture(dir);
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  const qc::ir::Graph& g = result->graph;
  CHECK_MESSAGE(qc::ir::Verify(g).ok(), qc::ir::Verify(g).ToString());

  // Metadata and report.
  CHECK(std::get<std::string>(g.metadata().at("source.format")) == "onnx");
  CHECK(std::get<std::string>(g.metadata().at("source.producer")) == meta["producer"].get<std::string>());
  CHECK(std::get<int64_t>(g.metadata().at("source.opset")) == meta["opset"].get<int64_t>());
  CHECK(result->report.opset == meta["opset"].get<int64_t>());

  // I/O signature: the ONNX names in order, symbolic batch / sequence.
  const auto& inputs = meta["inputs"];
  REQUIRE(g.inputs().size() == inputs.size());
  const bool vit = meta["model_class"].get<std::string>().rfind("ViT", 0) == 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    CHECK(g.value(g.inputs()[k]).name == inputs[k].get<std::string>());
    CHECK(ShapeText(g, g.inputs()[k]) == (vit ? "f32[batch, 3, 32, 32]" : "i64[batch, sequence]"));
    // The recorded test inputs have the same names and element types.
    auto tensor =
        qc::onnx_import::ReadTensorFile((path / "test_data_set_0" / ("input_" + std::to_string(k) + ".pb")).string());
    REQUIRE(tensor.ok());
    CHECK(tensor->name() == inputs[k].get<std::string>());
  }
  const auto& outputs = meta["outputs"];
  REQUIRE(g.outputs().size() == outputs.size());
  const auto& config = meta["config"];
  const int64_t layers = config["num_hidden_layers"], hidden = config["hidden_size"];
  const int64_t heads = config["num_attention_heads"];
  const std::string model_class = meta["model_class"];
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::string name = outputs[k];
    CHECK(g.value(g.outputs()[k]).name == name);
    std::string want;
    if (name == "logits") want = "f32[batch, " + std::to_string(config["num_labels"].get<int64_t>()) + "]";
    if (name == "last_hidden_state") want = "f32[batch, sequence, " + std::to_string(hidden) + "]";
    if (name == "pooler_output" || name == "sentence_embedding") want = "f32[batch, " + std::to_string(hidden) + "]";
    CHECK(ShapeText(g, g.outputs()[k]) == want);
  }

  // Op census from the config.
  const auto census = OpCensus(g);
  auto count = [&](const char* op) { return census.count(op) ? census.at(op) : 0; };
  const bool classifier = model_class.find("Classification") != std::string::npos;
  const bool sentence = model_class == "SentenceEmbedding";  // mean pooling + L2 normalisation instead of a pooler
  CHECK(count("Attention") == layers);
  CHECK(count("LayerNorm") == 2 * layers + 1);
  CHECK(count("Gelu") == layers);
  CHECK(count("Linear") == 6 * layers + (vit || sentence ? 0 : 1) + (classifier ? 1 : 0));
  CHECK(count("SelectToken") == (sentence ? 0 : 1));
  CHECK(count("MeanPool") == (sentence ? 1 : 0));
  CHECK(count("L2Normalize") == (sentence ? 1 : 0));
  CHECK(count("AddPositionEmbedding") == 1);
  if (vit) {
    CHECK(count("PatchEmbed") == 1);
    CHECK(count("PrependToken") == 1);
    CHECK(count("Add") == 2 * layers);
    CHECK(count("Embedding") == 0);
  } else {
    const bool has_token_types = std::find(inputs.begin(), inputs.end(), "token_type_ids") != inputs.end();
    CHECK(count("Embedding") == (has_token_types ? 2 : 1));
    CHECK(count("Add") == 2 * layers + 1);  // residuals + (word + token type)
    CHECK(count("Tanh") == (sentence ? 0 : 1));
  }
  CHECK(g.nodes().size() == static_cast<size_t>(result->report.ir_nodes));

  // Attention attributes: heads from the config, scale 1/sqrt(head_dim), mask when the model has one.
  const qc::ir::Node* attn = FirstNode(g, qc::ir::OpType::kAttention);
  REQUIRE(attn != nullptr);
  CHECK(*attn->attributes.GetInt(qc::ir::AttrName::kNumHeads, "") == heads);
  CHECK(*attn->attributes.GetFloat(qc::ir::AttrName::kScale, "") == doctest::Approx(1.0 / std::sqrt(hidden / heads)));
  const bool masked = std::find(inputs.begin(), inputs.end(), "attention_mask") != inputs.end();
  CHECK((attn->inputs.size() > 3 && attn->inputs[3] != qc::ir::kNoValue) == masked);
  if (masked) {
    CHECK(g.value(attn->inputs[3]).name == "attention_mask");
    const double fill = *attn->attributes.GetFloat(qc::ir::AttrName::kMaskFill, "");
    const bool ort = dir.find("_ort") != std::string::npos;
    CHECK(fill == (ort ? -10000.0 : static_cast<double>(std::numeric_limits<float>::lowest())));
  }
  CHECK(result->report.num_heads == heads);
  CHECK(result->report.hidden_size == hidden);
  CHECK(result->report.num_layers == layers);
  CHECK(result->report.fusions.at("attention") == layers);

  const qc::ir::Node* gelu = FirstNode(g, qc::ir::OpType::kGelu);
  const std::string act = config.value("hidden_act", "gelu");
  CHECK(*gelu->attributes.GetGeluApproximation(qc::ir::AttrName::kApproximate, "") ==
        (act == "gelu_new" ? qc::ir::GeluApproximation::kTanh : qc::ir::GeluApproximation::kNone));
  const qc::ir::Node* ln = FirstNode(g, qc::ir::OpType::kLayerNorm);
  CHECK(*ln->attributes.GetFloat(qc::ir::AttrName::kEpsilon, "") ==
        static_cast<double>(static_cast<float>(config["layer_norm_eps"].get<double>())));
}

std::string Normalized(const std::string& dir) {
  auto r = ImportFixture(dir);
  REQUIRE_MESSAGE(r.ok(), dir << ": " << r.status().ToString());
  return NormalizedText(r->graph);
}

}  // namespace

TEST_CASE("every fixture imports with the expected census and signature") {
  const std::vector<std::string> fixtures = AllFixtures();
  CHECK(fixtures.size() >= 20);
  for (const std::string& dir : fixtures) CheckFixture(dir);
}

TEST_CASE("all exports of one BERT canonicalise to the same IR") {
  const std::string reference = Normalized("onnx/bert_opset14_sdpa");
  for (const char* dir : {"onnx/bert_opset11_eager", "onnx/bert_opset14_eager", "onnx/bert_opset17_eager",
                          "onnx/bert_opset17_sdpa", "onnx/bert_opset18_dynamo_sdpa", "onnx_extra/bert_external_data"}) {
    INFO("fixture " << std::string(dir));
    CHECK(Normalized(dir) == reference);
  }
  // ORT's fused Attention masks with its mask_filter_value (-10000): the only difference.
  std::string ort_reference = reference;
  const std::string lowest = "mask_fill = -3.4028234663852886e+38";
  for (size_t at = ort_reference.find(lowest); at != std::string::npos; at = ort_reference.find(lowest, at)) {
    ort_reference.replace(at, lowest.size(), "mask_fill = -10000.0");
  }
  CHECK(ort_reference != reference);
  for (const char* dir : {"onnx_extra/bert_ort_attention", "onnx_extra/bert_ort_attention_mask2d",
                          "onnx_extra/bert_ort_mha", "onnx_extra/bert_ort_gelu"}) {
    INFO("fixture " << std::string(dir));
    CHECK(Normalized(dir) == ort_reference);
  }
}

TEST_CASE("tanh-GELU exports canonicalise alike, and differ from erf-GELU only in the activation") {
  const std::string eager = Normalized("onnx/bert_opset14_gelutanh_eager");
  const std::string ort = Normalized("onnx_extra/bert_ort_fastgelu");
  CHECK(ort.find("approximate = tanh") != std::string::npos);
  std::string ort_as_eager = ort;
  for (size_t at = ort_as_eager.find("-10000.0"); at != std::string::npos; at = ort_as_eager.find("-10000.0", at)) {
    ort_as_eager.replace(at, 8, "-3.4028234663852886e+38");
  }
  CHECK(ort_as_eager == eager);
  std::string erf = Normalized("onnx/bert_opset14_eager");
  for (size_t at = erf.find("approximate = none"); at != std::string::npos; at = erf.find("approximate = none", at)) {
    erf.replace(at, 18, "approximate = tanh");
  }
  CHECK(erf == eager);
}

TEST_CASE("the BertModel export has the classifier's encoder and pooler") {
  std::string features = Normalized("onnx/bertmodel_opset14_sdpa");
  CHECK(features.find("%last_hidden_state") != std::string::npos);
  CHECK(features.find("%pooler_output") != std::string::npos);
  CHECK(features.find("%logits") == std::string::npos);
}

TEST_CASE("all exports of one ViT canonicalise to the same IR") {
  const std::string reference = Normalized("onnx/vit_opset14_sdpa");
  for (const char* dir :
       {"onnx/vit_opset11_eager", "onnx/vit_opset14_eager", "onnx/vit_opset17_sdpa", "onnx_extra/vit_ort"}) {
    INFO("fixture " << std::string(dir));
    CHECK(Normalized(dir) == reference);
  }
}

TEST_CASE("golden IR text for one BERT and one ViT export") {
  for (const char* dir : {"bert_opset14_sdpa", "vit_opset14_sdpa"}) {
    INFO("fixture " << std::string(dir));
    auto r = ImportFixture(std::string("onnx/") + dir);
    REQUIRE(r.ok());
    std::string message;
    CHECK_MESSAGE(qc::test::MatchesGolden(qc::ir::PrintGraph(r->graph), std::string(dir) + ".txt", &message), message);
  }
}

TEST_CASE("the coverage report counts every pattern") {
  auto r = ImportFixture("onnx/bert_opset14_sdpa");
  REQUIRE(r.ok());
  const auto& f = r->report.fusions;
  CHECK(f.at("attention") == 2);
  CHECK(f.at("attention_mask") == 2);
  CHECK(f.at("layernorm") == 5);
  CHECK(f.at("gelu") == 2);
  CHECK(f.at("linear") == 14);
  CHECK(f.at("embedding") == 2);
  CHECK(f.at("position_embedding") == 1);
  CHECK(f.at("select_token") == 1);
  CHECK(f.at("tanh") == 1);
  CHECK(r->report.onnx_nodes == 336);
  CHECK(r->report.ir_nodes == 33);
  const std::string text = r->report.ToText();
  CHECK(text.find("attention: 2 block(s), 4 heads, hidden 64") != std::string::npos);
  CHECK(text.find("layernorm: 5") != std::string::npos);
  CHECK(text.find("-inf") != std::string::npos);  // the SDPA fill note

  auto ort = ImportFixture("onnx_extra/bert_ort_attention");
  REQUIRE(ort.ok());
  CHECK(ort->report.fusions.at("contrib.Attention") == 2);
  CHECK(ort->report.fusions.at("contrib.EmbedLayerNormalization") == 1);
  CHECK(ort->report.fusions.at("contrib.SkipLayerNormalization") == 4);
  CHECK(ort->report.fusions.at("contrib.BiasGelu") == 2);
  CHECK(ort->report.ToText().find("mask_index") != std::string::npos);
}

TEST_CASE("IR nodes keep the exporters' scope names, dynamo included") {
  for (const char* dir : {"onnx/bert_opset14_sdpa", "onnx/bert_opset18_dynamo_sdpa"}) {
    INFO("fixture " << std::string(dir));
    auto r = ImportFixture(dir);
    REQUIRE(r.ok());
    std::set<std::string> names;
    for (const qc::ir::Node& n : r->graph.nodes()) names.insert(n.name);
    CHECK(names.count("/bert/encoder/layer.0/attention/self") == 1);
    CHECK(names.count("/bert/encoder/layer.1/attention/output/dense") == 1);
    CHECK(names.count("/bert/encoder/layer.0/intermediate/intermediate_act_fn") == 1);
  }
}

namespace {

// name -> raw little-endian bytes of every tensor in a safetensors file (u64 header length, JSON header, data).
std::map<std::string, std::string> ReadSafetensors(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  std::string header(static_cast<size_t>(header_size), '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::string, std::string> tensors;
  const nlohmann::json parsed = nlohmann::json::parse(header);
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& offsets = it.value().at("data_offsets");
    const auto begin = offsets.at(0).get<size_t>(), end = offsets.at(1).get<size_t>();
    tensors[it.key()] = data.substr(begin, end - begin);
  }
  return tensors;
}

}  // namespace

TEST_CASE("imported BERT weights equal the checkpoint's tensors, by name and in PyTorch layout") {
  const auto checkpoint = ReadSafetensors(qc::test::FixturesDir() / "hf" / "bert_tiny" / "model.safetensors");
  for (const char* dir :
       {"onnx/bert_opset11_eager", "onnx/bert_opset18_dynamo_sdpa", "onnx_extra/bert_external_data"}) {
    INFO("fixture " << std::string(dir));
    auto r = ImportFixture(dir);
    REQUIRE(r.ok());
    int compared = 0;
    for (const qc::ir::Value& v : r->graph.values()) {
      if (!v.constant) continue;
      auto it = checkpoint.find(v.name);
      INFO("constant " << v.name);
      REQUIRE(it != checkpoint.end());  // every IR constant carries its checkpoint name
      CHECK(std::string(reinterpret_cast<const char*>(v.constant->raw_data()), v.constant->byte_size()) == it->second);
      ++compared;
    }
    CHECK(compared == static_cast<int>(checkpoint.size()));  // every checkpoint tensor, each once
  }
}
