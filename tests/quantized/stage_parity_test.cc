// Models compressed by the qcompress CLI, checked op by op against the independent simulation (stage_parity.h):
// every QLinear, QAttention (QAttentionQkv after merge_qkv; QAttention in a model compiled without it) and QEmbedding
// must equal the contract formula bit for bit on the runtime's own activations, at 1 and 2 threads, for t2 / i4 / i8
// weights, per-token / per-tensor / static activations, clips and GELU epilogues. The simulation's weight decoders
// are first checked against the runtime's packers, so a decoder that agreed with a broken layout could not pass
// unnoticed.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>

#include "quant/i4_pack.h"
#include "quant/i8_pack.h"
#include "quant/t2_pack.h"
#include "quant_sim.h"
#include "stage_parity.h"
#include "tests/support/test_paths.h"
#include "tests/tools/cli_util.h"

namespace fs = std::filesystem;
using namespace qc::test;
using namespace qc::test::cli;

namespace {

fs::path Dir() {
  const fs::path dir = fs::temp_directory_path() / "qc_stage_parity_test";
  fs::create_directories(dir);
  return dir;
}

fs::path Compress(const std::string& name, const std::string& args) {
  const fs::path out = Dir() / (name + ".qm");
  const std::string bert = Quote((FixturesDir() / "hf" / "bert_tiny").string());
  const Result r = Run(kQcompress + " " + bert + " -q -o " + Quote(out.string()) + " " + args);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return out;
}

fs::path WriteText(const std::string& name, const std::string& text) {
  const fs::path p = Dir() / name;
  WriteBytes(p, text);
  return p;
}

}  // namespace

TEST_CASE("the simulation's weight decoders invert the runtime's packers (t2, i4, i8) across tile edges") {
  std::mt19937 rng(7);
  for (size_t n : {1, 3, 4, 9}) {
    for (size_t k : {1, 31, 127, 128, 129, 300}) {
      CAPTURE(n);
      CAPTURE(k);
      std::vector<int8_t> t2(n * k), i4(n * k), i8(n * k);
      std::vector<uint8_t> t2_codes(n * k);
      for (size_t i = 0; i < n * k; ++i) {
        t2[i] = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
        t2_codes[i] = static_cast<uint8_t>(t2[i] + 1);
        i4[i] = static_cast<int8_t>(static_cast<int>(rng() % 15) - 7);
        i8[i] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
      }
      std::vector<uint8_t> p2(qc::T2PackedBytes(n, k)), p4(qc::I4PackedBytes(n, k)), p8(qc::I8PackedBytes(n, k));
      REQUIRE(qc::PackT2(t2_codes.data(), n, k, k, p2.data(), p2.size()).ok());
      REQUIRE(qc::PackI4(i4.data(), n, k, k, p4.data(), p4.size()).ok());
      REQUIRE(qc::PackI8(i8.data(), n, k, k, p8.data(), p8.size()).ok());
      CHECK(SimDecodePackedWeight(1, p2.data(), n, k) == t2);
      CHECK(SimDecodePackedWeight(2, p4.data(), n, k) == i4);
      CHECK(SimDecodePackedWeight(3, p8.data(), n, k) == i8);
    }
  }
}

TEST_CASE("every quantized op of CLI-compressed models equals the simulation bit for bit") {
  const fs::path calib = WriteText("calib.txt", "a gripping film\nthe plot is dull\nhello world\n");
  const std::string config4 = WriteText("w4.json", R"({"bits": 4, "embedding_bits": 4, "quantize_attention": true,
      "weight_granularity": "per_row", "act_clip": 3.0})")
                                  .string();
  const std::string config8 = WriteText("w8.json", R"({"bits": 8, "embedding_bits": 8, "quantize_attention": true,
      "act_granularity": "per_tensor"})")
                                  .string();
  const std::string config2 = WriteText("w2.json", R"({"bits": 2, "embedding_bits": 2, "quantize_attention": true,
      "weight_granularity": "per_row"})")
                                  .string();
  struct Case {
    std::string name, args;
  };
  const std::vector<Case> cases = {
      {"t2_default", "--bits 2 --distill none"},
      {"t2_unmerged", "--bits 2 --distill none --disable-pass merge_qkv"},  // separate q/k/v and QAttention
      {"t2_attention", "--config " + Quote(config2)},
      {"t2_static", "--bits 2 --calib " + Quote(calib.string())},
      {"i4_clip", "--config " + Quote(config4)},
      {"i8_per_tensor", "--config " + Quote(config8)},
      {"t2_act_groups", "--bits 2 --distill none --act-groups 2"},  // per-embedding-group scales, merged q/k/v
      {"i8_act_groups", "--config " + Quote(config8) + " --act-groups 4"},
  };
  const std::vector<std::string> texts = {"a gripping film", "the plot is dull, the acting worse, and it runs long",
                                          "hello world", "?"};
  const std::vector<std::string> pairs = {"it is good", "", "a much longer second segment of the pair here", "x"};
  bool saw_attention = false, saw_fused_attention = false, saw_embedding = false, saw_gelu_model = false;
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const fs::path model = Compress(c.name, c.args);
    for (int threads : {1, 2}) {
      CAPTURE(threads);
      auto checker = StageParityChecker::Open(model.string(), threads);
      REQUIRE_MESSAGE(checker.ok(), checker.status().ToString());
      CHECK(checker->num_stages() > 0);
      std::map<std::string, StageTotals> totals;
      auto single = checker->Tokenize(texts);
      REQUIRE(single.ok());
      REQUIRE(checker->Check(*single, &totals).ok());
      auto paired = checker->Tokenize(texts, pairs);
      REQUIRE(paired.ok());
      REQUIRE(checker->Check(*paired, &totals).ok());
      REQUIRE(totals.count("QLinear") == 1);
      for (const auto& [op, t] : totals) {
        CAPTURE(op);
        CHECK(t.elements > 0);
        CHECK_MESSAGE(t.bit_mismatches == 0, t.first_mismatch);
        CHECK(t.fq_violations == 0);
        CHECK(t.max_fq_relative < 1e-5);
      }
      saw_attention = saw_attention || totals.count("QAttention") == 1;
      saw_fused_attention = saw_fused_attention || totals.count("QAttentionQkv") == 1;
      saw_embedding = saw_embedding || totals.count("QEmbedding") == 1;
      saw_gelu_model = saw_gelu_model || totals.at("QLinear").ops > 0;
    }
  }
  CHECK(saw_attention);
  CHECK(saw_fused_attention);
  CHECK(saw_embedding);
  CHECK(saw_gelu_model);
}
