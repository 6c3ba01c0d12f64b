// Error paths of importers/hf/hf_importer.h: missing and misshapen tensors, weight formats, sharding, heads and
// outputs that do not fit, tokenizer / preprocessor disagreements, checkpoint buffers.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "hf_test_util.h"
#include "importers/hf/hf_importer.h"
#include "importers/hf/safetensors.h"
#include "importers/hf/weights.h"

using namespace qc::hf;
using qc::StatusCode;
using qc::hf::SafetensorsFile;
using qc::hf::SafetensorsTensor;
using qc::hf::test::Must;
using qc::hf::test::StWriter;
using qc::hf::test::SyntheticModel;
using qc::hf::test::TempDir;

namespace {

std::string ErrorOf(const TempDir& dir, const HfImportOptions& options = {}) {
  auto r = ImportHfDirectory(dir.str(), options);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

bool Contains(const std::string& text, const std::string& fragment) {
  INFO("message: " << text << "\nexpected fragment: " << fragment);
  return text.find(fragment) != std::string::npos;
}

}  // namespace

TEST_CASE("missing and misshapen tensors are named") {
  TempDir missing;
  SyntheticModel m;
  m.drop = {"bert.encoder.layer.1.attention.self.query.weight"};
  qc::hf::test::WriteSyntheticModel(missing, m);
  auto r = ImportHfDirectory(missing.str());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(Contains(r.status().message(),
                 "model.safetensors: missing tensor 'bert.encoder.layer.1.attention.self.query.weight'"));

  TempDir shape;
  m = SyntheticModel();
  m.reshape = {{"bert.encoder.layer.0.intermediate.dense.weight", {16, 4}}};
  qc::hf::test::WriteSyntheticModel(shape, m);
  CHECK(Contains(ErrorOf(shape),
                 "model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape "
                 "[16, 4], expected [16, 8] (intermediate_size x hidden_size weight: out x in)"));

  TempDir labels;
  m = SyntheticModel();
  m.reshape = {{"classifier.weight", {5, 8}}, {"classifier.bias", {5}}};
  qc::hf::test::WriteSyntheticModel(labels, m);
  CHECK(Contains(ErrorOf(labels),
                 "tensor 'classifier.weight' has shape [5, 8], expected [3, 8] (num_labels x hidden_size"));

  TempDir vocab;
  m = SyntheticModel();
  m.reshape = {{"bert.embeddings.word_embeddings.weight", {11, 8}}};
  qc::hf::test::WriteSyntheticModel(vocab, m);
  CHECK(Contains(ErrorOf(vocab),
                 "'bert.embeddings.word_embeddings.weight' has shape [11, 8], expected [12, 8] "
                 "(vocab_size x hidden_size)"));

  TempDir not_bert;
  m = SyntheticModel();
  m.drop = {"bert.embeddings.word_embeddings.weight"};
  qc::hf::test::WriteSyntheticModel(not_bert, m);
  CHECK(Contains(ErrorOf(not_bert),
                 "not a bert checkpoint: none of 'bert.embeddings.word_embeddings.weight', "
                 "'embeddings.word_embeddings.weight' exists"));

  TempDir vit;
  m = SyntheticModel();
  m.model_type = "vit";
  m.architecture = "ViTForImageClassification";
  m.prefix = "vit.";
  m.reshape = {{"vit.embeddings.position_embeddings", {1, 4, 8}}};
  qc::hf::test::WriteSyntheticModel(vit, m);
  CHECK(Contains(ErrorOf(vit),
                 "tensor 'vit.embeddings.position_embeddings' has shape [1, 4, 8], expected [1, 5, 8] "
                 "(1 x (num_patches + 1) x hidden_size)"));
}

TEST_CASE("weight files: none, pickle only, TF-era LayerNorm names, position_ids buffers") {
  TempDir none;
  none.Write("config.json", R"({"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 12, "max_position_embeddings": 10})");
  auto r = ImportHfDirectory(none.str());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(Contains(r.status().message(), "no model.safetensors or model.safetensors.index.json"));
  none.Write("pytorch_model.bin", "PK");
  r = ImportHfDirectory(none.str());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK(Contains(r.status().message(), "weights are only in pytorch_model.bin; only safetensors checkpoints are read"));

