// GLUE data reading, tokenization, batching (qat/data/glue_data.h) and metrics (qat/metrics.h). Torch-free.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "qat/data/glue_data.h"
#include "qat/data/metrics.h"
#include "tests/support/test_paths.h"

namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() / ("qc_qat_data_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::filesystem::path Shared(const std::string& relative) { return qc::test::SharedDir() / "data" / relative; }

}  // namespace

TEST_CASE("metrics on hand-computed cases") {
  const std::vector<int> p = {1, 0, 1, 1}, l = {1, 1, 1, 0};
  CHECK(qc::qat::Accuracy(p, l) == 0.5);
  CHECK(qc::qat::F1(p, l) == doctest::Approx(4.0 / 6.0));             // tp 2, fp 1, fn 1
  CHECK(qc::qat::Mcc(p, l) == doctest::Approx(-1.0 / 3.0));           // (0·2 − 1·1) / sqrt(3·3·1·1)
  CHECK(qc::qat::Mcc({1, 0, 1, 0}, {1, 0, 1, 0}) == doctest::Approx(1.0));
  CHECK(qc::qat::Mcc({1, 1}, {1, 1}) == 0.0);                          // degenerate: 0, not NaN
  CHECK(qc::qat::Pearson({1, 2, 3}, {2, 4, 7}) == doctest::Approx(5.0 / std::sqrt(2.0 * 38.0 / 3.0)));
  CHECK(qc::qat::Spearman({1, 2, 2, 3}, {1, 3, 2, 4}) == doctest::Approx(4.5 / std::sqrt(22.5)));  // tied ranks 2.5
  CHECK(qc::qat::Spearman({1, 5, 9}, {0, 1, 100}) == doctest::Approx(1.0));
  CHECK(qc::qat::ComputeMetric(qc::qat::MetricKind::kAccuracy, {}, {1, 1, 1, 0}, p) == 0.5);
}

