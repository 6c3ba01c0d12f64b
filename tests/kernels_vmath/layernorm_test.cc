// LayerNorm kernels (runtime/kernels/f32-f32-layernorm): every ISA this CPU runs returns LayerNormRef's bits, for
// widths around the vector and eight-lane boundaries, with and without gamma/beta, in place, against guard pages.
// (ops_test.cc checks the oracle against double precision.)
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "configs/layernorm_config.h"
#include "core/cpu_features.h"
#include "tests/support/guard_buffer.h"

TEST_CASE("every LayerNorm kernel returns LayerNormRef's bits") {
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  int ran = 0;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.5f, 3.0f);
  for (const qc::LayerNormKernel& k : qc::LayerNormKernels()) {
    if (!qc::IsaAvailable(k.isa, cpu)) {
      MESSAGE("skipping " << k.name << ": this CPU lacks " << qc::IsaName(k.isa));
      continue;
    }
    ++ran;
    CAPTURE(k.name);
    for (size_t cols : {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{15}, size_t{16}, size_t{17}, size_t{63},
                        size_t{64}, size_t{65}, size_t{384}, size_t{768}, size_t{1001}}) {
      const size_t rows = 3, n = rows * cols;
      std::vector<float> x(n), gamma(cols), beta(cols);
      for (float& v : x) v = normal(rng) + 100.0f * static_cast<float>(cols % 3);  // some rows with a large offset
      for (float& v : gamma) v = normal(rng);
      for (float& v : beta) v = normal(rng);
      for (int variant = 0; variant < 3; ++variant) {
        CAPTURE(cols);
        CAPTURE(variant);
        const float* g = variant == 2 ? nullptr : gamma.data();
        const float* b = variant >= 1 ? nullptr : beta.data();
        std::vector<float> want(n);
        qc::LayerNormRef(x.data(), rows, cols, g, b, 1e-12f, want.data());
        qc::test::GuardBuffer<float> in(n), out(n);
        std::memcpy(in.data(), x.data(), n * sizeof(float));
        k.fn(in.data(), rows, cols, g, b, 1e-12f, out.data());
        CHECK(std::memcmp(out.data(), want.data(), n * sizeof(float)) == 0);
        k.fn(in.data(), rows, cols, g, b, 1e-12f, in.data());  // in place
        CHECK(std::memcmp(in.data(), want.data(), n * sizeof(float)) == 0);
      }
    }
  }
  CHECK(ran >= 1);
}
