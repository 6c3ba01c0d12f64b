// `qcrun bench` and `qcrun eval`: exit codes, the JSON the benchmark harness (tools/experiments/bench_vs_ort.py)
// reads, the synthetic inputs, and eval's accuracy checked against the model's own predictions.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "qcompress/runtime.h"
#include "qcrun/bench.h"
#include "qcrun/eval.h"
#include "tests/support/image_writers.h"
#include "tests/support/test_paths.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout only
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

fs::path TempDir() {
  const fs::path dir = fs::temp_directory_path() / "qc_qcrun_bench_eval_test";
  fs::create_directories(dir);
  return dir;
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

Result Run(const std::string& command) {
  const fs::path err_file = TempDir() / "stderr.txt";
  Result r;
  FILE* pipe = popen((command + " 2>" + Quote(err_file.string())).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = ReadText(err_file);
  return r;
}

const std::string kQcompress = QC_QCOMPRESS_BIN;
const std::string kQcrun = QC_QCRUN_BIN;

fs::path Compress(const fs::path& src, const std::string& name) {
  // Made once per test process (never reused from an earlier build: the format may have changed since).
  static std::set<std::string> made;
  const fs::path out = TempDir() / name;
  if (made.insert(name).second) {
    const Result r = Run(kQcompress + " " + Quote(src.string()) + " -o " + Quote(out.string()) + " -q");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  return out;
}

// examples/bert-tiny: 2 layers, 3 labels (LABEL_0..2), a 941-token vocabulary embedded, 64 positions.
fs::path TinyQm() {
  return Compress(qc::test::SourceDir() / "examples" / "bert-tiny" / "model.onnx", "tiny.qm");
}
// The same network without a tokenizer (the fixture folder has no tokenizer files).
fs::path NoTokenizerQm() {
  return Compress(qc::test::FixturesDir() / "onnx" / "bert_opset14_sdpa" / "model.onnx", "notok.qm");
}
fs::path VitQm() {
  return Compress(qc::test::FixturesDir() / "onnx" / "vit_opset14_eager" / "model.onnx", "vit.qm");
}

std::string Q(const fs::path& p) {
  return Quote(p.string());
}

const char* const kSentences[] = {"a gripping film",   "dull and slow",         "the cast is wonderful",
                                  "i wanted to leave", "an unexpected delight", "it 's not bad"};

// The model's own predictions for kSentences, batched exactly as eval batches them (one batch).
std::vector<int64_t> Predictions(const fs::path& qm) {
  auto model = qc::Model::Load(qm.string());
  REQUIRE(model.ok());
  auto session = qc::Session::Create(*model);
  REQUIRE(session.ok());
  auto out = session->RunText(std::vector<std::string>(std::begin(kSentences), std::end(kSentences)));
  REQUIRE(out.ok());
  const qc::HostTensor& logits = (*out)[0].tensor;
  REQUIRE(logits.shape.size() == 2);
  std::vector<int64_t> predicted;
  for (int64_t b = 0; b < logits.shape[0]; ++b) {
    const float* row = logits.floats.data() + b * logits.shape[1];
    predicted.push_back(std::max_element(row, row + logits.shape[1]) - row);
  }
  return predicted;
}

}  // namespace

TEST_CASE("qcrun bench / eval: usage errors exit with 2") {
  const std::string tiny = Q(TinyQm());
  CHECK(Run(kQcrun + " bench").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --batch 0").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --iters 0").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --threads 0").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --warmup -1").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --seq x").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --frobnicate").exit_code == 2);
  const fs::path tsv = TempDir() / "usage.tsv";
  WriteText(tsv, "sentence\tlabel\nfine\t1\n");
  CHECK(Run(kQcrun + " eval " + tiny).exit_code == 2);  // no --data
  CHECK(Run(kQcrun + " eval " + tiny + " --data " + Q(tsv) + " --text-col 0").exit_code == 2);
  CHECK(Run(kQcrun + " eval " + tiny + " --data " + Q(tsv) + " --label-col 1").exit_code == 2);
  CHECK(Run(kQcrun + " eval " + tiny + " --data " + Q(tsv) + " --text-col 0 --text-col 0 --text-col 0 --label-col 1")
            .exit_code == 2);
  CHECK(Run(kQcrun + " eval " + tiny + " --data " + Q(tsv) + " --batch 0").exit_code == 2);
}

