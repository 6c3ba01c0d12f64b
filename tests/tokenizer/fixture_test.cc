// Cross-check with the Hugging Face model fixture tests/fixtures/hf/bert_tiny: its vocab.txt (941 tokens) and the
// tokens transformers' BertTokenizer produced for its reference inputs (fixture.json "input_text"): one padded single
// sentence and one pair truncated longest_first, both to 16.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/test_paths.h"
#include "tests/tokenizer/golden_io.h"
#include "tokenizer/wordpiece_tokenizer.h"

TEST_CASE("hf/bert_tiny fixture: same tokens as transformers for its reference inputs") {
  const auto dir = qc::test::FixturesDir() / "hf" / "bert_tiny";
  std::string vocab;
  REQUIRE(qc::test::ReadFileBytes((dir / "vocab.txt").string(), vocab));
  std::ifstream in(dir / "fixture.json");
  REQUIRE(in.good());
  const nlohmann::json fixture = nlohmann::json::parse(in);
  const nlohmann::json& text = fixture.at("input_text");
  const auto want = text.at("tokens").get<std::vector<std::vector<std::string>>>();
  REQUIRE(want.size() == 2);

  auto tok = qc::WordPieceTokenizer::FromVocabText(vocab);
  REQUIRE(tok.ok());
  CHECK(tok->vocab_size() == 941);
  qc::EncodeOptions opts;
  opts.truncation.enabled = true;
  opts.truncation.max_length = want[0].size();
  opts.padding.strategy = qc::PaddingStrategy::kFixed;
  opts.padding.length = want[0].size();
  auto batch = tok->EncodeBatch({text.at("row0").at("text").get<std::string>()}, opts);
  const std::string a = text.at("row1").at("text").get<std::string>();
  const std::string b = text.at("row1").at("text_pair").get<std::string>();
  auto pair = tok->EncodePair(a, b, opts);
  REQUIRE(batch.ok());
  REQUIRE(pair.ok());
  const qc::Encoding* rows[] = {&(*batch)[0], &*pair};
  for (int r = 0; r < 2; ++r) {
    std::vector<std::string> got;
    for (std::int32_t id : rows[r]->ids) got.emplace_back(tok->IdToToken(id));
    CAPTURE(r);
    CHECK(got == want[static_cast<std::size_t>(r)]);
  }
}
