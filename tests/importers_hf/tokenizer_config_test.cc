// Tests for importers/hf/tokenizer_config.h: tokenizer.json, vocab.txt, tokenizer_config.json and
// special_tokens_map.json, valid and hostile, plus the real fixture.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "hf_test_util.h"
#include "importers/hf/tokenizer_config.h"
#include "tests/support/test_paths.h"

using namespace qc::hf;
using nlohmann::json;
using qc::StatusCode;
using qc::hf::test::Must;
using qc::hf::test::TempDir;

namespace {

// A small, valid BERT tokenizer.json.
json BaseTokenizer() {
  json vocab = json::object();
  const char* tokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##a"};
  for (int i = 0; i < 8; ++i) vocab[tokens[i]] = i;
  json added = json::array();
  for (int i = 0; i < 5; ++i) {
    added.push_back({{"id", i},
                     {"content", tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  const auto special = [](const char* id, int type) { return json{{"SpecialToken", {{"id", id}, {"type_id", type}}}}; };
  const auto seq = [](const char* id, int type) { return json{{"Sequence", {{"id", id}, {"type_id", type}}}}; };
  return json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"clean_text", true},
        {"handle_chinese_chars", true},
        {"strip_accents", nullptr},
        {"lowercase", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)}},
        {"pair", {special("[CLS]", 0), seq("A", 0), special("[SEP]", 0), seq("B", 1), special("[SEP]", 1)}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}}}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model",
       {{"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", 100},
        {"vocab", vocab}}},
  };
}

qc::Expected<HfTokenizerSpec> Parse(const json& doc) {
  return ParseTokenizerJson(doc.dump(), "t/tokenizer.json");
}