TEST_CASE("qcrun bench / eval: bad files exit with 1 and say why") {
  const fs::path garbage = TempDir() / "garbage.qm";
  WriteText(garbage, "this is not a qm file at all, just some bytes");
  Result r = Run(kQcrun + " bench " + Q(TempDir() / "missing.qm"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.qm") != std::string::npos);
  CHECK(Run(kQcrun + " bench " + Q(garbage)).exit_code == 1);
  // bert-tiny has 64 positions: a 100-token sequence is a bad request for this model, named as such.
  r = Run(kQcrun + " bench " + Q(TinyQm()) + " --seq 100 --iters 1");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("position") != std::string::npos);

  const std::string tiny = Q(TinyQm());
  CHECK(Run(kQcrun + " eval " + Q(garbage) + " --data " + Q(garbage)).exit_code == 1);
  r = Run(kQcrun + " eval " + tiny + " --data " + Q(TempDir() / "missing.tsv"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.tsv") != std::string::npos);
  const fs::path unknown = TempDir() / "unknown_columns.tsv";
  WriteText(unknown, "words\tclass\nfine\t1\n");
  r = Run(kQcrun + " eval " + tiny + " --data " + Q(unknown));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--text-col") != std::string::npos);
  const fs::path bad_label = TempDir() / "bad_label.tsv";
  WriteText(bad_label, "sentence\tlabel\nfine\tLABEL_1\nbad\tpositive\n");
  r = Run(kQcrun + " eval " + tiny + " --data " + Q(bad_label));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(":3: label 'positive'") != std::string::npos);
  const fs::path out_of_range = TempDir() / "out_of_range.tsv";
  WriteText(out_of_range, "sentence\tlabel\nfine\t3\n");
  CHECK(Run(kQcrun + " eval " + tiny + " --data " + Q(out_of_range)).exit_code == 1);
  const fs::path ok = TempDir() / "ok.tsv";
  WriteText(ok, "sentence\tlabel\nfine\t1\n");
  r = Run(kQcrun + " eval " + Q(NoTokenizerQm()) + " --data " + Q(ok));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("tokenizer") != std::string::npos);
}

TEST_CASE("qcrun bench --json on bert-tiny: the keys the harness reads, consistent values") {
  const fs::path qm = TinyQm();
  const Result r = Run(kQcrun + " bench " + Q(qm) + " --batch 2 --seq 16 --warmup 1 --iters 4 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  REQUIRE_FALSE(j.is_discarded());
  for (const char* key : {"model", "file_bytes", "batch", "seq", "threads", "warmup", "iters", "isa", "inputs",
                          "load_ms", "first_run_ms", "latency_ms", "samples_ms", "throughput_seq_per_s",
                          "peak_rss_bytes", "rss_before_load_bytes", "rss_after_load_bytes", "outputs_finite"}) {
    CHECK_MESSAGE(j.contains(key), key);
  }
  CHECK(j["file_bytes"].get<int64_t>() == static_cast<int64_t>(fs::file_size(qm)));
  CHECK(j["batch"] == 2);
  CHECK(j["seq"] == 16);
  CHECK(j["threads"] == 1);
  CHECK(j["iters"] == 4);
  CHECK(j["inputs"]["input_ids"] == std::vector<int64_t>{2, 16});
  CHECK(j["inputs"]["attention_mask"] == std::vector<int64_t>{2, 16});
  CHECK(j["outputs_finite"] == true);
  const auto& lat = j["latency_ms"];
  const auto samples = j["samples_ms"].get<std::vector<double>>();
  REQUIRE(samples.size() == 4);
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  CHECK(lat["min"].get<double>() == sorted.front());
  CHECK(lat["max"].get<double>() == sorted.back());
  CHECK(lat["median"].get<double>() == doctest::Approx(0.5 * (sorted[1] + sorted[2])));
  CHECK(lat["p90"].get<double>() == sorted[3]);  // nearest rank: ceil(0.9 * 4) = 4
  CHECK(lat["min"].get<double>() > 0.0);
  CHECK(j["throughput_seq_per_s"].get<double>() == doctest::Approx(2 * 1000.0 / lat["median"].get<double>()));
  // The load reads every page of the file (checksums), so the peak covers the file and the process.
  CHECK(j["peak_rss_bytes"].get<int64_t>() >= j["rss_after_load_bytes"].get<int64_t>());
  CHECK(j["peak_rss_bytes"].get<int64_t>() > j["file_bytes"].get<int64_t>());
  CHECK(j["peak_rss_bytes"].get<int64_t>() < 256ll * 1024 * 1024);

  const Result text = Run(kQcrun + " bench " + Q(qm) + " --seq 8 --iters 2");
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("latency:") != std::string::npos);
  CHECK(text.out.find("peak RSS:") != std::string::npos);
}

TEST_CASE("bench synthetic inputs: deterministic, inside the vocabulary, [CLS] ... [SEP]") {
  auto model = qc::Model::Load(TinyQm().string());
  REQUIRE(model.ok());
  auto a = qc::tools::MakeSyntheticInputs(**model, 3, 20);
  auto b = qc::tools::MakeSyntheticInputs(**model, 3, 20);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->size() == 3);
  const qc::WordPieceTokenizer* tok = (*model)->tokenizer();
  REQUIRE(tok != nullptr);
  const int64_t vocab = static_cast<int64_t>(tok->vocab_size());  // 941, the embedding table's rows
  for (size_t i = 0; i < a->size(); ++i) {
    const qc::NamedTensor& t = (*a)[i];
    CHECK(t.tensor.shape == std::vector<int64_t>{3, 20});
    CHECK(t.tensor.ints == (*b)[i].tensor.ints);
    if (t.name == "input_ids") {
      std::set<int64_t> distinct(t.tensor.ints.begin(), t.tensor.ints.end());
      CHECK(distinct.size() > 20);  // varied, not one repeated id
      for (int64_t row = 0; row < 3; ++row) {
        CHECK(t.tensor.ints[static_cast<size_t>(row * 20)] == tok->TokenToId("[CLS]"));
        CHECK(t.tensor.ints[static_cast<size_t>(row * 20 + 19)] == tok->TokenToId("[SEP]"));
      }
      for (int64_t id : t.tensor.ints) {
        CHECK(id >= 0);
        CHECK(id < vocab);
      }
    } else if (t.name == "attention_mask") {
      CHECK(std::all_of(t.tensor.ints.begin(), t.tensor.ints.end(), [](int64_t v) { return v == 1; }));
    } else {
      CHECK(t.name == "token_type_ids");
      CHECK(std::all_of(t.tensor.ints.begin(), t.tensor.ints.end(), [](int64_t v) { return v == 0; }));
    }
  }

  auto vit = qc::Model::Load(VitQm().string());
  REQUIRE(vit.ok());
  auto pixels = qc::tools::MakeSyntheticInputs(**vit, 2, 128);
  REQUIRE(pixels.ok());
  REQUIRE(pixels->size() == 1);
  const qc::HostTensor& p = (*pixels)[0].tensor;
  CHECK(p.type == qc::ElementType::kFloat32);
  REQUIRE(p.shape.size() == 4);
  CHECK(p.shape[0] == 2);
  CHECK(p.element_count() == static_cast<int64_t>(p.floats.size()));
  CHECK(std::all_of(p.floats.begin(), p.floats.end(), [](float v) { return v >= -1.0f && v <= 1.0f; }));
  CHECK(Run(kQcrun + " bench " + Q(VitQm()) + " --batch 2 --iters 1").exit_code == 0);
}

