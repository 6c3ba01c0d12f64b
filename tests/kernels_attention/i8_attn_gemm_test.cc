// int8 × int8 attention product kernels (kernels/i8-i8-attention/kernels.inc): one test case per kernel.
//
// Every kernel the CPU can run must be BIT-EXACT: C equals an int64 dot product computed here (never by a kernel)
// and is memcmp-identical to the I8AttnGemmRef oracle's. Shapes are the two products of attention, Q·Kᵀ
// (m = n = S, k = dh) and P·V (m = S, n = dh, k = S), for S in {1, 2, 7, 16, 17, 63, 64, 65, 128, 129, 384} and
// dh in {16, 32, 64, 80} (k not a multiple of the 32-column block included), with random codes and adversarial
// ±127 patterns (the extremes of the AVX-512 offset sum), k = 65536 at the int32 limit, and sub-rectangles (the
// kernel must write exactly its rectangle). All operands end against a guard page.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "configs/attention_config.h"
#include "kernels/i8-i8-attention/kernels.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::GuardBuffer;

enum class Pattern { kRandom, kAllMax, kAllMin, kMixedExtremes, kSparse };

const char* PatternName(Pattern p) {
  switch (p) {
    case Pattern::kRandom:
      return "random";
    case Pattern::kAllMax:
      return "a=+127,b=+127";
    case Pattern::kAllMin:
      return "a=-127,b=+127";
    case Pattern::kMixedExtremes:
      return "random ±127";
    case Pattern::kSparse:
      return "sparse";
  }
  return "?";
}

// Rows of `rows` × k codes with the zero padding to I8AttnPaddedK(k), in a guard buffer ending at the last row.
void Fill(GuardBuffer<int8_t>& buf, size_t rows, size_t k, Pattern pat, bool is_a, std::mt19937& rng) {
  const size_t kp = qc::I8AttnPaddedK(k);
  std::uniform_int_distribution<int> code(-127, 127);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < kp; ++c) {
      int v = 0;
      if (c < k) {
        switch (pat) {
          case Pattern::kRandom:
            v = code(rng);
            break;
          case Pattern::kAllMax:
            v = 127;
            break;
          case Pattern::kAllMin:
            v = is_a ? -127 : 127;
            break;
          case Pattern::kMixedExtremes:
            v = (rng() & 1) ? 127 : -127;
            break;
          case Pattern::kSparse:
            v = rng() % 7 == 0 ? code(rng) : 0;
            break;
        }
      }
      buf[r * kp + c] = static_cast<int8_t>(v);
    }
  }
}

struct Problem {
  size_t m, n, k, kp;
  GuardBuffer<int8_t> a, b;
  GuardBuffer<int32_t> c;
  std::vector<int64_t> expect;

  Problem(size_t m_, size_t n_, size_t k_, Pattern pat, unsigned seed)
      : m(m_), n(n_), k(k_), kp(qc::I8AttnPaddedK(k_)), a(m_ * kp), b(n_ * kp), c(m_ * n_), expect(m_ * n_) {
    std::mt19937 rng(seed);
    Fill(a, m, k, pat, true, rng);
    Fill(b, n, k, pat, false, rng);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        int64_t s = 0;
        for (size_t kk = 0; kk < k; ++kk) s += int64_t{a[i * kp + kk]} * int64_t{b[j * kp + kk]};
        expect[i * n + j] = s;
      }
    }
  }

  qc::I8AttnGemmArgs Args() {
    qc::I8AttnGemmArgs g;
    g.a = a.data();
    g.a_stride = kp;
    g.b = b.data();
    g.b_stride = kp;
    g.c = c.data();
    g.c_stride = n;
    g.m = m;
    g.n = n;
    g.k = k;
    return g;
  }

  size_t Mismatches() const {
    size_t bad = 0;
    for (size_t i = 0; i < m * n; ++i) bad += int64_t{c[i]} != expect[i];
    return bad;
  }
};

bool Runnable(const qc::I8AttnGemmKernel& kernel) {
  if (qc::I8AttnIsaAvailable(kernel.isa, qc::HardwareCpuFeatures())) return true;
  MESSAGE("skipping ", std::string(kernel.name), ": this CPU lacks ", std::string(qc::I8AttnIsaName(kernel.isa)));
  return false;
}

void Check(const qc::I8AttnGemmKernel& kernel, Problem& p, const std::string& what) {
  INFO(std::string(kernel.name), " ", what, " m=", p.m, " n=", p.n, " k=", p.k);
  std::memset(p.c.data(), 0x5a, p.m * p.n * sizeof(int32_t));
  kernel.fn(p.Args(), 0, p.m, 0, p.n);
  CHECK(p.Mismatches() == 0);
  if (kernel.fn != &qc::I8AttnGemmRef) {
    const std::vector<int32_t> got(p.c.data(), p.c.data() + p.m * p.n);
    qc::I8AttnGemmRef(p.Args(), 0, p.m, 0, p.n);
    CHECK(std::memcmp(got.data(), p.c.data(), got.size() * sizeof(int32_t)) == 0);
  }
}

