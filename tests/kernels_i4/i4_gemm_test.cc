// Every int4 × int8 GEMM kernel the CPU can run against the int64 answer (bit-exact int32 and float), over shapes
// around the tile edges, odd K, K >= 4096 and K = kI4MaxK with extreme activations; PackI4 / UnpackI4 round trip.
// The problem builder is shared with tests/kernels_i8.
#include <doctest/doctest.h>

#include <vector>

#include "configs/int_gemm_config.h"
#include "quant/i4_pack.h"
#include "tests/kernels_i8/int_gemm_problem.h"

namespace qc::test {
namespace {

TEST_CASE("i4 gemm: every available kernel is bit-exact to the int64 answer") {
  const CpuFeatures& cpu = HardwareCpuFeatures();
  int ran = 0;
  for (const IntGemmKernel& kernel : I4GemmKernels()) {
    if (!T2IsaAvailable(kernel.isa, cpu)) {
      MESSAGE("skipping " << kernel.name << ": CPU lacks " << T2IsaName(kernel.isa));
      continue;
    }
    ++ran;
    unsigned seed = 1;
    for (size_t m : {1, 3, 4, 5, 8, 9})
      for (size_t n : {1, 3, 4, 5, 8, 9, 17})
        for (size_t k : {1, 7, 63, 64, 65, 127, 128, 129, 255, 257}) {
          IntGemmProblem<4> p(m, n, k, IntPattern::kRandom, seed++);
          p.CheckKernel(kernel.fn, kernel.name, n / 2 + (n > 2 ? 1 : 0));
        }
    for (IntPattern pat : {IntPattern::kMaxPlusActMin, IntPattern::kMaxMinusActMin, IntPattern::kMaxPlusActMax,
                           IntPattern::kAlternating}) {
      IntGemmProblem<4> p(5, 6, 4097, pat, seed++);
      p.CheckKernel(kernel.fn, kernel.name, 3);
    }
  }
  CHECK(ran >= 2);
}

TEST_CASE("i4 gemm: K = kI4MaxK with extreme codes and activations stays exact") {
  const CpuFeatures& cpu = HardwareCpuFeatures();
  for (const IntGemmKernel& kernel : I4GemmKernels()) {
    if (!T2IsaAvailable(kernel.isa, cpu)) continue;
    IntGemmProblem<4> p(1, 4, kI4MaxK, IntPattern::kMaxPlusActMin, 3);
    p.CheckKernel(kernel.fn, kernel.name, 2);
  }
}

TEST_CASE("i4 gemm: the selected kernel is never the oracle") {
  const bool differs = GetI4GemmKernel().fn != I4GemmReferenceKernel().fn;
  CHECK(differs);
}

TEST_CASE("PackI4 / UnpackI4 round trip, nibble placement, padding 8, out-of-range codes rejected") {
  for (size_t n : {1, 3, 4, 5}) {
    for (size_t k : {1, 63, 64, 65, 128, 129, 300}) {
      std::vector<int8_t> codes(n * k), back(n * k);
      for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int8_t>(static_cast<int>(i * 5 % 15) - 7);
      std::vector<uint8_t> packed(I4PackedBytes(n, k));
      REQUIRE(PackI4(codes.data(), n, k, k, packed.data(), packed.size()).ok());
      UnpackI4(packed.data(), n, k, back.data(), k);
      CHECK(back == codes);
      if (k % 128 != 0) CHECK(I4PackedCode(packed.data(), k, 0, k) == kI4CodeOffset);
    }
  }
  // Column 0 -> low nibble of byte 0, column 64 -> high nibble of byte 0, column 1 -> low nibble of byte 1.
  std::vector<int8_t> row(128, 0);
  row[0] = -7;
  row[64] = 7;
  row[1] = 1;
  std::vector<uint8_t> packed(I4PackedBytes(1, 128));
  REQUIRE(PackI4(row.data(), 1, 128, 128, packed.data(), packed.size()).ok());
  CHECK(packed[0] == 0xF1);
  CHECK(packed[1] == 0x89);
  const int8_t eight[1] = {8};
  CHECK_FALSE(PackI4(eight, 1, 1, 1, packed.data(), packed.size()).ok());
  CHECK(I4PackedBytes(5, 129) == 2 * 2 * 256);
}

}  // namespace
}  // namespace qc::test