TEST_CASE("qcrun eval: accuracy against the model's own predictions, names or indices, pairs, CoLA layout") {
  const fs::path qm = TinyQm();
  const std::vector<int64_t> predicted = Predictions(qm);
  const size_t n = predicted.size();
  // Gold = predicted except the first row: accuracy is exactly (n - 1) / n.
  std::string names_tsv = "sentence\tlabel\n", index_tsv = "label\tsentence\n", cola_tsv,
              pair_tsv =
                  "index\tsentence1"
                  "\tsentence2\tlabel\n";
  for (size_t i = 0; i < n; ++i) {
    const int64_t gold = i == 0 ? (predicted[i] + 1) % 3 : predicted[i];
    names_tsv += std::string(kSentences[i]) + "\tLABEL_" + std::to_string(gold) + "\n";
    index_tsv += std::to_string(gold) + "\t" + kSentences[i] + "\n";
    pair_tsv += std::to_string(i) + "\t" + kSentences[i] + "\t" + kSentences[(i + 1) % n] + "\tLABEL_0\n";
  }
  const fs::path names = TempDir() / "names.tsv", index = TempDir() / "index.tsv", pairs = TempDir() / "pairs.tsv";
  WriteText(names, names_tsv);
  WriteText(index, index_tsv);
  WriteText(pairs, pair_tsv);
  for (const fs::path& data : {names, index}) {
    for (const char* batch : {"1", "4", "16"}) {
      const Result r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(data) + " --batch " + batch + " --json");
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      const auto j = nlohmann::json::parse(r.out);
      CHECK(j["examples"] == n);
      CHECK(j["classes"] == 3);
      CHECK(j["accuracy"].get<double>() == doctest::Approx(double(n - 1) / double(n)));
      CHECK(j["labels"] == std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"});
      CHECK_FALSE(j.contains("mcc"));  // three classes
      int64_t total = 0;
      for (const auto& row : j["confusion"]) {
        for (const auto& c : row) total += c.get<int64_t>();
      }
      CHECK(total == static_cast<int64_t>(n));
    }
  }
  // Explicit columns by index on a headerless file, and --limit.
  std::string headerless = index_tsv.substr(index_tsv.find('\n') + 1);
  const fs::path nohead = TempDir() / "nohead.tsv";
  WriteText(nohead, headerless);
  Result r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(nohead) + " --text-col 1 --label-col 0 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(nlohmann::json::parse(r.out)["examples"] == n);
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(index) +
          " --text-col sentence --label-col label --limit 1 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(nlohmann::json::parse(r.out)["examples"] == 1);
  CHECK(nlohmann::json::parse(r.out)["accuracy"] == 0.0);  // row 0 is the wrong one
  // RTE-style pairs: detected from the header; every label is LABEL_0.
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(pairs) + " --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["columns"]["text"] == std::vector<std::string>{"sentence1", "sentence2"});
  CHECK(j["examples"] == n);
  // CoLA: no header, four columns, text in column 3.
  for (size_t i = 0; i < n; ++i) cola_tsv += "src\t" + std::to_string(i % 2) + "\t\t" + kSentences[i] + "\n";
  const fs::path cola = TempDir() / "cola.tsv";
  WriteText(cola, cola_tsv);
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(cola) + " --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  j = nlohmann::json::parse(r.out);
  CHECK(j["columns"]["text"] == std::vector<std::string>{"column 3"});
  CHECK(j["columns"]["header"] == false);
  CHECK(j["examples"] == n);
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(names));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("accuracy:") != std::string::npos);
}

