// Speed sanity: forward + backward of one batch 32 x 64 on a 2-layer hidden-128 encoder built with the IR builder and
// on bert_tiny, with 2 threads. Times are reported (MESSAGE), never asserted (docs/developing.md).
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

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

// Which BLAS LibTorch's GEMMs resolve to: Debian's libtorch links libblas.so.3, which is the slow netlib reference
// unless an optimised alternative (libopenblas0-pthread) is installed. Worth ~10x on these timings.
std::string BlasLibrary() {
  Dl_info info{};
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  if (sgemm == nullptr || dladdr(sgemm, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
}

// Forward (taps on, as distillation will run it) and backward of loss = sum of squares of every output; one warm-up
// run, then the faster of two timed runs, in milliseconds.
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
  options.taps = qc::qat::kTapAll;
  double best_forward = 1e300, best_total = 1e300;
  for (int run = 0; run < 3; ++run) {
    model.module().zero_grad();
    const auto start = std::chrono::steady_clock::now();
    auto r = model.Forward(inputs, options);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    const auto forward_end = std::chrono::steady_clock::now();
    torch::Tensor loss = torch::zeros({});
    for (const torch::Tensor& out : r->outputs) loss = loss + out.pow(2).sum();
    loss.backward();
    const auto end = std::chrono::steady_clock::now();
    CHECK(std::isfinite(loss.item<double>()));
    if (run == 0) continue;
    best_forward = std::min(best_forward, std::chrono::duration<double, std::milli>(forward_end - start).count());
    best_total = std::min(best_total, std::chrono::duration<double, std::milli>(end - start).count());
  }
  for (const torch::Tensor& p : model.parameters()) CHECK(p.grad().defined());
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  MESSAGE(what << ", batch " << kBatch << " x " << kSeq << ", " << at::get_num_threads() << " threads, OMP_WAIT_POLICY "
               << std::string(wait_policy != nullptr ? wait_policy : "unset") << ", BLAS " << BlasLibrary()
               << ": forward " << best_forward << " ms, forward+backward " << best_total << " ms");
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
