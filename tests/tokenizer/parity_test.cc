// Parity with Hugging Face `tokenizers`: every golden under tests/fixtures/tokenizer (written by
// generate_goldens.py there) must be reproduced exactly: ids, type ids, byte offsets, attention and special masks.
// GLUE rows and the vocab come from ../shared; without it these tests skip with a MESSAGE.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_paths.h"
#include "tests/tokenizer/golden_io.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace {

namespace fs = std::filesystem;
using qc::test::FormatResult;

std::string Fixture(const std::string& name) {
  return (qc::test::FixturesDir() / "tokenizer" / name).string();
}

fs::path Glue(const std::string& rel) {
  return qc::test::SharedDir() / "data" / "glue" / rel;
}

// The vocab from ../shared, or empty (the caller skips) when the shared folder is absent.
std::string SharedVocab() {
  std::string text;
  const fs::path path = qc::test::SharedDir() / "data" / "bert-base-uncased" / "vocab.txt";
  if (!fs::exists(path)) {
    MESSAGE("skipping: " << path.string() << " not found (../shared is absent)");
    return text;
  }
  REQUIRE(qc::test::ReadFileBytes(path.string(), text));
  return text;
}

struct Row {
  std::string a;
  std::string b;
  bool pair = false;
};

std::vector<Row> GlueRows(const std::string& task, const std::string& split) {
  std::vector<Row> rows;
  const auto tsv = qc::test::ReadTsv(Glue(task + "/" + split + ".tsv").string());
  for (std::size_t i = 0; i < tsv.size(); ++i) {
    const auto& f = tsv[i];
    if (task == "SST-2" && i > 0) rows.push_back({f.at(0), "", false});
    if (task == "CoLA") rows.push_back({f.at(3), "", false});
    if (task == "RTE" && i > 0) rows.push_back({f.at(1), f.at(2), true});
  }
  return rows;
}

qc::Expected<qc::Encoding> EncodeRow(const qc::WordPieceTokenizer& tok, const Row& row, const qc::EncodeOptions& opts) {
  return row.pair ? tok.EncodePair(row.a, row.b, opts) : tok.Encode(row.a, opts);
}

// Compares encodings of `inputs` with the golden lines; returns the number identical and reports the first few
// differences.
std::size_t CompareWithGolden(const std::string& label, const std::vector<std::string>& golden,
                              const std::vector<std::string>& actual, const std::vector<std::string>& inputs) {
  std::size_t same = 0;
  std::size_t reported = 0;
  for (std::size_t i = 0; i < actual.size() && i < golden.size(); ++i) {
    if (actual[i] == golden[i]) {
      ++same;
    } else if (reported++ < 5) {
      FAIL_CHECK(label << " row " << i << " input [" << inputs[i] << "]\n  want " << golden[i] << "\n  got  "
                       << actual[i]);
    }
  }
  MESSAGE(label << ": " << same << "/" << golden.size() << " identical");
  return same;
}

void CheckGlueDev(const std::string& task, const std::string& golden_name, std::size_t expected_rows,
                  std::optional<std::size_t> truncate_to) {
  const std::string vocab = SharedVocab();
  if (vocab.empty()) return;
  auto tok = qc::test::MakeGoldenTokenizer(vocab, "uncased");
  REQUIRE(tok.ok());
  const std::vector<Row> rows = GlueRows(task, "dev");
  const std::vector<std::string> golden = qc::test::ReadGoldenLines(Fixture(golden_name));
  REQUIRE(rows.size() == expected_rows);
  REQUIRE(golden.size() == expected_rows);
  qc::EncodeOptions opts;
  if (truncate_to) {
    opts.truncation.enabled = true;
    opts.truncation.max_length = *truncate_to;
  }
  std::vector<std::string> actual, inputs;
  for (const Row& row : rows) {
    actual.push_back(FormatResult(EncodeRow(*tok, row, opts)));
    inputs.push_back(row.pair ? row.a + " ||| " + row.b : row.a);
  }
  CHECK(CompareWithGolden(golden_name, golden, actual, inputs) == expected_rows);
}