void TestKernel(const qc::I8AttnGemmKernel& kernel) {
  REQUIRE((kernel.fn != nullptr));
  if (!Runnable(kernel)) return;
  unsigned seed = 1;
  SUBCASE("Q·Kᵀ and P·V shapes, random codes") {
    for (size_t s : {1, 2, 7, 16, 17, 63, 64, 65, 128, 129, 384}) {
      for (size_t dh : {16, 32, 64, 80}) {
        Problem qk(s, s, dh, Pattern::kRandom, seed++);
        Check(kernel, qk, "QK");
        Problem pv(s, dh, s, Pattern::kRandom, seed++);
        Check(kernel, pv, "PV");
      }
    }
  }
  SUBCASE("adversarial ±127 and sparse codes") {
    for (Pattern pat : {Pattern::kAllMax, Pattern::kAllMin, Pattern::kMixedExtremes, Pattern::kSparse}) {
      for (size_t s : {1, 17, 64, 129}) {
        for (size_t dh : {16, 64, 80}) {
          Problem qk(s, s, dh, pat, seed++);
          Check(kernel, qk, PatternName(pat));
          Problem pv(s, dh, s, pat, seed++);
          Check(kernel, pv, PatternName(pat));
        }
      }
    }
  }
  SUBCASE("k = 65536 (kI8AttnMaxK): every intermediate stays in int32") {
    for (Pattern pat : {Pattern::kAllMax, Pattern::kAllMin, Pattern::kMixedExtremes}) {
      Problem p(3, 17, qc::kI8AttnMaxK, pat, seed++);
      Check(kernel, p, PatternName(pat));
    }
  }
  SUBCASE("sub-rectangles write exactly their outputs") {
    Problem p(37, 41, 80, Pattern::kRandom, 77);
    const size_t splits[][4] = {{0, 37, 0, 41}, {5, 6, 0, 41}, {0, 37, 3, 4}, {9, 30, 17, 40}, {1, 36, 16, 32}};
    for (const auto& r : splits) {
      INFO(std::string(kernel.name), " rectangle [", r[0], ",", r[1], ") x [", r[2], ",", r[3], ")");
      std::memset(p.c.data(), 0x5a, p.m * p.n * sizeof(int32_t));
      kernel.fn(p.Args(), r[0], r[1], r[2], r[3]);
      size_t bad = 0;
      for (size_t i = 0; i < p.m; ++i) {
        for (size_t j = 0; j < p.n; ++j) {
          const bool inside = i >= r[0] && i < r[1] && j >= r[2] && j < r[3];
          int32_t sentinel;
          std::memset(&sentinel, 0x5a, sizeof(sentinel));
          const int32_t got = p.c[i * p.n + j];
          bad += inside ? int64_t{got} != p.expect[i * p.n + j] : got != sentinel;
        }
      }
      CHECK(bad == 0);
    }
  }
}

}  // namespace

TEST_CASE("i8-i8-attention kernel list: the oracle first, every ISA named") {
  const auto& kernels = qc::I8AttnGemmKernels();
  REQUIRE(!kernels.empty());
  CHECK((kernels.front().fn == &qc::I8AttnGemmRef));
  for (const auto& k : kernels) CHECK(std::string(qc::I8AttnIsaName(k.isa)) != "unknown");
  const qc::I8AttnGemmKernel& chosen = qc::SelectI8AttnGemmKernel(qc::HardwareCpuFeatures());
  CHECK(qc::I8AttnIsaAvailable(chosen.isa, qc::HardwareCpuFeatures()));
  const qc::CpuFeatures& hw = qc::HardwareCpuFeatures();
  qc::CpuFeatures scalar = hw;
  REQUIRE(qc::CapCpuFeatures(scalar, "scalar"));
  CHECK(std::string(qc::SelectI8AttnGemmKernel(scalar).name) == "I8AttnGemmRef");
#if QC_HAVE_AVX512_KERNELS
  if (hw.avx512_vnni) CHECK(std::string(chosen.name) == "I8AttnGemm8x32Avx512Vnni");
#endif
#if QC_HAVE_AVX2_KERNELS
  qc::CpuFeatures no_vnni = hw;
  no_vnni.avx512_vnni = false;  // AVX-512 without VNNI (Skylake-X) must not get the VNNI kernel
  if (hw.avx2) CHECK(std::string(qc::SelectI8AttnGemmKernel(no_vnni).name) == "I8AttnGemm2x4Avx2");
#endif
  CHECK(std::string(qc::I8AttnGemmReferenceKernel().name) == "I8AttnGemmRef");
  CHECK(qc::I8AttnIsaAvailable(qc::GetI8AttnGemmKernel().isa, hw));
}

// One test case per kernels.inc line.
#define QC_I8_ATTN_KERNEL(isa, function, rows, cols)               \
  TEST_CASE("i8-i8-attention kernel " #function " is bit-exact") { \
    for (const auto& k : qc::I8AttnGemmKernels()) {                \
      if (k.fn == &qc::function) TestKernel(k);                    \
    }                                                              \
  }
#include "kernels/i8-i8-attention/kernels.inc"
#undef QC_I8_ATTN_KERNEL
