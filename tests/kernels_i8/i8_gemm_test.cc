// Every int8 × int8 GEMM kernel the CPU can run against the int64 answer (bit-exact int32 and float), over shapes
// around the tile edges (4 tokens × 4 rows × 128-column blocks), odd K, K >= 4096 and K = kI8MaxK with extreme
// activations; plus QuantizeIntWeights on hand-computed cases and the PackI8 / UnpackI8 round trip.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "configs/int_gemm_config.h"
#include "quant/i8_pack.h"
#include "tests/kernels_i8/int_gemm_problem.h"

namespace qc::test {
namespace {

template <int Bits>
void SweepKernels(const std::vector<IntGemmKernel>& kernels) {
  const CpuFeatures& cpu = HardwareCpuFeatures();
  int ran = 0;
  for (const IntGemmKernel& kernel : kernels) {
    if (!T2IsaAvailable(kernel.isa, cpu)) {
      MESSAGE("skipping " << kernel.name << ": CPU lacks " << T2IsaName(kernel.isa));
      continue;
    }
    ++ran;
    unsigned seed = 1;
    for (size_t m : {1, 3, 4, 5, 8, 9})
      for (size_t n : {1, 3, 4, 5, 8, 9, 17})
        for (size_t k : {1, 7, 127, 128, 129, 255, 257}) {
          IntGemmProblem<Bits> p(m, n, k, IntPattern::kRandom, seed++);
          p.CheckKernel(kernel.fn, kernel.name, n / 2 + (n > 2 ? 1 : 0));
        }
    for (IntPattern pat : {IntPattern::kMaxPlusActMin, IntPattern::kMaxMinusActMin, IntPattern::kMaxPlusActMax,
                           IntPattern::kAlternating}) {
      IntGemmProblem<Bits> p(5, 6, 4097, pat, seed++);
      p.CheckKernel(kernel.fn, kernel.name, 3);
    }
  }
  CHECK(ran >= 2);  // at least the oracle and the scalar tile kernel
}

TEST_CASE("i8 gemm: every available kernel is bit-exact to the int64 answer") {
  SweepKernels<8>(I8GemmKernels());
}

TEST_CASE("i8 gemm: K = kI8MaxK with extreme codes and activations stays exact") {
  const CpuFeatures& cpu = HardwareCpuFeatures();
  for (const IntGemmKernel& kernel : I8GemmKernels()) {
    if (!T2IsaAvailable(kernel.isa, cpu)) continue;
    for (IntPattern pat : {IntPattern::kMaxPlusActMin, IntPattern::kMaxMinusActMin}) {
      IntGemmProblem<8> p(2, 4, kI8MaxK, pat, 7);
      p.CheckKernel(kernel.fn, kernel.name, 1);
    }
  }
}

TEST_CASE("i8 gemm: the selected kernel is never the oracle") {
  const bool differs = GetI8GemmKernel().fn != I8GemmReferenceKernel().fn;
  CHECK(differs);
}

TEST_CASE("QuantizeIntWeights: per-row absmax scale, half-to-even, clamp, zero rows") {
  // Row 0: amax 127 -> s = 1: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, 127 -> 127. Row 1: all zero -> codes 0, d = 0.
  const std::vector<float> w = {2.5f, 3.5f, -2.5f, 127.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  std::vector<int8_t> q(8);
  std::vector<float> d(2);
  REQUIRE(QuantizeIntWeights(w.data(), 2, 4, 4, 127, true, q.data(), 4, d.data()).ok());
  CHECK(q == std::vector<int8_t>{2, 4, -2, 127, 0, 0, 0, 0});
  CHECK(d[0] == 1.0f);
  CHECK(d[1] == 0.0f);
  // Per tensor, int4: amax 127 -> s = 7/127; 127 -> 7, 2.5·7/127 = 0.137… -> 0.
  std::vector<float> d1(1);
  REQUIRE(QuantizeIntWeights(w.data(), 2, 4, 4, 7, false, q.data(), 4, d1.data()).ok());
  CHECK(q[3] == 7);
  CHECK(q[0] == 0);
  CHECK(d1[0] == 127.0f / 7.0f);
  const std::vector<float> bad = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK_FALSE(QuantizeIntWeights(bad.data(), 1, 2, 2, 127, true, q.data(), 2, d.data()).ok());
}

TEST_CASE("PackI8 / UnpackI8 round trip, padding code 128, -128 and oversized K rejected") {
  for (size_t n : {1, 3, 4, 5}) {
    for (size_t k : {1, 127, 128, 129, 300}) {
      std::vector<int8_t> codes(n * k), back(n * k);
      for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
      std::vector<uint8_t> packed(I8PackedBytes(n, k));
      REQUIRE(PackI8(codes.data(), n, k, k, packed.data(), packed.size()).ok());
      UnpackI8(packed.data(), n, k, back.data(), k);
      CHECK(back == codes);
      if (k % 128 != 0) CHECK(I8PackedWeight(packed.data(), k, 0, k) == 0);
      if (n % 4 != 0) CHECK(I8PackedWeight(packed.data(), k, n, 0) == 0);
    }
  }
  const int8_t m128[1] = {-128};
  std::vector<uint8_t> packed(I8PackedBytes(1, 1));
  CHECK_FALSE(PackI8(m128, 1, 1, 1, packed.data(), packed.size()).ok());
  CHECK_FALSE(PackI8(m128, 1, kI8MaxK + 1, 1, packed.data(), packed.size()).ok());
  CHECK(I8PackedBytes(5, 129) == 2 * 2 * 512);
}

}  // namespace
}  // namespace qc::test
