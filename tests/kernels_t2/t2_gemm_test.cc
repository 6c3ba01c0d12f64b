// Ternary × int8 GEMM kernels (kernels/t2-i8-gemm/kernels.inc): one test case per kernel, generated from the list.
//
// Every kernel the CPU can run must be BIT-EXACT: its int32 output equals an int64 dot product of the unpacked
// ternary weights (computed here, never by a kernel), its float output has exactly the bits of T2Output(that
// integer, α, d, b), and both are memcmp-identical to the T2GemmRef oracle's. Sizes sweep M, N and K around every
// tile edge (16/8/4 activation rows, 4-row groups, 128-column blocks, the 1024-column int16 widening of AVX2),
// K values that need padding, BERT shapes, and adversarial operands at K >= 4096 that would wrap an int16
// accumulator widened too late. All operands end against a guard page (tests/support/guard_buffer.h).
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "configs/t2_gemm_config.h"
#include "kernels/t2-i8-gemm/kernels.h"
#include "tests/kernels_t2/t2_problem.h"

namespace {

using qc::test::ActPattern;
using qc::test::T2Options;
using qc::test::T2Problem;
using qc::test::WeightPattern;
using Dims = std::tuple<size_t, size_t, size_t>;

// T2GemmRef reads one code at a time; above this many MACs a problem is checked against the (equal, tested)
// int64 + T2Output oracle only, to keep the test fast.
constexpr size_t kRefCompareMacs = size_t{40} << 20;

const std::vector<size_t> kMs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 127, 128, 129, 300};
// 66 and 5: not multiples of 4; 16/20/28/32/36: the AMX kernel's 16-channel tiles and 32-channel panels.
const std::vector<size_t> kNs = {4, 8, 12, 16, 20, 28, 32, 36, 60, 64, 68, 66, 5};
const std::vector<size_t> kKs = {128, 256, 384, 768, 3072, 4096, 8192, 1, 127, 129, 1000};

bool Runnable(const qc::T2GemmKernel& kernel) {
  if (qc::T2IsaAvailable(kernel.isa, qc::HardwareCpuFeatures())) return true;
  MESSAGE("skipping ", std::string(kernel.name), ": this CPU lacks ", std::string(qc::T2IsaName(kernel.isa)));
  return false;
}

void CheckProblem(const qc::T2GemmKernel& kernel, T2Problem& p) {
  INFO(std::string(kernel.name), " ", p.Name());
  p.Run(kernel.fn);
  CHECK(p.IntMismatches() == 0);
  CHECK(p.FloatMismatches() == 0);
  CHECK(p.PaddingUntouched());
  if (kernel.fn != &qc::T2GemmRef && p.m * p.n * p.k <= kRefCompareMacs) {
    const std::vector<int32_t> yi = p.DenseInt();
    const std::vector<float> yf = p.DenseY();
    p.Run(&qc::T2GemmRef);
    CHECK(std::memcmp(yi.data(), p.DenseInt().data(), yi.size() * sizeof(int32_t)) == 0);
    CHECK(std::memcmp(yf.data(), p.DenseY().data(), yf.size() * sizeof(float)) == 0);
  }
}