TEST_CASE("eval metrics: accuracy, MCC and F1 by hand") {
  // gold 0: 3 right, 2 wrong; gold 1: 1 wrong, 5 right. TN 3, FP 2, FN 1, TP 5.
  const qc::tools::ClassMetrics m = qc::tools::ComputeMetrics({{3, 2}, {1, 5}});
  CHECK(m.examples == 11);
  CHECK(m.correct == 8);
  CHECK(m.accuracy == doctest::Approx(8.0 / 11.0));
  REQUIRE(m.mcc.has_value());
  REQUIRE(m.f1.has_value());
  CHECK(*m.mcc == doctest::Approx((5.0 * 3.0 - 2.0 * 1.0) / std::sqrt(7.0 * 6.0 * 5.0 * 4.0)));
  CHECK(*m.f1 == doctest::Approx(10.0 / 13.0));
  const qc::tools::ClassMetrics constant = qc::tools::ComputeMetrics({{0, 4}, {0, 6}});  // always predicts 1
  CHECK(*constant.mcc == 0.0);
  CHECK(constant.accuracy == doctest::Approx(0.6));
  const qc::tools::ClassMetrics three = qc::tools::ComputeMetrics({{1, 0, 0}, {0, 2, 1}, {0, 0, 0}});
  CHECK(three.accuracy == doctest::Approx(0.75));
  CHECK_FALSE(three.mcc.has_value());
}