void ExpectError(const json& doc, StatusCode code, const std::string& fragment) {
  auto spec = Parse(doc);
  REQUIRE_FALSE(spec.ok());
  INFO(spec.status().message());
  CHECK(spec.status().code() == code);
  CHECK(spec.status().message().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("a BERT tokenizer.json") {
  HfTokenizerSpec s = Must(Parse(BaseTokenizer()));
  CHECK(s.source == "t/tokenizer.json");
  CHECK(s.vocab.size() == 8);
  CHECK(s.vocab[7] == "##a");
  CHECK(s.lowercase);
  CHECK_FALSE(s.strip_accents.has_value());
  CHECK(s.strip_accents_code() == -1);
  CHECK(s.clean_text);
  CHECK(s.handle_chinese_chars);
  CHECK(s.unk_token == "[UNK]");
  CHECK(s.cls_token == "[CLS]");
  CHECK(s.sep_token == "[SEP]");
  CHECK(s.continuing_subword_prefix == "##");
  CHECK(s.max_input_chars_per_word == 100);
  REQUIRE(s.added_tokens.size() == 5);
  CHECK(s.added_tokens[4].content == "[MASK]");
  CHECK(s.added_tokens[4].special);
  CHECK_FALSE(s.added_tokens[4].normalized);
  CHECK(s.TokenId("[SEP]") == 3);
  CHECK(s.TokenId("zzz") == -1);
  CHECK(s.warnings.empty());
}

TEST_CASE("tokenizer.json variants that are still BERT") {
  json doc = BaseTokenizer();
  doc["normalizer"] = {{"type", "BertNormalizer"}, {"lowercase", false}, {"strip_accents", false}};
  doc["truncation"] = {{"max_length", 16}, {"strategy", "LongestFirst"}, {"stride", 0}};
  doc["padding"] = {{"strategy", {{"Fixed", 16}}}, {"pad_id", 0}, {"pad_type_id", 0}, {"pad_token", "[PAD]"}};
  HfTokenizerSpec s = Must(Parse(doc));
  CHECK_FALSE(s.lowercase);
  CHECK(s.strip_accents_code() == 0);
  CHECK(s.clean_text);  // missing flags take the tokenizers defaults
  CHECK(s.truncation_max_length == 16);
  CHECK(s.truncation_strategy == "LongestFirst");
  CHECK(s.padding_strategy == "Fixed");
  CHECK(s.padding_length == 16);

  doc = BaseTokenizer();
  doc["normalizer"] = nullptr;
  s = Must(Parse(doc));
  CHECK_FALSE(s.lowercase);
  CHECK_FALSE(s.clean_text);
  CHECK_FALSE(s.handle_chinese_chars);
  CHECK(s.strip_accents_code() == 0);

  doc = BaseTokenizer();
  doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "BertNormalizer"}, {"lowercase", false}}}}};
  doc["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "BertPreTokenizer"}}}}};
  doc["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
  s = Must(Parse(doc));
  CHECK_FALSE(s.lowercase);
  CHECK(s.cls_token == "[CLS]");

  // Added tokens past the WordPiece vocab extend the id space densely.
  doc = BaseTokenizer();
  doc["added_tokens"].push_back({{"id", 8}, {"content", "<new>"}, {"special", false}, {"normalized", true}});
  s = Must(Parse(doc));
  REQUIRE(s.vocab.size() == 9);
  CHECK(s.vocab[8] == "<new>");
  CHECK(s.added_tokens.back().normalized);
}

TEST_CASE("tokenizer.json rejections name the field") {
  json doc = BaseTokenizer();
  doc["model"]["type"] = "BPE";
  ExpectError(doc, StatusCode::kUnsupported,
              "t/tokenizer.json: field 'model.type' = 'BPE' is not supported (only BERT WordPiece");
  doc = BaseTokenizer();
  doc["model"]["vocab"]["b"] = 9;
  ExpectError(doc, StatusCode::kCorruptData, "field 'model.vocab.b' has id 9 outside [0, 8)");
  doc = BaseTokenizer();
  doc["model"]["vocab"]["b"] = 5;
  ExpectError(doc, StatusCode::kCorruptData, "reuses id 5 of token 'a'");
  doc = BaseTokenizer();
  doc["model"]["vocab"]["b"] = "6";
  ExpectError(doc, StatusCode::kCorruptData, "field 'model.vocab.b' is string, expected an integer id");
  doc = BaseTokenizer();
  doc["model"].erase("vocab");
  ExpectError(doc, StatusCode::kCorruptData, "field 'model.vocab' is missing");
  doc = BaseTokenizer();
  doc["model"]["unk_token"] = "<unk>";
  ExpectError(doc, StatusCode::kCorruptData, "field 'model.unk_token' '<unk>' is not in the vocabulary");
  doc = BaseTokenizer();
  doc["normalizer"] = {{"type", "Lowercase"}};
  ExpectError(doc, StatusCode::kUnsupported, "field 'normalizer.type' = 'Lowercase' is not supported");
  doc = BaseTokenizer();
  doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "Lowercase"}}}}};
  ExpectError(doc, StatusCode::kUnsupported, "is a Sequence of several steps");
  doc = BaseTokenizer();
  doc["normalizer"]["lowercase"] = "yes";
  ExpectError(doc, StatusCode::kCorruptData, "field 'normalizer.lowercase' is string, expected a boolean");
  doc = BaseTokenizer();
  doc["pre_tokenizer"] = {{"type", "Whitespace"}};
  ExpectError(doc, StatusCode::kUnsupported, "field 'pre_tokenizer.type' = 'Whitespace' is not supported");
  doc = BaseTokenizer();
  doc["pre_tokenizer"] = nullptr;
  ExpectError(doc, StatusCode::kUnsupported, "pre_tokenizer' is missing");
  doc = BaseTokenizer();
  doc["post_processor"] = {{"type", "RobertaProcessing"}};
  ExpectError(doc, StatusCode::kUnsupported, "'RobertaProcessing' is not supported");
  doc = BaseTokenizer();
  doc["post_processor"] = nullptr;
  ExpectError(doc, StatusCode::kUnsupported, "post_processor' is missing");
  doc = BaseTokenizer();
  doc["post_processor"]["single"].erase(2);
  ExpectError(doc, StatusCode::kUnsupported, "'post_processor.single' is not the BERT template");
  doc = BaseTokenizer();
  doc["post_processor"]["pair"][4]["SpecialToken"]["type_id"] = 0;
  ExpectError(doc, StatusCode::kUnsupported, "'post_processor.pair' is not the BERT template");
  doc = BaseTokenizer();
  doc["post_processor"]["special_tokens"]["[CLS]"]["ids"] = {4};
  ExpectError(doc, StatusCode::kCorruptData, "gives '[CLS]' id 4 but the vocabulary has 2");
  doc = BaseTokenizer();
  doc["post_processor"]["special_tokens"].erase("[SEP]");
  ExpectError(doc, StatusCode::kCorruptData, "field 'post_processor.special_tokens.[SEP]' is missing");
  doc = BaseTokenizer();
  doc["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"<s>", 2}}};
  ExpectError(doc, StatusCode::kCorruptData, "names '<s>', which is not in the vocabulary");
  doc = BaseTokenizer();
  doc["added_tokens"][4]["lstrip"] = true;
  ExpectError(doc, StatusCode::kUnsupported, "field 'added_tokens[4].lstrip' is true for added token '[MASK]'");
  doc = BaseTokenizer();
  doc["added_tokens"][1]["content"] = "<unk>";
  ExpectError(doc, StatusCode::kCorruptData, "added token '<unk>' has id 1, which the vocabulary assigns to '[UNK]'");
  doc = BaseTokenizer();
  doc["added_tokens"].push_back({{"id", 10}, {"content", "<gap>"}});
  ExpectError(doc, StatusCode::kCorruptData, "continue it densely from 8");
  doc = BaseTokenizer();
  doc["added_tokens"].push_back({{"id", 8}, {"content", "a"}});
  ExpectError(doc, StatusCode::kCorruptData, "already in the vocabulary under another id");
  doc = BaseTokenizer();
  doc["added_tokens"].push_back({{"id", 0}, {"content", "[PAD]"}});
  ExpectError(doc, StatusCode::kCorruptData, "share id 0");
  ExpectError(json::array(), StatusCode::kCorruptData, "t/tokenizer.json: expected a JSON object, got array");
}