void TestKernel(const qc::T2GemmKernel& kernel) {
  REQUIRE((kernel.fn != nullptr));
  if (!Runnable(kernel)) return;
  unsigned seed = 1;
  auto options = [](unsigned s) {
    T2Options o;
    o.bias = s % 3 != 0;
    o.alpha_per_row = s % 2 == 0;
    return o;
  };

  SUBCASE("M sweep around the activation-row tiles, N around the 4-row groups") {
    for (size_t k : {size_t{128}, size_t{1}, size_t{129}}) {
      for (size_t m : kMs) {
        for (size_t n : kNs) {
          T2Problem p(m, n, k, options(seed), seed);
          ++seed;
          CheckProblem(kernel, p);
        }
      }
    }
  }

  SUBCASE("K sweep: block multiples, the 1024-column widening, padded K") {
    for (size_t k : kKs) {
      for (auto [m, n] :
           std::vector<std::pair<size_t, size_t>>{{1, 4}, {5, 12}, {17, 68}, {33, 64}, {16, 66}, {9, 768}}) {
        T2Problem p(m, n, k, options(seed), seed);
        ++seed;
        CheckProblem(kernel, p);
      }
    }
  }

  SUBCASE("BERT shapes (N blocks, every tile in the interior)") {
    for (auto [m, n, k] : std::vector<Dims>{{128, 768, 768}, {129, 768, 3072}, {33, 3072, 768}, {17, 768, 8192}}) {
      T2Problem p(m, n, k, options(seed), seed);
      ++seed;
      CheckProblem(kernel, p);
    }
  }

  SUBCASE("adversarial operands at K >= 4096 (int16 overflow if widened late)") {
    const std::vector<std::pair<WeightPattern, ActPattern>> patterns = {
        {WeightPattern::kAllPlus, ActPattern::kAllPlus},         {WeightPattern::kAllPlus, ActPattern::kAllMinus},
        {WeightPattern::kAllMinus, ActPattern::kAllPlus},        {WeightPattern::kAllMinus, ActPattern::kAllMinus},
        {WeightPattern::kAlternating, ActPattern::kAlternating}, {WeightPattern::kAllPlus, ActPattern::kDcHeavy},
        {WeightPattern::kRandom, ActPattern::kDcHeavy},          {WeightPattern::kAllMinus, ActPattern::kDcHeavy}};
    for (size_t k : {size_t{4096}, size_t{8192}, size_t{5000}}) {
      for (auto [wp, ap] : patterns) {
        T2Options o = options(seed);
        o.weights = wp;
        o.acts = ap;
        T2Problem p(17, 12, k, o, seed++);
        CheckProblem(kernel, p);
        if (wp != WeightPattern::kRandom && ap == ActPattern::kAllPlus) {
          CHECK(p.exact[0] == (wp == WeightPattern::kAllPlus ? 127 : -127) * static_cast<int64_t>(k));
        }
      }
    }
  }

  SUBCASE("integer results beyond 2^24 round the same way in the float epilogue") {
    T2Options o = options(seed);
    o.weights = WeightPattern::kAllPlus;
    o.acts = ActPattern::kDcHeavy;
    T2Problem p(3, 8, size_t{1} << 18, o, seed++);
    CHECK(p.exact[0] > (int64_t{1} << 24));
    CheckProblem(kernel, p);
  }

  SUBCASE("strided rows, junk past the padded activation row, one output only") {
    for (auto [m, n, k] : std::vector<Dims>{{7, 11, 300}, {16, 8, 128}, {20, 13, 1}, {1, 5, 1000}}) {
      T2Options o = options(seed);
      o.q_pad = 64;
      o.y_pad = 3;
      T2Problem p(m, n, k, o, seed++);
      CheckProblem(kernel, p);
      INFO(std::string(kernel.name), " ", p.Name());
      p.Run(kernel.fn, /*want_y=*/false, /*want_int=*/true);
      CHECK(p.IntMismatches() == 0);
      for (size_t i = 0; i < p.y.size(); ++i) CHECK(p.y[i] == qc::test::kSentinelF);
      p.Run(kernel.fn, /*want_y=*/true, /*want_int=*/false);
      CHECK(p.FloatMismatches() == 0);
      for (size_t i = 0; i < p.y_int.size(); ++i) CHECK(p.y_int[i] == qc::test::kSentinelI);
    }
  }

  SUBCASE("split ranges give bit-identical results, at and off the 4-row group bounds") {
    T2Problem p(37, 70, 1000, options(seed), seed);
    ++seed;
    p.Run(kernel.fn);
    const std::vector<float> whole = p.DenseY();
    const std::vector<int32_t> whole_int = p.DenseInt();
    for (auto [ms, ns] : std::vector<std::pair<size_t, size_t>>{{5, 12}, {1, 1}, {36, 69}, {16, 66}, {17, 4}}) {
      p.FillSentinels();
      const qc::T2GemmArgs a = p.Args();
      kernel.fn(a, 0, ms, 0, ns);
      kernel.fn(a, ms, p.m, 0, ns);
      kernel.fn(a, 0, ms, ns, p.n);
      kernel.fn(a, ms, p.m, ns, p.n);
      INFO(std::string(kernel.name), " split at m=", ms, " n=", ns);
      CHECK(std::memcmp(p.DenseY().data(), whole.data(), whole.size() * sizeof(float)) == 0);
      CHECK(std::memcmp(p.DenseInt().data(), whole_int.data(), whole_int.size() * sizeof(int32_t)) == 0);
    }
  }

  SUBCASE("K = 0 gives the bias (or +0); empty ranges write nothing") {
    T2Problem p(3, 6, 0, options(0), seed++);
    p.Run(kernel.fn);
    for (size_t i = 0; i < 3; ++i) {
      for (size_t j = 0; j < 6; ++j) {
        CHECK(p.y_int[i * p.y_stride + j] == 0);
        CHECK(p.y[i * p.y_stride + j] == p.ExpectedY(i, j));
      }
    }
    T2Problem q(6, 7, 200, options(seed), seed);
    ++seed;
    q.FillSentinels();
    kernel.fn(q.Args(), 3, 3, 0, 7);
    kernel.fn(q.Args(), 0, 6, 5, 5);
    for (float v : q.DenseY()) CHECK(v == qc::test::kSentinelF);
    T2Problem zero_m(0, 4, 130, options(seed), seed);
    kernel.fn(zero_m.Args(), 0, 0, 0, 4);  // must not touch the empty activation or output buffers
    T2Problem zero_n(4, 0, 130, options(seed), seed);
    kernel.fn(zero_n.Args(), 0, 4, 0, 0);
  }
}

}  // namespace

