// The activation quantization row kernels (runtime/kernels/f32-i8-quant): every ISA this CPU runs returns the
// oracle's maximum, NaN flag, codes and sum exactly, at every length around the vector widths, against guard pages,
// with clips, rounding ties and values that saturate.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "configs/act_quant_config.h"
#include "core/cpu_features.h"
#include "tests/support/guard_buffer.h"

namespace {

std::vector<float> Row(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  // Exact ties at scale 2 (k + 0.5 halves), signed zeros, an infinity the clip bounds, a value beyond the clip.
  const float specials[] = {0.25f, -0.25f, 0.75f, -1.25f, -0.0f, 0.0f, 7.5f, -9.0f};
  for (size_t i = 0; i < n && i < 8; ++i) x[(i * 5 + 3) % n] = specials[i];
  return x;
}

}  // namespace

TEST_CASE("every activation quantization kernel returns the oracle's results") {
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  const qc::ActQuantKernel& ref = qc::ActQuantKernels().front();
  REQUIRE(ref.isa == qc::KernelIsa::kScalar);
  int ran = 0;
  for (const qc::ActQuantKernel& k : qc::ActQuantKernels()) {
    if (!qc::IsaAvailable(k.isa, cpu)) {
      MESSAGE("skipping " << k.name << ": this CPU lacks " << qc::IsaName(k.isa));
      continue;
    }
    ++ran;
    CAPTURE(k.name);
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{7}, size_t{8}, size_t{9}, size_t{15},
                     size_t{16}, size_t{17}, size_t{31}, size_t{32}, size_t{33}, size_t{63}, size_t{64}, size_t{65},
                     size_t{127}, size_t{128}, size_t{768}, size_t{3071}, size_t{4099}}) {
      CAPTURE(n);
      const std::vector<float> x = Row(n, static_cast<uint32_t>(n) * 3 + 1);
      qc::test::GuardBuffer<float> in(n);
      qc::test::GuardBuffer<int8_t> q(n);
      if (n > 0) std::memcpy(in.data(), x.data(), n * sizeof(float));
      bool want_nan = true, got_nan = true;
      const float want_max = ref.abs_max(x.data(), n, &want_nan);
      CHECK(k.abs_max(in.data(), n, &got_nan) == want_max);
      CHECK(got_nan == want_nan);
      CHECK_FALSE(got_nan);
      for (float clip : {std::numeric_limits<float>::infinity(), 2.5f}) {
        for (float scale : {2.0f, 127.0f / 9.0f, 1000.0f}) {  // 1000: most codes saturate at ±127
          CAPTURE(clip);
          CAPTURE(scale);
          std::vector<int8_t> want_q(n);
          const int32_t want_sum = ref.quantize_row(x.data(), n, clip, scale, want_q.data());
          const int32_t got_sum = k.quantize_row(in.data(), n, clip, scale, q.data());
          CHECK(got_sum == want_sum);
          CHECK((n == 0 || std::memcmp(q.data(), want_q.data(), n) == 0));
        }
      }
      // A NaN anywhere is flagged and never becomes the maximum; an infinity is the maximum.
      if (n > 0) {
        for (size_t at : {size_t{0}, n / 2, n - 1}) {
          in[at] = std::nanf("");
          bool nan = false;
          bool ref_nan = false;
          std::vector<float> copy(in.data(), in.data() + n);
          CHECK(k.abs_max(in.data(), n, &nan) == ref.abs_max(copy.data(), n, &ref_nan));
          CHECK(nan);
          CHECK(ref_nan);
          in[at] = -std::numeric_limits<float>::infinity();
          CHECK(k.abs_max(in.data(), n, &nan) == std::numeric_limits<float>::infinity());
          CHECK_FALSE(nan);
          in[at] = x[at];
        }
      }
    }
  }
  CHECK(ran >= 1);
  // The ties really round to even: 0.25·2 = 0.5 → 0, 0.75·2 = 1.5 → 2, -1.25·2 = -2.5 → -2.
  const float ties[3] = {0.25f, 0.75f, -1.25f};
  int8_t codes[3];
  CHECK(ref.quantize_row(ties, 3, 10.0f, 2.0f, codes) == 0);
  CHECK(codes[0] == 0);
  CHECK(codes[1] == 2);
  CHECK(codes[2] == -2);
}