TEST_CASE("vocab.txt parsing") {
  CHECK(Must(ParseVocabTxt("[PAD]\n[UNK]\r\nx", "v.txt")) == std::vector<std::string>{"[PAD]", "[UNK]", "x"});
  CHECK(Must(ParseVocabTxt("a\nb\n", "v.txt")).size() == 2);  // the final newline ends the last line
  CHECK(ParseVocabTxt("a\n\nb\n", "v.txt").status().message() == "v.txt: line 2 is empty (no token)");
  CHECK(ParseVocabTxt("a\nb\na\n", "v.txt").status().message() == "v.txt: line 3 repeats token 'a' of line 1");
  CHECK(ParseVocabTxt("a\n\xc3\x28\n", "v.txt").status().message() == "v.txt: line 2 is not valid UTF-8");
  CHECK(ParseVocabTxt("", "v.txt").status().message() == "v.txt: the vocabulary is empty");
  CHECK(IsValidUtf8("h\xc3\xa9llo \xe4\xb8\xad \xf0\x9f\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xe4\xb8"));          // truncated
}

TEST_CASE("a vocab.txt-only directory gets BERT defaults and tokenizer_config.json flags") {
  TempDir dir;
  dir.Write("vocab.txt", qc::hf::test::SyntheticVocabTxt(12));
  HfTokenizerSpec s = Must(ReadHfTokenizer(dir.str()));
  CHECK(s.source == dir.str() + "/vocab.txt");
  CHECK(s.vocab.size() == 12);
  CHECK(s.lowercase);
  CHECK(s.strip_accents_code() == -1);
  CHECK_FALSE(s.model_max_length.has_value());
  REQUIRE(s.added_tokens.size() == 5);  // the specials, matched in the raw text
  CHECK(s.added_tokens[0].content == "[PAD]");
  CHECK_FALSE(s.added_tokens[0].normalized);

  dir.Write("tokenizer_config.json",
            R"({"do_lower_case": false, "strip_accents": true, "tokenize_chinese_chars": false,
                "model_max_length": 1000000000000000019884624838656, "mask_token": {"content": "[MASK]"}})");
  s = Must(ReadHfTokenizer(dir.str()));
  CHECK_FALSE(s.lowercase);
  CHECK(s.strip_accents_code() == 1);
  CHECK_FALSE(s.handle_chinese_chars);
  CHECK_FALSE(s.model_max_length.has_value());  // transformers' "no limit" sentinel
  CHECK(s.warnings.empty());

  dir.Write("tokenizer_config.json", R"({"model_max_length": 128, "pad_token": "[UNK]"})");
  dir.Write("special_tokens_map.json", R"({"pad_token": {"content": "[MASK]", "lstrip": false}})");
  s = Must(ReadHfTokenizer(dir.str()));
  CHECK(s.model_max_length == 128);
  CHECK(s.pad_token == "[MASK]");  // special_tokens_map.json wins, as in transformers

  dir.Write("special_tokens_map.json", R"({"pad_token": "<pad>"})");
  auto bad = ReadHfTokenizer(dir.str());
  CHECK(bad.status().message() ==
        dir.str() + ": pad_token '<pad>' is not in the vocabulary of " + dir.str() + "/vocab.txt");
  dir.Write("special_tokens_map.json", R"({"pad_token": 7})");
  CHECK(ReadHfTokenizer(dir.str()).status().message().find(
            "special_tokens_map.json: field 'pad_token' is integer, expected a string or an object") !=
        std::string::npos);
  dir.Write("special_tokens_map.json", "{}");
  dir.Write("tokenizer_config.json", R"({"added_tokens_decoder": {"12": {"content": "<x>", "special": true}}})");
  s = Must(ReadHfTokenizer(dir.str()));
  CHECK(s.vocab.size() == 13);
  CHECK(s.added_tokens.size() == 1);

  TempDir empty;
  CHECK(ReadHfTokenizer(empty.str()).status().code() == StatusCode::kNotFound);
}