  CHECK(ImportHfDirectory(none.str() + "/nope").status().code() == StatusCode::kNotFound);
  TempDir no_config;
  CHECK(Contains(ErrorOf(no_config), "config.json: no such file"));

  // gamma / beta LayerNorm names and an arange position_ids buffer are accepted and count as used.
  const auto int64_bytes = [](std::vector<int64_t> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
  };
  TempDir tf;
  SyntheticModel m;
  m.architecture = "BertModel";
  m.rename = {{"bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.gamma"},
              {"bert.embeddings.LayerNorm.bias", "bert.embeddings.LayerNorm.beta"}};
  m.raw = {{"bert.embeddings.position_ids", "I64", {1, 10}, int64_bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})}};
  qc::hf::test::WriteSyntheticModel(tf, m);
  HfImportResult ok = Must(ImportHfDirectory(tf.str()));
  CHECK(ok.unused_tensors.empty());
  CHECK(ok.graph.FindValue("bert.embeddings.LayerNorm.gamma").ok());

  TempDir shuffled;
  m.raw = {{"bert.embeddings.position_ids", "I64", {1, 3}, int64_bytes({0, 2, 1})}};
  qc::hf::test::WriteSyntheticModel(shuffled, m);
  r = ImportHfDirectory(shuffled.str());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK(
      Contains(r.status().message(), "tensor 'bert.embeddings.position_ids' holds 2 at index 1: custom position ids"));
  TempDir long_ids;
  m.raw = {{"bert.embeddings.position_ids", "I64", {1, 11}, int64_bytes(std::vector<int64_t>(11, 0))}};
  qc::hf::test::WriteSyntheticModel(long_ids, m);
  CHECK(Contains(ErrorOf(long_ids), "'bert.embeddings.position_ids' has shape [1, 11], expected [1, n] with n <= 10"));
  TempDir float_ids;
  m.raw = {{"bert.embeddings.position_ids", "F32", {1, 1}, std::string(4, '\0')}};
  qc::hf::test::WriteSyntheticModel(float_ids, m);
  CHECK(
      Contains(ErrorOf(float_ids), "'bert.embeddings.position_ids' is F32[1, 1], expected an I64 position-id buffer"));
  TempDir int_weight;
  m.raw = {};
  m.drop = {"bert.pooler.dense.bias"};
  m.raw = {{"bert.pooler.dense.bias", "I32", {8}, std::string(32, '\0')}};
  qc::hf::test::WriteSyntheticModel(int_weight, m);
  r = ImportHfDirectory(int_weight.str());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK(Contains(r.status().message(), "tensor 'bert.pooler.dense.bias' is I32[8], expected a floating-point tensor"));
}