TEST_CASE("TSV layouts: SST-2 header, RTE string labels, CoLA without header, STS-B regression, errors") {
  auto sst = qc::qat::ReadGlueTsv(WriteTemp("sst.tsv", "sentence\tlabel\nit is good \t1\nbad \t0\n"), {});
  REQUIRE_MESSAGE(sst.ok(), sst.status().ToString());
  CHECK(sst->examples.size() == 2);
  CHECK_FALSE(sst->pairs);
  CHECK(sst->num_labels == 2);
  CHECK(sst->examples[0].text_a == "it is good ");
  CHECK(sst->examples[1].label == 0.0);
  auto rte = qc::qat::ReadGlueTsv(
      WriteTemp("rte.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA b.\tC d.\tnot_entailment\n1\tE.\tF.\tentailment\n"),
      {});
  REQUIRE(rte.ok());
  CHECK(rte->pairs);
  CHECK(rte->examples[0].label == 1.0);
  CHECK(rte->examples[1].text_b == "F.");
  auto cola = qc::qat::ReadGlueTsv(WriteTemp("cola.tsv", "gj04\t1\t\tThe sailors rode.\ngj04\t0\t*\tRode.\n"), {});
  REQUIRE(cola.ok());
  CHECK(cola->examples[1].text_a == "Rode.");
  CHECK(cola->examples[1].label == 0.0);
  qc::qat::DatasetOptions reg;
  reg.kind = qc::qat::TaskKind::kRegression;
  auto sts = qc::qat::ReadGlueTsv(
      WriteTemp("sts.tsv", "index\tgenre\tsentence1\tsentence2\tscore\n0\tx\tA.\tB.\t3.8\n"), reg);
  REQUIRE(sts.ok());
  CHECK(sts->examples[0].label == doctest::Approx(3.8));
  CHECK(sts->num_labels == 1);
  // QNLI: the question is text a and the sentence text b, whatever the column order.
  auto qnli = qc::qat::ReadGlueTsv(
      WriteTemp("qnli.tsv", "index\tquestion\tsentence\tlabel\n0\tWho?\tHe did.\tentailment\n"), {});
  REQUIRE(qnli.ok());
  CHECK(qnli->pairs);
  CHECK(qnli->examples[0].text_a == "Who?");
  CHECK(qnli->examples[0].text_b == "He did.");
  auto nli = qc::qat::DetectTsvLayout("snli.tsv", qc::qat::SplitTsvLine("premise\thypothesis\tlabel"));
  REQUIRE(nli.ok());
  CHECK(nli->text_a == 0);
  CHECK(nli->text_b == 1);
  CHECK(nli->label == 2);
  CHECK(qc::qat::SplitTsvLine("a\t\tb\t") == std::vector<std::string>{"a", "", "b", ""});
  const std::string odd = WriteTemp("odd.tsv", "a\tb\tc\n");
  auto bad = qc::qat::ReadGlueTsv(odd, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find(odd + ":1") != std::string::npos);
  const std::string short_row = WriteTemp("short.tsv", "sentence\tlabel\nfine\t1\nbroken\n");
  auto bad2 = qc::qat::ReadGlueTsv(short_row, {});
  REQUIRE_FALSE(bad2.ok());
  CHECK(bad2.status().message().find(short_row + ":3") != std::string::npos);
  qc::qat::DatasetOptions explicit_layout;
  explicit_layout.layout = qc::qat::TsvLayout{0, 2, 1, false};
  auto custom = qc::qat::ReadGlueTsv(WriteTemp("custom.tsv", "x y\tyes\tz\n"), explicit_layout);
  CHECK_FALSE(custom.ok());  // "yes" is not an integer and no label_names were given
  explicit_layout.label_names = {"no", "yes"};
  custom = qc::qat::ReadGlueTsv(WriteTemp("custom.tsv", "x y\tyes\tz\n"), explicit_layout);
  REQUIRE(custom.ok());
  CHECK(custom->examples[0].label == 1.0);
  CHECK(custom->examples[0].text_b == "z");
  auto text = qc::qat::ReadTextLines(WriteTemp("lines.txt", "one\n\ntwo\n"));
  REQUIRE(text.ok());
  CHECK(text->examples.size() == 2);
  CHECK_FALSE(text->examples[0].has_label);
}

TEST_CASE("real GLUE dev files, the tokenizer from graph metadata, seeded batches") {
  const auto vocab_path = Shared("bert-base-uncased/vocab.txt");
  if (!std::filesystem::exists(vocab_path)) {
    MESSAGE("skipping: " << vocab_path.string() << " not found (../shared is absent)");
    return;
  }
  auto sst = qc::qat::ReadGlueTsv(Shared("glue/SST-2/dev.tsv").string(), {});
  auto cola = qc::qat::ReadGlueTsv(Shared("glue/CoLA/dev.tsv").string(), {});
  auto rte = qc::qat::ReadGlueTsv(Shared("glue/RTE/dev.tsv").string(), {});
  REQUIRE((sst.ok() && cola.ok() && rte.ok()));
  CHECK(sst->examples.size() == 872);
  CHECK(cola->examples.size() == 1043);
  CHECK(rte->examples.size() == 277);
  CHECK(rte->pairs);
  // A graph carrying the vocabulary as "tokenizer.*" metadata gives the same ids as the vocab.txt tokenizer.
  std::ifstream in(vocab_path);
  std::vector<std::string> vocab;
  for (std::string line; std::getline(in, line);) vocab.push_back(line);
  qc::ir::Graph g;
  g.mutable_metadata()["tokenizer.vocab"] = vocab;
  g.mutable_metadata()["tokenizer.lowercase"] = int64_t{1};
  auto tok = qc::qat::TokenizerFromGraph(g);
  REQUIRE_MESSAGE(tok.ok(), tok.status().ToString());
  CHECK_FALSE(qc::qat::TokenizerFromGraph(qc::ir::Graph()).ok());
  auto enc = qc::qat::EncodeDataset(*tok, *rte, 64);
  REQUIRE(enc.ok());
  CHECK((*enc)[0].ids.size() <= 64);
  CHECK((*enc)[0].ids[0] == 101);  // [CLS]
  CHECK(std::count((*enc)[0].ids.begin(), (*enc)[0].ids.end(), 102) == 2);  // two [SEP]
  CHECK((*enc)[0].type_ids.back() == 1);
  // Batches: every row once, same (seed, epoch) same batches, another epoch another order; bucketing groups lengths.
  const auto b1 = qc::qat::MakeBatches(*enc, 32, 42, 0, true);
  CHECK(b1 == qc::qat::MakeBatches(*enc, 32, 42, 0, true));
  CHECK(b1 != qc::qat::MakeBatches(*enc, 32, 42, 1, true));
  std::set<size_t> seen;
  for (const auto& b : b1) seen.insert(b.begin(), b.end());
  CHECK(seen.size() == 277);
  CHECK(b1.size() == 9);
  const qc::qat::PaddedBatch pb = qc::qat::PadBatch(*enc, b1[0], 0);
  size_t longest = 0, shortest = 1000;
  for (size_t r : b1[0]) longest = std::max(longest, (*enc)[r].ids.size()), shortest = std::min(shortest, (*enc)[r].ids.size());
  CHECK(pb.length == static_cast<int64_t>(longest));
  CHECK(pb.ids.size() == b1[0].size() * longest);
  size_t mask_sum = 0;
  for (int64_t m : pb.mask) mask_sum += static_cast<size_t>(m);
  size_t tokens = 0;
  for (size_t r : b1[0]) tokens += (*enc)[r].ids.size();
  CHECK(mask_sum == tokens);
  CHECK(longest - shortest < 40);  // bucketed: 277 rows sorted by length in one window
}