// One test case per kernel in the list.
#define QC_T2_GEMM_KERNEL(isa, function, tokens, rows)      \
  TEST_CASE("t2 gemm kernel " #function) {                  \
    bool listed = false;                                    \
    for (const qc::T2GemmKernel& k : qc::T2GemmKernels()) { \
      if (k.fn != &qc::function) continue;                  \
      listed = true;                                        \
      TestKernel(k);                                        \
    }                                                       \
    CHECK(listed);                                          \
  }
#include "kernels/t2-i8-gemm/kernels.inc"
#undef QC_T2_GEMM_KERNEL

TEST_CASE("t2 gemm config picks a runnable kernel and honours ISA caps") {
  const qc::CpuFeatures& hw = qc::HardwareCpuFeatures();
  const qc::T2GemmKernel& best = qc::SelectT2GemmKernel(hw);
  CHECK(qc::T2IsaAvailable(best.isa, hw));
  CHECK_FALSE(std::string(best.name) == "T2GemmRef");  // the oracle is never production
  MESSAGE("selected t2 gemm kernel: ", std::string(best.name), " (", std::string(qc::T2IsaName(best.isa)),
          "); cpu: ", hw.ToString());

  qc::CpuFeatures scalar = hw;
  REQUIRE(qc::CapCpuFeatures(scalar, "scalar"));
  CHECK(std::string(qc::SelectT2GemmKernel(scalar).name) == "T2Gemm4x4Scalar");
#if QC_HAVE_AVX2_KERNELS
  qc::CpuFeatures avx2 = hw;
  REQUIRE(qc::CapCpuFeatures(avx2, "avx2"));
  if (hw.avx2) CHECK(std::string(qc::SelectT2GemmKernel(avx2).name) == "T2Gemm4x4Avx2");
  qc::CpuFeatures no_vnni = hw;
  no_vnni.avx512_vnni = false;  // AVX-512 without VNNI (Skylake-X) must not get the VNNI kernel
  if (hw.avx2) CHECK(std::string(qc::SelectT2GemmKernel(no_vnni).name) == "T2Gemm4x4Avx2");
#endif
#if QC_HAVE_AVX512_KERNELS
  qc::CpuFeatures avx512 = hw;
  REQUIRE(qc::CapCpuFeatures(avx512, "avx512"));  // the cap that keeps AVX-512 but not AMX
  CHECK_FALSE(avx512.amx_int8);
  if (hw.avx512_vnni) CHECK(std::string(qc::SelectT2GemmKernel(avx512).name) == "T2Gemm16x4Avx512Vnni");
#endif
#if QC_HAVE_AMX_KERNELS
  qc::CpuFeatures amx = hw;
  REQUIRE(qc::CapCpuFeatures(amx, "amx"));
  if (hw.amx_int8) CHECK(std::string(qc::SelectT2GemmKernel(amx).name) == "T2GemmAmx");
#endif
  CHECK(std::string(qc::T2GemmReferenceKernel().name) == "T2GemmRef");
  CHECK(qc::T2IsaAvailable(qc::GetT2GemmKernel().isa, hw));

  T2Problem p(9, 10, 300, T2Options{}, 77);
  p.FillSentinels();
  qc::T2Gemm(p.Args());
  CHECK(p.IntMismatches() == 0);
  CHECK(p.FloatMismatches() == 0);
}