TEST_CASE("sharded checkpoints") {
  // Split a synthetic model's single file into two shards with an index.
  TempDir single;
  SyntheticModel m;
  qc::hf::test::WriteSyntheticModel(single, m);
  const HfImportResult reference = Must(ImportHfDirectory(single.str()));

  // `misplace`: the index claims tensor 1 (by name) is in the first shard; it is in the second.
  const auto write_sharded = [&](const TempDir& dir, const std::string& second_shard_name, bool misplace) {
    dir.Write("config.json", [&] {
      std::ifstream in(single.path() / "config.json");
      return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }());
    dir.Write("vocab.txt", qc::hf::test::SyntheticVocabTxt(12));
    StWriter first, second;
    std::string map = "{\"metadata\": {}, \"weight_map\": {";
    const SafetensorsFile whole = Must(SafetensorsFile::Open((single.path() / "model.safetensors").string()));
    for (size_t i = 0; i < whole.tensors().size(); ++i) {
      const SafetensorsTensor& t = whole.tensors()[i];
      const bool to_second = i % 2 == 1;
      (to_second ? second : first)
          .Add(t.name, "F32", t.shape, std::string(reinterpret_cast<const char*>(t.data), t.byte_size()));
      const std::string shard = misplace && i == 1
                                    ? "model-00001-of-00002.safetensors"
                                    : (to_second ? second_shard_name : "model-00001-of-00002.safetensors");
      map += (i ? ", \"" : "\"") + t.name + "\": \"" + shard + "\"";
    }
    map += "}}";
    dir.Write("model-00001-of-00002.safetensors", first.Bytes());
    dir.Write("model-00002-of-00002.safetensors", second.Bytes());
    dir.Write("model.safetensors.index.json", map);
  };

  TempDir sharded;
  write_sharded(sharded, "model-00002-of-00002.safetensors", false);
  HfImportResult r = Must(ImportHfDirectory(sharded.str()));
  CHECK(r.graph.values().size() == reference.graph.values().size());
  for (const qc::ir::Value& v : reference.graph.values()) {
    if (!v.constant) continue;
    const qc::ir::Value& other = r.graph.value(Must(r.graph.FindValue(v.name)));
    REQUIRE(other.constant.has_value());
    CHECK(other.constant->ContentHash() == v.constant->ContentHash());
  }

  TempDir escaping;
  write_sharded(escaping, "../model-00002-of-00002.safetensors", false);
  CHECK(Contains(ErrorOf(escaping),
                 "model.safetensors.index.json: shard file '../model-00002-of-00002.safetensors' is "
                 "not a relative path inside the model directory"));
  TempDir misplaced;
  write_sharded(misplaced, "model-00002-of-00002.safetensors", true);
  CHECK(Contains(ErrorOf(misplaced), "weight_map puts tensor"));
  CHECK(Contains(ErrorOf(misplaced), "in model-00001-of-00002.safetensors, which does not contain it"));
}

TEST_CASE("a tensor stored in two shards is an error") {
  StWriter w;
  w.AddF32("w", {1}, {1.0f});
  const std::string bytes = w.Bytes();
  std::vector<SafetensorsFile> files;
  for (const char* name : {"a.safetensors", "b.safetensors"}) {
    auto copy = std::make_shared<std::string>(bytes);
    files.push_back(
        Must(SafetensorsFile::FromBuffer(reinterpret_cast<const uint8_t*>(copy->data()), copy->size(), copy, name)));
  }
  auto weights = HfWeights::FromFiles(std::move(files));
  REQUIRE_FALSE(weights.ok());
  CHECK(weights.status().message() == "tensor 'w' is stored in both a.safetensors and b.safetensors");
}