TEST_CASE("qcrun --threads: bench records it, run prints the same outputs at any thread count, 257 is refused") {
  const std::string tiny = Q(TinyQm());
  const Result bench = Run(kQcrun + " bench " + tiny + " --batch 2 --seq 16 --warmup 1 --iters 2 --threads 2 --json");
  REQUIRE_MESSAGE(bench.exit_code == 0, bench.err);
  const auto j = nlohmann::json::parse(bench.out, nullptr, /*allow_exceptions=*/false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["threads"] == 2);
  CHECK(j["outputs_finite"] == true);
  const std::string texts = " --text \"a gripping film\" --text \"dull\" --json";
  const Result one = Run(kQcrun + " run " + tiny + texts);
  const Result three = Run(kQcrun + " run " + tiny + texts + " --threads 3");
  REQUIRE_MESSAGE(one.exit_code == 0, one.err);
  REQUIRE_MESSAGE(three.exit_code == 0, three.err);
  CHECK(one.out == three.out);
  CHECK(Run(kQcrun + " run " + tiny + texts + " --threads 257").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --threads 257").exit_code == 2);
}

TEST_CASE("qcrun bench --against-threads: interleaved pairs, per-pair ratios, usage errors") {
  const std::string tiny = Q(TinyQm());
  const Result r = Run(kQcrun + " bench " + tiny +
                       " --batch 2 --seq 16 --warmup 1 --iters 5 --threads 2 --against-threads 1 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.contains("against"));
  const auto& a = j["against"];
  CHECK(a["threads"] == 1);
  const auto mine = j["samples_ms"].get<std::vector<double>>();
  const auto theirs = a["samples_ms"].get<std::vector<double>>();
  const auto ratios = a["speedup_samples"].get<std::vector<double>>();
  REQUIRE(mine.size() == 5);
  REQUIRE(theirs.size() == 5);
  REQUIRE(ratios.size() == 5);
  for (size_t i = 0; i < ratios.size(); ++i) {
    CHECK(theirs[i] > 0.0);
    CHECK(ratios[i] == doctest::Approx(theirs[i] / mine[i]));  // pair i: the other session's time over this one's
  }
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  CHECK(a["speedup"]["median"].get<double>() == sorted[2]);
  CHECK(a["speedup"]["p10"].get<double>() == sorted[0]);  // nearest rank: ceil(0.1 * 5) = 1
  CHECK(a["speedup"]["p90"].get<double>() == sorted[4]);
  std::vector<double> sorted_theirs = theirs;
  std::sort(sorted_theirs.begin(), sorted_theirs.end());
  CHECK(a["latency_ms"]["median"].get<double>() == sorted_theirs[2]);
  CHECK(a["speedup"]["ratio_of_medians"].get<double>() ==
        doctest::Approx(sorted_theirs[2] / j["latency_ms"]["median"].get<double>()));
  CHECK(j["outputs_finite"] == true);
  // Without the option there is no "against" block; the text report names the comparison.
  const Result plain = Run(kQcrun + " bench " + tiny + " --seq 8 --iters 2 --json");
  REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  CHECK_FALSE(nlohmann::json::parse(plain.out).contains("against"));
  const Result text = Run(kQcrun + " bench " + tiny + " --seq 8 --iters 2 --against-threads 3");
  REQUIRE_MESSAGE(text.exit_code == 0, text.err);
  CHECK(text.out.find("speed-up:   1 vs 3 threads: median per pair") != std::string::npos);
  CHECK(Run(kQcrun + " bench " + tiny + " --against-threads 0").exit_code == 2);
  CHECK(Run(kQcrun + " bench " + tiny + " --against-threads 257").exit_code == 2);
}

TEST_CASE("qcrun on images: eval on a class-folder tree and run --image give the model's own predictions") {
  // The HF fixture carries its preprocessing (image.* metadata); the ONNX one does not.
  const fs::path qm = Compress(qc::test::FixturesDir() / "hf" / "vit_tiny", "vit_hf.qm");
  auto model = qc::Model::Load(qm.string());
  REQUIRE(model.ok());
  auto spec = (*model)->image_spec();
  REQUIRE(spec.ok());
  REQUIRE(spec->channels == 3);
  const int64_t h = spec->height, w = spec->width, plane = h * w;
  // Seven pseudo-random images, in folders "0" and "1"; the oracle runs their raw pixels through RunImages.
  const fs::path dir = TempDir() / "images";
  fs::remove_all(dir);
  std::vector<fs::path> files;
  std::vector<int64_t> gold;
  std::vector<float> planar;
  uint32_t state = 12345;
  for (int i = 0; i < 7; ++i) {
    const int label = i % 2;
    std::vector<uint8_t> interleaved(static_cast<size_t>(plane * 3));
    for (uint8_t& v : interleaved) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<uint8_t>(state >> 24);
    }
    fs::create_directories(dir / std::to_string(label));
    files.push_back(dir / std::to_string(label) / ("img" + std::to_string(i) + ".png"));
    qc::test::WritePng(files.back(), PNG_FORMAT_RGB, static_cast<int>(w), static_cast<int>(h), interleaved);
    gold.push_back(label);
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t p = 0; p < plane; ++p)
        planar.push_back(static_cast<float>(interleaved[static_cast<size_t>(p * 3 + c)]));
    }
  }
  auto session = qc::Session::Create(*model);
  REQUIRE(session.ok());
  auto outputs = session->RunImages(qc::HostTensor::Float32({7, 3, h, w}, planar));
  REQUIRE(outputs.ok());
  const qc::HostTensor& logits = (*outputs)[0].tensor;
  const int64_t classes = logits.shape[1];
  std::vector<int64_t> predicted;
  std::vector<std::vector<int64_t>> confusion(static_cast<size_t>(classes), std::vector<int64_t>(classes, 0));
  for (int64_t b = 0; b < 7; ++b) {
    const float* row = logits.floats.data() + b * classes;
    predicted.push_back(std::max_element(row, row + classes) - row);
    ++confusion[static_cast<size_t>(gold[static_cast<size_t>(b)])][static_cast<size_t>(predicted.back())];
  }
  // Folders list their files sorted: 0/img0, 0/img2, ... then 1/img1, ...; the confusion does not depend on order.
  Result r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(dir) + " --batch 3 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["examples"] == 7);
  CHECK(j["confusion"].get<std::vector<std::vector<int64_t>>>() == confusion);
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(dir));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("examples: 7 (" + dir.string() + ", images)") != std::string::npos);

  r = Run(kQcrun + " run " + Q(qm) + " --image " + Q(files[0]) + " --image " + Q(files[1]) + " --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto run = nlohmann::json::parse(r.out);
  REQUIRE(run[0].contains("argmax"));
  CHECK(run[0]["argmax"][0] == "LABEL_" + std::to_string(predicted[0]));  // named by the model's labels
  CHECK(run[0]["argmax"][1] == "LABEL_" + std::to_string(predicted[1]));

  // Errors: an image at another size (naming it), TSV flags with a folder, images for a text model.
  qc::test::WritePng(dir / "1" / "small.png", PNG_FORMAT_RGB, 4, 4, std::vector<uint8_t>(48, 7));
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(dir));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("small.png: 4x4 pixels, the model takes") != std::string::npos);
  r = Run(kQcrun + " run " + Q(qm) + " --image " + Q(dir / "1" / "small.png"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("small.png: 4x4 pixels") != std::string::npos);
  r = Run(kQcrun + " eval " + Q(qm) + " --data " + Q(dir) + " --text-col 0 --label-col 1");
  CHECK(r.exit_code == 2);
  r = Run(kQcrun + " eval " + Q(TinyQm()) + " --data " + Q(dir));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("is a folder of images, but") != std::string::npos);
}