TEST_CASE("LogitRows: argmax, metric and agreement between two models' outputs") {
  qc::qat::LogitRows a;
  a.classes = 3;
  a.values = {0.1f, 0.7f, 0.2f, /**/ 2.0f, 2.0f, 1.0f, /**/ -1.0f, -3.0f, -0.5f};
  CHECK(a.rows() == 3);
  CHECK(a.Argmax() == std::vector<int>{1, 0, 2});  // a tie goes to the first maximum, as torch.argmax
  CHECK(qc::qat::MetricOfLogits(qc::qat::MetricKind::kAccuracy, a, {1, 1, 2}) == doctest::Approx(2.0 / 3.0));
  qc::qat::LogitRows b = a;
  b.values[1] = 0.0f;  // row 0 now predicts class 2
  CHECK(qc::qat::PredictionAgreement(a, b) == doctest::Approx(2.0 / 3.0));
  CHECK(qc::qat::PredictionAgreement(a, a) == 1.0);
  qc::qat::LogitRows other_shape;
  other_shape.classes = 2;
  other_shape.values = {1, 2};
  CHECK(qc::qat::PredictionAgreement(a, other_shape) == 0.0);
  CHECK(qc::qat::LargestOutputDifference(a, a) == 0.0);
  CHECK(qc::qat::LargestOutputDifference(a, b) == doctest::Approx(0.7));  // row 0's class 1: 0.7 -> 0
  b.values[7] = -2.5f;                                                  // row 2's class 1: -3 -> -2.5
  CHECK(qc::qat::LargestOutputDifference(b, a) == doctest::Approx(0.7));
  CHECK(std::isinf(qc::qat::LargestOutputDifference(a, other_shape)));
  b.values[4] = std::nanf("");
  CHECK(std::isnan(qc::qat::LargestOutputDifference(a, b)));
  CHECK(qc::qat::LargestOutputDifference(qc::qat::LogitRows{}, qc::qat::LogitRows{}) == 0.0);
  qc::qat::MetricKind m = qc::qat::MetricKind::kAccuracy;
  CHECK(qc::qat::ParseMetricKind("mcc", &m));
  CHECK(m == qc::qat::MetricKind::kMcc);
  CHECK_FALSE(qc::qat::ParseMetricKind("auc", &m));
}