TEST_CASE("outputs that do not fit the directory") {
  TempDir base;
  SyntheticModel m;
  m.architecture = "BertModel";
  qc::hf::test::WriteSyntheticModel(base, m);
  HfImportOptions logits;
  logits.output = HfOutput::kLogits;
  auto r = ImportHfDirectory(base.str(), logits);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(r.status().message(),
                 "output logits needs a classification architecture, but config.json has "
                 "architecture 'BertModel' (base_model)"));
  HfImportOptions sentence;
  sentence.output = HfOutput::kSentenceEmbedding;
  CHECK(Contains(ErrorOf(base, sentence), "output sentence_embedding needs a sentence-transformers modules.json"));

  const std::string modules = R"([{"path": "", "type": "sentence_transformers.models.Transformer"},
                                  {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])";
  base.Write("modules.json", modules);
  base.Write("1_Pooling/config.json", R"({"pooling_mode_max_tokens": true})");
  r = ImportHfDirectory(base.str());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK(Contains(r.status().message(), "pooling mode 'max' is not supported (only mean and cls)"));
  base.Write("1_Pooling/config.json", R"({"pooling_mode_cls_token": true, "word_embedding_dimension": 16})");
  CHECK(Contains(ErrorOf(base), "Pooling word_embedding_dimension 16 differs from hidden_size 8"));
  base.Write("1_Pooling/config.json", R"({"pooling_mode_cls_token": true})");
  HfImportResult cls = Must(ImportHfDirectory(base.str()));
  CHECK(cls.graph.FindValue("sentence_embedding").ok());
  HfImportOptions hidden;
  hidden.output = HfOutput::kLastHiddenState;
  HfImportResult encoder = Must(ImportHfDirectory(base.str(), hidden));
  CHECK(encoder.graph.outputs().size() == 1);  // explicit last_hidden_state: no pooler_output

  // The Transformer module in a subfolder, as older sentence-transformers saved it.
  TempDir old;
  m.prefix = "";
  qc::hf::test::WriteSyntheticModel(old, m, "0_Transformer");
  old.Write("modules.json", R"([{"path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
                                {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])");
  old.Write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": true})");
  old.Write("0_Transformer/sentence_bert_config.json", R"({"max_seq_length": 64, "do_lower_case": true})");
  old.Write("0_Transformer/tokenizer_config.json", R"({"do_lower_case": false})");
  HfImportResult sub = Must(ImportHfDirectory(old.str()));
  CHECK(sub.output == HfOutput::kSentenceEmbedding);
  REQUIRE(sub.tokenizer.has_value());
  CHECK(sub.tokenizer->lowercase);                  // sentence-transformers lowercases before tokenizing
  CHECK(sub.tokenizer->strip_accents_code() == 0);  // ... without stripping accents
  CHECK(std::get<int64_t>(sub.graph.metadata().at("tokenizer.model_max_length")) == 10);  // clamped to positions
  CHECK(sub.warnings.size() == 3);  // lowercasing, clamped length, unused pooler

  TempDir vit_st;
  SyntheticModel v;
  v.model_type = "vit";
  v.architecture = "ViTModel";
  v.prefix = "vit.";
  qc::hf::test::WriteSyntheticModel(vit_st, v);
  vit_st.Write("modules.json", modules);
  vit_st.Write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": true})");
  CHECK(Contains(ErrorOf(vit_st), "sentence-transformers pipelines are only supported for BERT models"));
}

TEST_CASE("tokenizer and preprocessor disagreements") {
  TempDir big_vocab;
  SyntheticModel m;
  qc::hf::test::WriteSyntheticModel(big_vocab, m);
  big_vocab.Write("vocab.txt", qc::hf::test::SyntheticVocabTxt(13));
  CHECK(Contains(ErrorOf(big_vocab), "the tokenizer has 13 tokens but the model's vocab_size is 12"));

  TempDir no_tokenizer;
  qc::hf::test::WriteSyntheticModel(no_tokenizer, m);
  std::filesystem::remove(no_tokenizer.path() / "vocab.txt");
  HfImportResult r = Must(ImportHfDirectory(no_tokenizer.str()));
  CHECK_FALSE(r.tokenizer.has_value());
  CHECK(r.graph.metadata().count("tokenizer.vocab") == 0);
  REQUIRE(r.warnings.size() == 1);
  CHECK(Contains(r.warnings[0],
                 "no tokenizer.json or vocab.txt (a BERT model needs its WordPiece vocabulary); the graph "
                 "carries no tokenizer"));

  TempDir bpe;
  qc::hf::test::WriteSyntheticModel(bpe, m);
  bpe.Write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})");
  CHECK(Contains(ErrorOf(bpe), "tokenizer.json: field 'model.type' = 'BPE' is not supported"));

  TempDir vit;
  SyntheticModel v;
  v.model_type = "vit";
  v.architecture = "ViTForImageClassification";
  v.prefix = "vit.";
  v.pooler = false;
  qc::hf::test::WriteSyntheticModel(vit, v);
  vit.Write("preprocessor_config.json", R"({"size": {"height": 224, "width": 224}})");
  CHECK(Contains(ErrorOf(vit), "preprocessor_config.json: resizes to 224x224 but the model takes 8x8"));
  vit.Write("preprocessor_config.json", R"({"size": {"height": 8, "width": 8}, "do_normalize": false})");
  r = Must(ImportHfDirectory(vit.str()));
  CHECK(std::get<std::vector<double>>(r.graph.metadata().at("image.mean")) == std::vector<double>{0, 0, 0});
  CHECK(std::get<std::vector<double>>(r.graph.metadata().at("image.std")) == std::vector<double>{1, 1, 1});
  CHECK(r.warnings.empty());
}
