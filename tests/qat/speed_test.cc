// Speed sanity: forward + backward of one batch 32 x 64 on a 2-layer hidden-128 encoder built with the IR builder and
// on bert_tiny, with 2 threads. Times are reported (MESSAGE), never asserted (docs/developing.md).
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "importers/hf/hf_importer.h"
#include "qat/torch_guard.h"
#include "qat/torch_model.h"
#include "tests/qat/synthetic_encoder.h"

namespace {

constexpr int64_t kBatch = 32, kSeq = 64;

// Median of 3 runs of forward + (loss = sum of squares of every output) backward, in milliseconds; the first run
// (allocator warm-up) is discarded.
void Report(const std::string& what, const qc::ir::Graph& graph, int64_t vocab) {
  auto built = qc::qat::TorchModel::Build(graph);
  REQUIRE_MESSAGE(built.ok(), built.status().ToString());
  qc::qat::TorchModel& model = **built;
  torch::manual_seed(1);
  std::map<std::string, torch::Tensor> inputs{{"input_ids", torch::randint(0, vocab, {kBatch, kSeq}, torch::kLong)},
                                              {"attention_mask", torch::ones({kBatch, kSeq}, torch::kLong)}};
  for (qc::ir::ValueId in : graph.inputs()) {
    if (graph.value(in).name == "token_type_ids") inputs["token_type_ids"] = torch::zeros({kBatch, kSeq}, torch::kLong);
  }
  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapAll;  // what distillation will ask for
  std::vector<double> ms;
  for (int run = 0; run < 4; ++run) {
    model.module().zero_grad();
    const auto start = std::chrono::steady_clock::now();
    auto r = model.Forward(inputs, options);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    torch::Tensor loss = torch::zeros({});
    for (const torch::Tensor& out : r->outputs) loss = loss + out.pow(2).sum();
    loss.backward();
    const auto end = std::chrono::steady_clock::now();
    if (run > 0) ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    CHECK(std::isfinite(loss.item<double>()));
  }
  std::sort(ms.begin(), ms.end());
  for (const torch::Tensor& p : model.parameters()) CHECK(p.grad().defined());
  MESSAGE(what << ": forward+backward of one " << kBatch << " x " << kSeq << " batch, " << at::get_num_threads()
               << " threads, taps on: " << ms[1] << " ms (median of 3)");
}

}  // namespace

TEST_CASE("forward + backward time of one 32 x 64 batch (reported, not asserted)") {
  qc::qat::SetTorchThreads(2);
  qc::qat::test::SyntheticEncoderSpec spec;
  spec.vocab = 1000;
  spec.hidden = 128;
  spec.heads = 2;
  spec.ffn = 512;
  spec.layers = 2;
  auto g = qc::qat::test::BuildSyntheticEncoder(spec);
  REQUIRE(g.ok());
  Report("builder 2-layer hidden-128 (2 heads, FFN 512)", *g, spec.vocab);

  auto bert = qc::hf::ImportHfDirectory(qc::qat::test::FixtureDir("hf/bert_tiny").string());
  REQUIRE(bert.ok());
  Report("bert_tiny (2 layers, hidden 64)", bert->graph, 941);
}