void CheckCases(const std::string& cases_file, const std::string& golden_prefix, const std::string& config) {
  const std::string vocab = SharedVocab();
  if (vocab.empty()) return;
  auto tok = qc::test::MakeGoldenTokenizer(vocab, config);
  REQUIRE(tok.ok());
  const std::vector<std::string> cases = qc::test::ReadCases(Fixture(cases_file));
  const std::vector<std::string> golden = qc::test::ReadGoldenLines(Fixture(golden_prefix + "." + config + ".golden"));
  REQUIRE(!cases.empty());
  REQUIRE(cases.size() == golden.size());
  std::vector<std::string> actual;
  for (const std::string& text : cases) actual.push_back(FormatResult(tok->Encode(text)));
  CHECK(CompareWithGolden(golden_prefix + " (" + config + ")", golden, actual, cases) == cases.size());
}

}  // namespace

TEST_CASE("parity: GLUE dev sets, no truncation") {
  CheckGlueDev("SST-2", "glue_sst2_dev.golden", 872, std::nullopt);
  CheckGlueDev("CoLA", "glue_cola_dev.golden", 1043, std::nullopt);
  CheckGlueDev("RTE", "glue_rte_dev.golden", 277, std::nullopt);
}

TEST_CASE("parity: RTE dev pairs truncated to 128 (longest_first)") {
  CheckGlueDev("RTE", "glue_rte_dev_trunc128.golden", 277, 128);
}