TEST_CASE("tokenizer_config.json flags override tokenizer.json with a warning") {
  TempDir dir;
  dir.Write("tokenizer.json", BaseTokenizer().dump());
  dir.Write("tokenizer_config.json", R"({"do_lower_case": false, "cls_token": "[MASK]", "model_max_length": 32})");
  HfTokenizerSpec s = Must(ReadHfTokenizer(dir.str()));
  CHECK_FALSE(s.lowercase);
  CHECK(s.cls_token == "[CLS]");  // the post-processor is what runs
  CHECK(s.model_max_length == 32);
  REQUIRE(s.warnings.size() == 2);
  CHECK(s.warnings[0].find("field 'do_lower_case' overrides the value in tokenizer.json") != std::string::npos);
  CHECK(s.warnings[1].find("'cls_token' = '[MASK]' differs from tokenizer.json's '[CLS]'") != std::string::npos);
}

TEST_CASE("the real bert_tiny tokenizer") {
  const auto dir = qc::test::FixturesDir() / "hf" / "bert_tiny";
  if (!std::filesystem::exists(dir / "tokenizer.json")) {
    MESSAGE("tests/fixtures/hf not present; skipping");
    CHECK(true);
    return;
  }
  HfTokenizerSpec s = Must(ReadHfTokenizer(dir.string()));
  CHECK(s.source == (dir / "tokenizer.json").string());
  REQUIRE(s.vocab.size() == 941);
  CHECK(s.vocab[0] == "[PAD]");
  CHECK(s.TokenId("[CLS]") == 2);
  CHECK(s.TokenId("[SEP]") == 3);
  CHECK(s.TokenId("##ing") > 4);
  CHECK(s.lowercase);
  CHECK(s.strip_accents_code() == -1);
  CHECK(s.mask_token == "[MASK]");
  CHECK(s.model_max_length == 64);
  CHECK(s.truncation_max_length == 16);
  CHECK(s.padding_length == 16);
  CHECK(s.added_tokens.size() == 5);
  CHECK(s.warnings.empty());
  // tokenizer.json and vocab.txt agree.
  std::ifstream in(dir / "vocab.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(Must(ParseVocabTxt(text, "vocab.txt")) == s.vocab);
}
