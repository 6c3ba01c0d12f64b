// Single-thread time of the non-GEMM fp32 ops for one BERT-base layer at B=1, S=128 (H=768, 12 heads, FFN 3072),
// for context next to gemm_bench's GEMM figures. Not a test: asserts nothing, not registered with CTest.
//
//   build-kern/tests/kernels/ops_bench
// Each figure is the fastest of repeated runs over ~0.3 s.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "configs/gemm_config.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/layer_norm.h"
#include "ops/softmax.h"

namespace {

double BestMs(const std::function<void()>& fn) {
  double best = 1e30, total = 0.0;
  fn();
  for (int r = 0; r < 3 || (total < 0.3 && r < 1000); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, sec);
    total += sec;
  }
  return best * 1e3;
}

}  // namespace

int main() {
  constexpr size_t kSeq = 128, kHidden = 768, kHeads = 12, kFfn = 3072;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
  };
  const std::vector<float> q = random(kSeq * kHidden), k = random(kSeq * kHidden), v = random(kSeq * kHidden);
  const std::vector<float> ffn = random(kSeq * kFfn), gamma = random(kHidden), beta = random(kHidden);
  std::vector<float> out(kSeq * kFfn), scratch;
  std::vector<int64_t> mask(kSeq, 1);
  std::fill(mask.begin() + 100, mask.end(), 0);

  qc::AttentionParams p;
  p.batch = 1;
  p.seq = kSeq;
  p.hidden = kHidden;
  p.num_heads = kHeads;
  p.scale = 1.0f / std::sqrt(float(kHidden / kHeads));
  scratch.resize(qc::AttentionScratchFloats(p));

  std::printf("gemm kernel: %s\n", qc::GetF32GemmKernel().name);
  std::printf("%-44s %8.3f ms\n", "attention core (12 heads, S=128, masked)", BestMs([&] {
                (void)qc::MultiHeadAttention(p, q.data(), k.data(), v.data(), qc::TokenMask::Int64(mask.data()),
                                             out.data(), scratch.data());
              }));
  std::printf("%-44s %8.3f ms\n", "GeluErf 128x3072", BestMs([&] { qc::GeluErf(ffn.data(), ffn.size(), out.data()); }));
  std::printf("%-44s %8.3f ms\n", "GeluTanh 128x3072",
              BestMs([&] { qc::GeluTanh(ffn.data(), ffn.size(), out.data()); }));
  std::printf("%-44s %8.3f ms\n", "LayerNorm 128x768 (x2 per layer)",
              BestMs([&] { qc::LayerNorm(q.data(), kSeq, kHidden, gamma.data(), beta.data(), 1e-12f, out.data()); }));
  std::printf("%-44s %8.3f ms\n", "Softmax 12x128x128",
              BestMs([&] { qc::Softmax(ffn.data(), kHeads * kSeq, kSeq, out.data()); }));
  std::printf("%-44s %8.3f ms\n", "Add 128x768 (residual, x2 per layer)",
              BestMs([&] { qc::Add(q.data(), k.data(), kSeq * kHidden, out.data()); }));
  return 0;
}
