// Tests for importers/hf/hf_importer.h on the real fixtures (graph signature, op census, metadata, and logits
// against the PyTorch reference via the test evaluator) and on synthetic directories for every head.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include "hf_test_util.h"
#include "importers/hf/hf_importer.h"
#include "importers/hf/safetensors.h"
#include "importers/onnx/model_file.h"
#include "ir/verifier.h"
#include "ir_eval.h"
#include "tests/support/test_paths.h"

using namespace qc::hf;
using qc::StatusCode;
using qc::hf::test::EvalTensor;
using qc::hf::test::Must;
using qc::hf::test::SyntheticModel;
using qc::hf::test::TempDir;

namespace {

std::map<std::string, int> Census(const qc::ir::Graph& g) {
  std::map<std::string, int> census;
  for (const qc::ir::Node& n : g.nodes()) {
    if (!n.erased) ++census[std::string(qc::ir::OpTypeName(n.op))];
  }
  return census;
}

std::vector<std::string> Names(const qc::ir::Graph& g, const std::vector<qc::ir::ValueId>& ids) {
  std::vector<std::string> names;
  for (qc::ir::ValueId id : ids) names.push_back(g.value(id).name);
  return names;
}

std::string ShapeOf(const qc::ir::Graph& g, const std::string& name) {
  const qc::ir::Value& v = g.value(Must(g.FindValue(name)));
  return std::string(qc::ir::DTypeName(v.dtype)) + qc::ir::ToString(v.shape);
}

template <typename T>
const T& Meta(const qc::ir::Graph& g, const std::string& key) {
  const auto it = g.metadata().find(key);
  REQUIRE_MESSAGE(it != g.metadata().end(), "metadata key " << key);
  REQUIRE_MESSAGE(std::holds_alternative<T>(it->second), "metadata key " << key << " has another type");
  return std::get<T>(it->second);
}

EvalTensor ReadReference(const std::filesystem::path& path) {
  onnx::TensorProto t = Must(qc::onnx_import::ReadTensorFile(path.string()));
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    return EvalTensor::Floats(dims, Must(qc::onnx_import::TensorToFloats(t, path.string())));
  }
  return EvalTensor::Ints(dims, Must(qc::onnx_import::TensorToInt64s(t, path.string())));
}

double MaxAbsDiff(const EvalTensor& a, const EvalTensor& b) {
  REQUIRE(a.dims == b.dims);
  double worst = 0;
  for (int64_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a.At(i) - b.At(i)));
  return worst;
}

// Rows [begin, end) of the leading axis.
EvalTensor Rows(const EvalTensor& t, int64_t begin, int64_t end) {
  EvalTensor r = t;
  const int64_t row = t.size() / t.dims[0];
  r.dims[0] = end - begin;
  if (t.is_int) {
    r.ints.assign(t.ints.begin() + begin * row, t.ints.begin() + end * row);
  } else {
    r.values.assign(t.values.begin() + begin * row, t.values.begin() + end * row);
  }
  return r;
}

bool FixturesPresent() {
  const bool present = std::filesystem::exists(qc::test::FixturesDir() / "hf" / "bert_tiny" / "reference");
  if (!present) MESSAGE("tests/fixtures/hf not present; skipping");
  return present;
}

}  // namespace

