// The exact-erf GELU kernels (runtime/kernels/f32-f32-gelu): bit-identical to GeluErfRef on every ISA this CPU
// runs, at every length around the vector widths, in place, against guard pages; GeluErfRef inside the budget of
// kernels.h against erf in double.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "configs/gelu_config.h"
#include "core/cpu_features.h"
#include "tests/kernels_vmath/same_bits.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::SameBits;

double ExactGelu(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

std::vector<float> Inputs(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  const float specials[] = {0.0f, -0.0f, 4.0f * 1.41421356f, -4.0f * 1.41421356f, 1e-30f, -1e-38f, 1e30f, -1e30f,
                            std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min()};
  for (size_t i = 0; i < n && i < sizeof(specials) / sizeof(specials[0]); ++i) x[(i * 7) % n] = specials[i];
  return x;
}

}  // namespace

TEST_CASE("GeluErfRef is within its error budget of the exact GELU") {
  double worst = 0.0, worst_x = 0.0;
  // Every 2^-12 step over [-12, 12] plus wide values: the clamp edge (x = ±4√2), the far tails, tiny inputs.
  std::vector<float> x;
  for (int i = -12 * 4096; i <= 12 * 4096; ++i) x.push_back(static_cast<float>(i) / 4096.0f);
  for (float v : {5.6568542f, -5.6568542f, 30.0f, -30.0f, 1e-20f, -1e-20f, 1e20f}) x.push_back(v);
  std::vector<float> y(x.size());
  qc::GeluErfRef(x.data(), x.size(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = ExactGelu(x[i]);
    const double ratio = std::fabs(y[i] - want) / (2e-6 + 1e-5 * std::fabs(want));
    if (ratio > worst) worst = ratio, worst_x = x[i];
  }
  INFO("worst error / budget " << worst << " at x = " << worst_x);
  CHECK(worst <= 1.0);
  CHECK(worst > 0.05);  // the budget is not loose by orders of magnitude (the approximation is not exact)
  // Limits: +inf stays +inf, NaN stays NaN, 0 stays 0.
  const float special[3] = {std::numeric_limits<float>::infinity(), std::nanf(""), 0.0f};
  float out[3];
  qc::GeluErfRef(special, 3, out);
  CHECK(out[0] == std::numeric_limits<float>::infinity());
  CHECK(std::isnan(out[1]));
  CHECK(out[2] == 0.0f);
}

TEST_CASE("every GELU kernel returns GeluErfRef's bits") {
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  int ran = 0;
  for (const qc::GeluErfKernel& k : qc::GeluErfKernels()) {
    if (!qc::IsaAvailable(k.isa, cpu)) {
      MESSAGE("skipping " << k.name << ": this CPU lacks " << qc::IsaName(k.isa));
      continue;
    }
    ++ran;
    CAPTURE(k.name);
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{8}, size_t{9},
                     size_t{15}, size_t{16}, size_t{17}, size_t{31}, size_t{32}, size_t{33}, size_t{47}, size_t{64},
                     size_t{65}, size_t{3072}, size_t{3075}}) {
      CAPTURE(n);
      const std::vector<float> x = Inputs(n, static_cast<uint32_t>(n) + 1);
      std::vector<float> want(n);
      qc::GeluErfRef(x.data(), n, want.data());
      qc::test::GuardBuffer<float> in(n), out(n);
      if (n > 0) std::memcpy(in.data(), x.data(), n * sizeof(float));
      k.fn(in.data(), n, out.data());
      size_t mismatches = 0;
      for (size_t i = 0; i < n; ++i) mismatches += SameBits(out[i], want[i]) ? 0 : 1;
      CHECK(mismatches == 0);
      k.fn(in.data(), n, in.data());  // in place
      mismatches = 0;
      for (size_t i = 0; i < n; ++i) mismatches += SameBits(in[i], want[i]) ? 0 : 1;
      CHECK(mismatches == 0);
    }
  }
  CHECK(ran >= 1);
  CHECK(std::string(qc::GetGeluErfKernel().name) == qc::SelectGeluErfKernel(qc::DetectCpuFeatures()).name);
}
