// Tests for importers/hf/config.h and the strict JSON layer under it (importers/hf/json_util.h).
#include <doctest/doctest.h>

#include <string>

#include "hf_test_util.h"
#include "importers/hf/config.h"
#include "tests/support/test_paths.h"

using namespace qc::hf;
using qc::StatusCode;
using qc::hf::test::Must;

namespace {

const char* kBert = R"({
  "architectures": ["BertForSequenceClassification"],
  "model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
  "intermediate_size": 128, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "vocab_size": 941,
  "max_position_embeddings": 64, "type_vocab_size": 2, "pad_token_id": 0,
  "id2label": {"0": "neg", "1": "pos"}, "label2id": {"neg": 0, "pos": 1}
})";

// kBert with `key`'s text replaced (the key must occur once), or with `extra` members added.
std::string With(const std::string& from, const std::string& to) {
  std::string text = kBert;
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void ExpectError(const std::string& text, StatusCode code, const std::string& fragment) {
  auto config = ParseHfConfig(text, "dir/config.json");
  REQUIRE_FALSE(config.ok());
  INFO(config.status().message());
  CHECK(config.status().code() == code);
  CHECK(config.status().message().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("a BERT sequence classifier config") {
  HfModelConfig c = Must(ParseHfConfig(kBert, "dir/config.json"));
  CHECK(c.path == "dir/config.json");
  CHECK(c.model_type == HfModelType::kBert);
  CHECK(c.architecture == "BertForSequenceClassification");
  CHECK(c.head == HfHeadKind::kSequenceClassification);
  CHECK(c.encoder.hidden_size == 64);
  CHECK(c.encoder.num_hidden_layers == 2);
  CHECK(c.encoder.num_attention_heads == 4);
  CHECK(c.encoder.head_dim() == 16);
  CHECK(c.encoder.intermediate_size == 128);
  CHECK(c.encoder.hidden_act == HfActivation::kGeluExact);
  CHECK(c.encoder.layer_norm_eps == 1e-12);
  CHECK(c.bert.vocab_size == 941);
  CHECK(c.bert.max_position_embeddings == 64);
  CHECK(c.bert.type_vocab_size == 2);
  CHECK(c.bert.pad_token_id == 0);
  CHECK(c.labels.names == std::vector<std::string>{"neg", "pos"});
  CHECK(c.labels.from_id2label);
  CHECK(c.labels.label2id.at("pos") == 1);
  CHECK(c.labels.problem_type.empty());
}

TEST_CASE("defaults for keys old checkpoints omit, and head kinds") {
  HfModelConfig c = Must(ParseHfConfig(R"({"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 10, "max_position_embeddings": 12})",
                                       "c.json"));
  CHECK(c.head == HfHeadKind::kBaseModel);
  CHECK(c.architecture.empty());
  CHECK(c.encoder.hidden_act == HfActivation::kGeluExact);
  CHECK(c.encoder.layer_norm_eps == 1e-12);
  CHECK(c.bert.type_vocab_size == 2);
  CHECK(c.bert.pad_token_id == 0);
  CHECK(c.labels.names == std::vector<std::string>{"LABEL_0", "LABEL_1"});  // HF's num_labels default
  CHECK_FALSE(c.labels.from_id2label);

  const auto head = [](const std::string& arch) {
    return Must(ParseHfConfig(With("BertForSequenceClassification", arch), "c.json")).head;
  };
  CHECK(head("BertModel") == HfHeadKind::kBaseModel);
  CHECK(head("BertForTokenClassification") == HfHeadKind::kTokenClassification);
  CHECK(head("BertForMaskedLM") == HfHeadKind::kMaskedLM);
  CHECK(head("BertForPreTraining") == HfHeadKind::kPreTraining);
  CHECK(head("BertForQuestionAnswering") == HfHeadKind::kQuestionAnswering);
  CHECK(head("BertSomethingNew") == HfHeadKind::kUnknown);
  CHECK(head("ViTForImageClassification") == HfHeadKind::kUnknown);  // not a BERT class
  CHECK(HfHeadKindName(HfHeadKind::kTokenClassification) == "token_classification");

  CHECK(Must(ParseHfConfig(With("\"pad_token_id\": 0", "\"pad_token_id\": null"), "c.json")).bert.pad_token_id ==
        std::nullopt);
  CHECK(
      Must(ParseHfConfig(With("\"id2label\": {\"0\": \"neg\", \"1\": \"pos\"}, \"label2id\": {\"neg\": 0, \"pos\": 1}",
                              "\"num_labels\": 4, \"problem_type\": \"regression\""),
                         "c.json"))
          .labels.names.size() == 4);
}

TEST_CASE("activations") {
  CHECK(Must(ParseHfActivation("gelu")) == HfActivation::kGeluExact);
  CHECK(Must(ParseHfActivation("gelu_new")) == HfActivation::kGeluTanh);
  CHECK(Must(ParseHfActivation("gelu_pytorch_tanh")) == HfActivation::kGeluTanh);
  CHECK(Must(ParseHfActivation("gelu_fast")) == HfActivation::kGeluTanh);
  CHECK(Must(ParseHfActivation("relu")) == HfActivation::kRelu);
  ExpectError(With("\"gelu\"", "\"silu\""), StatusCode::kUnsupported,
              "dir/config.json: field 'hidden_act': activation 'silu' is not supported");
}

TEST_CASE("missing, mistyped and out-of-range fields name the file and field") {
  ExpectError(With("\"hidden_size\": 64,", ""), StatusCode::kCorruptData,
              "dir/config.json: field 'hidden_size' is missing");
  ExpectError(With("\"hidden_size\": 64", "\"hidden_size\": \"64\""), StatusCode::kCorruptData,
              "field 'hidden_size' is string, expected an integer");
  ExpectError(With("\"hidden_size\": 64", "\"hidden_size\": 64.5"), StatusCode::kCorruptData,
              "field 'hidden_size' is not an integer");
  ExpectError(With("\"hidden_size\": 64", "\"hidden_size\": 0"), StatusCode::kCorruptData,
              "field 'hidden_size' = 0 is outside [1, ");
  ExpectError(With("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"), StatusCode::kCorruptData,
              "hidden_size' = 64 is not divisible by num_attention_heads = 5");
  ExpectError(With("\"vocab_size\": 941,", ""), StatusCode::kCorruptData, "field 'vocab_size' is missing");
  ExpectError(With("1e-12", "-1"), StatusCode::kCorruptData, "field 'layer_norm_eps' must be finite and > 0");
  ExpectError(With("\"model_type\": \"bert\",", ""), StatusCode::kCorruptData, "field 'model_type' is missing");
  ExpectError(With("[\"BertForSequenceClassification\"]", "\"BertModel\""), StatusCode::kCorruptData,
              "field 'architectures' is string, expected an array of strings");
  ExpectError(With("[\"BertForSequenceClassification\"]", "[3]"), StatusCode::kCorruptData,
              "'architectures' element 0 is not a string");
  ExpectError(With("\"1\": \"pos\"", "\"2\": \"pos\""), StatusCode::kCorruptData,
              "field 'id2label.2' is not a label id in [0, 2)");
  ExpectError(With("\"1\": \"pos\"", "\"x\": \"pos\""), StatusCode::kCorruptData, "field 'id2label.x'");
  ExpectError(With("\"1\": \"pos\"", "\"1\": 5"), StatusCode::kCorruptData,
              "field 'id2label.1' is integer, expected a string");
  ExpectError(With("\"label2id\"", "\"num_labels\": 3, \"label2id\""), StatusCode::kCorruptData,
              "field 'num_labels' = 3 disagrees with the 2 entries of id2label");
  ExpectError(With("\"pad_token_id\": 0", "\"problem_type\": \"ranking\""), StatusCode::kCorruptData,
              "field 'problem_type' = 'ranking' is not one of");
  ExpectError(With("\"pad_token_id\": 0", "\"pad_token_id\": 0, \"pad_token_id\": 1"), StatusCode::kCorruptData,
              "duplicate key 'pad_token_id'");
  ExpectError("[1, 2]", StatusCode::kCorruptData, "dir/config.json: expected a JSON object, got array");
  ExpectError("{", StatusCode::kCorruptData, "dir/config.json: invalid JSON");
  ExpectError(std::string("{}\0{\"x\": 1}", 11), StatusCode::kCorruptData, "NUL byte at offset 2");
  ExpectError(std::string(100, '[') + std::string(100, ']'), StatusCode::kCorruptData, "nesting deeper than 64");
}

TEST_CASE("unsupported families and features are rejected clearly") {
  ExpectError(With("\"bert\"", "\"roberta\""), StatusCode::kUnsupported,
              "field 'model_type' = 'roberta' is not supported (supported: bert, vit); RoBERTa-style");
  ExpectError(With("\"bert\"", "\"distilbert\""), StatusCode::kUnsupported, "DistilBERT uses different tensor names");
  ExpectError(With("\"bert\"", "\"gpt2\""), StatusCode::kUnsupported, "'gpt2' is not supported");
  ExpectError(With("\"pad_token_id\": 0", "\"position_embedding_type\": \"relative_key\""), StatusCode::kUnsupported,
              "field 'position_embedding_type' = 'relative_key' is not supported");
  CHECK(ParseHfConfig(With("\"pad_token_id\": 0", "\"position_embedding_type\": \"absolute\""), "c").ok());
  ExpectError(With("\"pad_token_id\": 0", "\"is_decoder\": true"), StatusCode::kUnsupported,
              "field 'is_decoder' is true");
}

TEST_CASE("ViT configs") {
  const std::string vit = R"({"model_type": "vit", "architectures": ["ViTForImageClassification"],
      "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
      "image_size": 32, "patch_size": 8, "num_channels": 3, "qkv_bias": false,
      "id2label": {"0": "a", "1": "b", "2": "c"}})";
  HfModelConfig c = Must(ParseHfConfig(vit, "v.json"));
  CHECK(c.model_type == HfModelType::kVit);
  CHECK(c.head == HfHeadKind::kImageClassification);
  CHECK(c.vit.image_height == 32);
  CHECK(c.vit.image_width == 32);
  CHECK(c.vit.patch_size == 8);
  CHECK(c.vit.num_patches() == 16);
  CHECK_FALSE(c.vit.qkv_bias);
  CHECK(c.labels.num_labels() == 3);

  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = vit;
    return text.replace(text.find(from), from.size(), to);
  };
  HfModelConfig rect = Must(ParseHfConfig(replace("\"image_size\": 32", "\"image_size\": [16, 32]"), "v.json"));
  CHECK(rect.vit.image_height == 16);
  CHECK(rect.vit.image_width == 32);
  CHECK(rect.vit.num_patches() == 8);
  auto bad = ParseHfConfig(replace("\"image_size\": 32", "\"image_size\": 30"), "v.json");
  CHECK(bad.status().message() == "v.json: field 'image_size' 30x30 is not a multiple of patch_size 8");
  CHECK(ParseHfConfig(replace("\"patch_size\": 8", "\"patch_size\": [8, 4]"), "v.json").status().code() ==
        StatusCode::kUnsupported);
  CHECK(ParseHfConfig(replace("\"image_size\": 32", "\"image_size\": [32]"), "v.json").status().code() ==
        StatusCode::kCorruptData);
  CHECK(Must(ParseHfConfig(replace("\"ViTForImageClassification\"", "\"ViTModel\""), "v.json")).head ==
        HfHeadKind::kBaseModel);
}

TEST_CASE("the real fixture configs and ReadHfConfig errors") {
  const auto dir = qc::test::FixturesDir() / "hf";
  if (!std::filesystem::exists(dir / "bert_tiny" / "config.json")) {
    MESSAGE("tests/fixtures/hf not present; skipping");
    CHECK(true);
    return;
  }
  HfModelConfig bert = Must(ReadHfConfig((dir / "bert_tiny" / "config.json").string()));
  CHECK(bert.head == HfHeadKind::kSequenceClassification);
  CHECK(bert.bert.vocab_size == 941);
  CHECK(bert.labels.num_labels() == 3);  // no num_labels key: len(id2label)
  HfModelConfig vit = Must(ReadHfConfig((dir / "vit_tiny" / "config.json").string()));
  CHECK(vit.head == HfHeadKind::kImageClassification);
  CHECK(vit.vit.num_patches() == 16);
  CHECK(vit.labels.num_labels() == 5);
  auto missing = ReadHfConfig((dir / "nope" / "config.json").string());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  auto directory = ReadHfConfig((dir / "bert_tiny").string());  // not a regular file
  CHECK(directory.status().code() == StatusCode::kIoError);
  CHECK(directory.status().message() == (dir / "bert_tiny").string() + ": not a regular file");
}