TEST_CASE("parity: GLUE train sets by chunk hash") {
  const std::string vocab = SharedVocab();
  if (vocab.empty()) return;
  auto tok = qc::test::MakeGoldenTokenizer(vocab, "uncased");
  REQUIRE(tok.ok());
  const std::vector<std::string> lines = qc::test::ReadGoldenLines(Fixture("glue_train.hashes"));
  REQUIRE(lines.size() > 70);
  std::map<std::string, std::vector<Row>> sets;
  sets["sst2_train"] = GlueRows("SST-2", "train");
  sets["cola_train"] = GlueRows("CoLA", "train");
  sets["rte_train"] = GlueRows("RTE", "train");
  sets["rte_train_trunc128"] = sets["rte_train"];
  std::map<std::string, std::pair<std::size_t, std::size_t>> rows_ok;  // name -> (rows in matching chunks, rows)
  double sst2_seconds = 0;
  for (const std::string& line : lines) {
    char name[64];
    std::size_t first = 0, count = 0;
    unsigned long long hash = 0;
    REQUIRE(std::sscanf(line.c_str(), "%63s %zu %zu %llx", name, &first, &count, &hash) == 4);
    const std::vector<Row>& rows = sets.at(name);
    REQUIRE(first + count <= rows.size());
    qc::EncodeOptions opts;
    if (std::string(name) == "rte_train_trunc128") {
      opts.truncation.enabled = true;
      opts.truncation.max_length = 128;
    }
    const auto start = std::chrono::steady_clock::now();
    std::string text;
    for (std::size_t i = first; i < first + count; ++i) text += FormatResult(EncodeRow(*tok, rows[i], opts)) + "\n";
    if (std::string(name) == "sst2_train") {
      sst2_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const bool same = qc::test::Fnv1a64(text) == hash;
    CHECK_MESSAGE(same, name << " rows " << first << ".." << first + count - 1 << " differ from HF");
    auto& [ok, total] = rows_ok[name];
    ok += same ? count : 0;
    total += count;
  }
  for (const auto& [name, counts] : rows_ok) {
    MESSAGE(name << ": " << counts.first << "/" << counts.second << " rows in identical chunks");
    CHECK(counts.second == sets.at(name).size());
  }
  MESSAGE("SST-2 train: " << sets["sst2_train"].size() << " sentences encoded and formatted in " << sst2_seconds
                          << " s");
}

TEST_CASE("parity: hard cases") {
  for (const char* config : {"uncased", "cased", "added"}) CheckCases("hard_cases.txt", "hard_cases", config);
}

TEST_CASE("parity: invalid UTF-8 (HF sees the U+FFFD-replaced string)") {
  for (const char* config : {"uncased", "cased", "added"}) {
    CheckCases("invalid_utf8_cases.txt", "invalid_utf8", config);
  }
}

TEST_CASE("parity: random Unicode strings") {
  for (const char* config : {"uncased", "cased", "added"}) CheckCases("random_cases.txt", "random_cases", config);
}

TEST_CASE("parity: truncation strategies and sides") {
  const std::string vocab = SharedVocab();
  if (vocab.empty()) return;
  auto tok = qc::test::MakeGoldenTokenizer(vocab, "uncased");
  REQUIRE(tok.ok());
  const std::vector<Row> pairs = GlueRows("RTE", "dev");
  const std::vector<Row> singles = GlueRows("SST-2", "dev");
  const std::vector<std::string> lines = qc::test::ReadGoldenLines(Fixture("truncation.golden"));
  REQUIRE(lines.size() == 1200);
  std::map<std::string, std::size_t> next_row;  // "<tag> pair" -> row index
  std::vector<std::string> golden, actual, inputs;
  for (const std::string& line : lines) {
    const std::size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    const std::string tag = line.substr(0, tab);
    char strategy[32], side[16], kind[16];
    std::size_t max_length = 0;
    REQUIRE(std::sscanf(tag.c_str(), "%zu %31s %15s %15s", &max_length, strategy, side, kind) == 4);
    qc::EncodeOptions opts;
    opts.truncation.enabled = true;
    opts.truncation.max_length = max_length;
    const std::string s(strategy);
    opts.truncation.strategy = s == "only_first"    ? qc::TruncationStrategy::kOnlyFirst
                               : s == "only_second" ? qc::TruncationStrategy::kOnlySecond
                                                    : qc::TruncationStrategy::kLongestFirst;
    opts.truncation.side = std::string(side) == "left" ? qc::Side::kLeft : qc::Side::kRight;
    const std::size_t row = next_row[tag]++;
    const Row& input = std::string(kind) == "pair" ? pairs.at(row) : singles.at(row);
    golden.push_back(line.substr(tab + 1));
    actual.push_back(FormatResult(EncodeRow(*tok, input, opts)));
    inputs.push_back(tag);
  }
  CHECK(CompareWithGolden("truncation.golden", golden, actual, inputs) == golden.size());
}

TEST_CASE("parity: batch padding (longest + multiple of 8, fixed 64 with truncation, fixed 40 on the left)") {
  const std::string vocab = SharedVocab();
  if (vocab.empty()) return;
  auto tok = qc::test::MakeGoldenTokenizer(vocab, "uncased");
  REQUIRE(tok.ok());
  const std::vector<Row> pairs = GlueRows("RTE", "dev");
  const std::vector<Row> singles = GlueRows("SST-2", "dev");
  std::vector<std::string_view> batch_singles;
  std::vector<std::pair<std::string_view, std::string_view>> batch_pairs;
  for (std::size_t i = 0; i < 16; ++i) batch_singles.emplace_back(singles.at(i).a);
  for (std::size_t i = 0; i < 8; ++i) batch_pairs.emplace_back(pairs.at(i).a, pairs.at(i).b);

  std::vector<std::string> actual, inputs;
  for (const char* config : {"longest_multiple8", "fixed64_trunc64", "fixed40_left"}) {
    qc::EncodeOptions opts;
    const std::string c(config);
    if (c == "longest_multiple8") {
      opts.padding.strategy = qc::PaddingStrategy::kLongest;
      opts.padding.multiple_of = 8;
    } else if (c == "fixed64_trunc64") {
      opts.padding.strategy = qc::PaddingStrategy::kFixed;
      opts.padding.length = 64;
      opts.truncation.enabled = true;
      opts.truncation.max_length = 64;
    } else {
      opts.padding.strategy = qc::PaddingStrategy::kFixed;
      opts.padding.length = 40;
      opts.padding.side = qc::Side::kLeft;
    }
    auto singles_out = tok->EncodeBatch(batch_singles, opts);
    auto pairs_out = tok->EncodePairBatch(batch_pairs, opts);
    REQUIRE(singles_out.ok());
    REQUIRE(pairs_out.ok());
    for (const auto& e : *singles_out) actual.push_back(c + " single\t" + qc::test::FormatRecord(e));
    for (const auto& e : *pairs_out) actual.push_back(c + " pair\t" + qc::test::FormatRecord(e));
    for (std::size_t i = 0; i < 24; ++i) inputs.push_back(c);
  }
  const std::vector<std::string> golden = qc::test::ReadGoldenLines(Fixture("padding.golden"));
  REQUIRE(golden.size() == actual.size());
  CHECK(CompareWithGolden("padding.golden", golden, actual, inputs) == golden.size());
}