TEST_CASE("bert_tiny: signature, census, metadata and logits equal PyTorch's") {
  if (!FixturesPresent()) return;
  const auto dir = qc::test::FixturesDir() / "hf" / "bert_tiny";
  HfImportResult r = Must(ImportHfDirectory(dir.string()));
  const qc::ir::Graph& g = r.graph;
  qc::hf::test::MustOk(qc::ir::Verify(g));
  CHECK(r.output == HfOutput::kLogits);
  CHECK(r.warnings.empty());
  CHECK(r.unused_tensors.empty());
  CHECK(Names(g, g.inputs()) == std::vector<std::string>{"input_ids", "attention_mask", "token_type_ids"});
  CHECK(ShapeOf(g, "input_ids") == "i64[batch, sequence]");
  CHECK(ShapeOf(g, "token_type_ids") == "i64[batch, sequence]");
  CHECK(Names(g, g.outputs()) == std::vector<std::string>{"logits"});
  CHECK(ShapeOf(g, "logits") == "f32[batch, 3]");
  CHECK(Census(g) == std::map<std::string, int>{{"Add", 5},
                                                {"AddPositionEmbedding", 1},
                                                {"Attention", 2},
                                                {"Embedding", 2},
                                                {"Gelu", 2},
                                                {"LayerNorm", 5},
                                                {"Linear", 14},
                                                {"SelectToken", 1},
                                                {"Tanh", 1}});
  CHECK(Meta<std::string>(g, "tokenizer.type") == "wordpiece");
  CHECK(Meta<std::vector<std::string>>(g, "tokenizer.vocab").size() == 941);
  CHECK(Meta<int64_t>(g, "tokenizer.lowercase") == 1);
  CHECK(Meta<int64_t>(g, "tokenizer.strip_accents") == -1);
  CHECK(Meta<int64_t>(g, "tokenizer.model_max_length") == 64);
  CHECK(Meta<std::string>(g, "tokenizer.cls_token") == "[CLS]");
  CHECK(Meta<std::vector<std::string>>(g, "model.labels") == std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"});
  CHECK(Meta<std::string>(g, "source.architecture") == "BertForSequenceClassification");

  const auto ref = dir / "reference";
  std::map<std::string, EvalTensor> inputs{{"input_ids", ReadReference(ref / "input_0.pb")},
                                           {"attention_mask", ReadReference(ref / "input_1.pb")},
                                           {"token_type_ids", ReadReference(ref / "input_2.pb")}};
  const EvalTensor expected = ReadReference(ref / "output_0.pb");
  const EvalTensor logits = Must(qc::hf::test::EvaluateGraph(g, inputs)).at("logits");
  const double diff = MaxAbsDiff(logits, expected);  // INFO evaluates lazily: never put assertions inside it
  MESSAGE("max abs diff vs PyTorch: " << diff);
  CHECK(diff < 1e-5);

  // Without a token_type_ids input every token is type 0: row 0 of the reference is such a row.
  HfImportOptions options;
  options.token_type_ids_input = false;
  HfImportResult no_types = Must(ImportHfDirectory(dir.string(), options));
  CHECK(Names(no_types.graph, no_types.graph.inputs()) == std::vector<std::string>{"input_ids", "attention_mask"});
  std::map<std::string, EvalTensor> row0{{"input_ids", Rows(inputs.at("input_ids"), 0, 1)},
                                         {"attention_mask", Rows(inputs.at("attention_mask"), 0, 1)}};
  const EvalTensor logits0 = Must(qc::hf::test::EvaluateGraph(no_types.graph, row0)).at("logits");
  CHECK(MaxAbsDiff(logits0, Rows(expected, 0, 1)) < 1e-5);
}

TEST_CASE("vit_tiny: signature, census, metadata and logits equal PyTorch's") {
  if (!FixturesPresent()) return;
  const auto dir = qc::test::FixturesDir() / "hf" / "vit_tiny";
  HfImportResult r = Must(ImportHfDirectory(dir.string()));
  const qc::ir::Graph& g = r.graph;
  qc::hf::test::MustOk(qc::ir::Verify(g));
  CHECK(r.warnings.empty());
  CHECK(Names(g, g.inputs()) == std::vector<std::string>{"pixel_values"});
  CHECK(ShapeOf(g, "pixel_values") == "f32[batch, 3, 32, 32]");
  CHECK(ShapeOf(g, "logits") == "f32[batch, 5]");
  CHECK(Census(g) == std::map<std::string, int>{{"Add", 4},
                                                {"AddPositionEmbedding", 1},
                                                {"Attention", 2},
                                                {"Gelu", 2},
                                                {"LayerNorm", 5},
                                                {"Linear", 13},
                                                {"PatchEmbed", 1},
                                                {"PrependToken", 1},
                                                {"SelectToken", 1}});
  CHECK(Meta<std::vector<int64_t>>(g, "image.size") == std::vector<int64_t>{32, 32});
  CHECK(Meta<std::vector<double>>(g, "image.mean") == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(Meta<std::vector<double>>(g, "image.std") == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(Meta<double>(g, "image.rescale_factor") == 1.0 / 255.0);
  CHECK(Meta<std::vector<std::string>>(g, "model.labels").size() == 5);
  CHECK(g.metadata().count("tokenizer.vocab") == 0);

  const auto ref = dir / "reference";
  const EvalTensor expected = ReadReference(ref / "output_0.pb");
  const EvalTensor logits =
      Must(qc::hf::test::EvaluateGraph(g, {{"pixel_values", ReadReference(ref / "input_0.pb")}})).at("logits");
  const double diff = MaxAbsDiff(logits, expected);  // INFO evaluates lazily: never put assertions inside it
  MESSAGE("max abs diff vs PyTorch: " << diff);
  CHECK(diff < 1e-5);

  HfImportOptions options;
  options.output = HfOutput::kLastHiddenState;
  HfImportResult hidden = Must(ImportHfDirectory(dir.string(), options));
  CHECK(Names(hidden.graph, hidden.graph.outputs()) == std::vector<std::string>{"last_hidden_state"});
  CHECK(ShapeOf(hidden.graph, "last_hidden_state") == "f32[batch, 17, 64]");
  CHECK(hidden.unused_tensors == std::vector<std::string>{"classifier.bias", "classifier.weight"});
  REQUIRE(hidden.warnings.size() == 1);
  CHECK(hidden.warnings[0].find("2 checkpoint tensors are not used by the graph: classifier.bias, classifier.weight") !=
        std::string::npos);
}

TEST_CASE("sentence-transformers BERT without the bert. prefix: masked mean pooling and L2 normalisation") {
  TempDir dir;
  SyntheticModel m;
  m.architecture = "BertModel";
  m.prefix = "";
  m.labels = 0;
  qc::hf::test::WriteSyntheticModel(dir, m);
  dir.Write("modules.json", R"([{"path": "", "type": "sentence_transformers.models.Transformer"},
                                {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                                {"path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])");
  dir.Write("1_Pooling/config.json", R"({"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true})");
  dir.Write("sentence_bert_config.json", R"({"max_seq_length": 6})");
  HfImportResult r = Must(ImportHfDirectory(dir.str()));
  const qc::ir::Graph& g = r.graph;
  CHECK(r.output == HfOutput::kSentenceEmbedding);
  CHECK(Names(g, g.outputs()) == std::vector<std::string>{"sentence_embedding"});
  CHECK(ShapeOf(g, "sentence_embedding") == "f32[batch, 8]");
  CHECK(Census(g)["MeanPool"] == 1);
  CHECK(Census(g)["L2Normalize"] == 1);
  CHECK(Census(g).count("Tanh") == 0);
  CHECK(Meta<int64_t>(g, "tokenizer.model_max_length") == 6);
  CHECK(Meta<std::string>(g, "pooling.mode") == "mean");
  CHECK(r.unused_tensors == std::vector<std::string>{"pooler.dense.bias", "pooler.dense.weight"});

  // Padding must not change the embedding: the mask reaches attention and pooling.
  const auto run = [&](std::vector<int64_t> ids, std::vector<int64_t> mask) {
    const auto n = static_cast<int64_t>(ids.size());
    std::map<std::string, EvalTensor> in{
        {"input_ids", EvalTensor::Ints({1, n}, ids)},
        {"attention_mask", EvalTensor::Ints({1, n}, mask)},
        {"token_type_ids", EvalTensor::Ints({1, n}, std::vector<int64_t>(ids.size(), 0))}};
    return Must(qc::hf::test::EvaluateGraph(g, in)).at("sentence_embedding");
  };
  const EvalTensor plain = run({2, 7, 9, 3}, {1, 1, 1, 1});
  const EvalTensor padded = run({2, 7, 9, 3, 0, 0}, {1, 1, 1, 1, 0, 0});
  const EvalTensor other = run({2, 9, 7, 3}, {1, 1, 1, 1});
  CHECK(MaxAbsDiff(plain, padded) < 1e-6);
  CHECK(MaxAbsDiff(plain, other) > 1e-3);
  double norm = 0;
  for (float v : plain.values) norm += v * v;
  CHECK(std::abs(norm - 1.0) < 1e-5);
}

TEST_CASE("heads: base model, token classification, pre-training fallback, unsupported heads") {
  TempDir base;
  SyntheticModel m;
  m.architecture = "BertModel";
  qc::hf::test::WriteSyntheticModel(base, m);
  HfImportResult r = Must(ImportHfDirectory(base.str()));
  CHECK(r.output == HfOutput::kLastHiddenState);
  CHECK(Names(r.graph, r.graph.outputs()) == std::vector<std::string>{"last_hidden_state", "pooler_output"});
  CHECK(ShapeOf(r.graph, "last_hidden_state") == "f32[batch, sequence, 8]");
  CHECK(ShapeOf(r.graph, "pooler_output") == "f32[batch, 8]");
  CHECK(r.graph.metadata().count("model.labels") == 0);

  TempDir token;
  m.architecture = "BertForTokenClassification";
  m.pooler = false;
  m.hidden_act = "gelu_new";
  qc::hf::test::WriteSyntheticModel(token, m);
  r = Must(ImportHfDirectory(token.str()));
  CHECK(ShapeOf(r.graph, "logits") == "f32[batch, sequence, 3]");
  CHECK(Census(r.graph).count("SelectToken") == 0);
  for (const qc::ir::Node& n : r.graph.nodes()) {
    if (n.op == qc::ir::OpType::kGelu) {
      CHECK(Must(n.attributes.GetGeluApproximation(qc::ir::AttrName::kApproximate, "gelu")) ==
            qc::ir::GeluApproximation::kTanh);
    }
  }

  TempDir mlm;
  m = SyntheticModel();
  m.architecture = "BertForMaskedLM";
  m.pooler = false;
  m.extra = {"cls.predictions.bias"};
  m.hidden_act = "relu";
  qc::hf::test::WriteSyntheticModel(mlm, m);
  r = Must(ImportHfDirectory(mlm.str()));
  CHECK(Names(r.graph, r.graph.outputs()) == std::vector<std::string>{"last_hidden_state"});
  CHECK(Census(r.graph)["Relu"] == 2);
  CHECK(r.unused_tensors == std::vector<std::string>{"cls.predictions.bias"});
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[0].find("architecture 'BertForMaskedLM' (masked_lm): the pre-training head is not imported") !=
        std::string::npos);

  TempDir qa;
  m = SyntheticModel();
  m.architecture = "BertForQuestionAnswering";
  m.extra = {"qa_outputs.bias"};
  qc::hf::test::WriteSyntheticModel(qa, m);
  auto refused = ImportHfDirectory(qa.str());
  CHECK(refused.status().code() == StatusCode::kUnsupported);
  CHECK(refused.status().message().find("architecture 'BertForQuestionAnswering' (question_answering) is not "
                                        "supported; import with output last_hidden_state") != std::string::npos);
  HfImportOptions hidden;
  hidden.output = HfOutput::kLastHiddenState;
  r = Must(ImportHfDirectory(qa.str(), hidden));
  CHECK(Names(r.graph, r.graph.outputs()) == std::vector<std::string>{"last_hidden_state"});
  CHECK(r.unused_tensors.size() == 3);  // pooler.dense.{bias,weight} and qa_outputs.bias
}

TEST_CASE("ViT base model with pooler, no qkv bias, BF16 weights") {
  TempDir dir;
  SyntheticModel m;
  m.model_type = "vit";
  m.architecture = "ViTModel";
  m.prefix = "";
  m.qkv_bias = false;
  m.labels = 0;
  m.dtype = "BF16";
  qc::hf::test::WriteSyntheticModel(dir, m);
  HfImportResult r = Must(ImportHfDirectory(dir.str()));
  const qc::ir::Graph& g = r.graph;
  CHECK(Names(g, g.outputs()) == std::vector<std::string>{"last_hidden_state", "pooler_output"});
  CHECK(ShapeOf(g, "pixel_values") == "f32[batch, 3, 8, 8]");
  CHECK(ShapeOf(g, "last_hidden_state") == "f32[batch, 5, 8]");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("no preprocessor_config.json") != std::string::npos);
  for (const qc::ir::Node& n : g.nodes()) {
    if (n.op == qc::ir::OpType::kLinear && n.name.find(".query") != std::string::npos) CHECK(n.inputs.size() == 2);
  }
  const qc::ir::Value& cls = g.value(Must(g.FindValue("embeddings.cls_token")));
  REQUIRE(cls.constant.has_value());
  CHECK(cls.constant->dtype() == qc::ir::DType::kF32);
  const std::vector<float> values = Must(cls.constant->ToVector<float>());
  const std::vector<float> written = qc::hf::test::RandomFloats(8, 1, 0.5f);  // the first tensor written
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(values[i] == BFloat16ToFloat(qc::hf::test::TruncateToBFloat16(written[i])));
  }
}

TEST_CASE("all-MiniLM-L6-v2 (optional: QC_HF_MINILM_DIR points at the model directory)") {
  const char* env = std::getenv("QC_HF_MINILM_DIR");
  if (env == nullptr || *env == '\0') {
    MESSAGE("QC_HF_MINILM_DIR not set; skipping the real sentence-transformers model");
    CHECK(true);
    return;
  }
  HfImportResult r = Must(ImportHfDirectory(env));
  const qc::ir::Graph& g = r.graph;
  CHECK(ShapeOf(g, "sentence_embedding") == "f32[batch, 384]");
  CHECK(Meta<int64_t>(g, "tokenizer.model_max_length") == 256);
  CHECK(Meta<std::vector<std::string>>(g, "tokenizer.vocab").size() == 30522);
  CHECK(r.unused_tensors == std::vector<std::string>{"pooler.dense.bias", "pooler.dense.weight"});
  const auto embed = [&](std::vector<int64_t> ids) {
    const auto n = static_cast<int64_t>(ids.size());
    std::map<std::string, EvalTensor> in{
        {"input_ids", EvalTensor::Ints({1, n}, ids)},
        {"attention_mask", EvalTensor::Ints({1, n}, std::vector<int64_t>(ids.size(), 1))},
        {"token_type_ids", EvalTensor::Ints({1, n}, std::vector<int64_t>(ids.size(), 0))}};
    return Must(qc::hf::test::EvaluateGraph(g, in)).at("sentence_embedding").values;
  };
  const auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0;
    for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
    return dot;  // unit vectors
  };
  // The sentence-transformers quickstart (sbert.net) with this model prints the similarities
  // [[1, 0.6660, 0.1046], [0.6660, 1, 0.1411], [0.1046, 0.1411, 1]]; ids are the bert-base-uncased WordPieces.
  const auto weather = embed({101, 1996, 4633, 2003, 8403, 2651, 1012, 102});      // The weather is lovely today.
  const auto sunny = embed({101, 2009, 1005, 1055, 2061, 11559, 2648, 999, 102});  // It's so sunny outside!
  const auto stadium = embed({101, 2002, 5225, 2000, 1996, 3346, 1012, 102});      // He drove to the stadium.
  const double ab = cosine(weather, sunny), ac = cosine(weather, stadium), bc = cosine(sunny, stadium);
  MESSAGE("similarities: " << ab << " " << ac << " " << bc);
  CHECK(std::abs(ab - 0.6660) < 1e-4);
  CHECK(std::abs(ac - 0.1046) < 1e-4);
  CHECK(std::abs(bc - 0.1411) < 1e-4);
}
