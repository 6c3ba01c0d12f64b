// fp32 GEMM kernels (kernels/f32-f32-gemm/kernels.inc): one test case per kernel, generated from the list.
//
// Every kernel the CPU can run is compared with an exact (double) product and with the F32GemmRef oracle, over
// sizes around every tile edge, odd K, strided rows, K and N cache blocks, and split ranges. Operands sit against a
// guard page (tests/support/guard_buffer.h), so reading or writing one float past any of them crashes the test.
//
// Tolerance. Float dot products have a rounding error bounded by a multiple of u·Σ|x_k·w_k| (u = 2^-24; Higham,
// "Accuracy and Stability of Numerical Algorithms" §3.1); for random data the observed error is a few u·Σ|x·w|
// whatever K is, whereas the error relative to |y| itself grows with K because y can cancel to near zero. So the
// check is |y - y_exact| <= 1e-5 · (Σ_k |x_k·w_k| + |bias|), about 170 u: far above rounding noise, far below any
// indexing bug (a wrong or missing term is ~1/K of the scale; K <= 3072 gives >= 3e-4). Kernels vs the oracle use
// twice that. The scalar tiled kernel keeps the oracle's summation order and must match it bit for bit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "configs/gemm_config.h"
#include "kernels/f32-f32-gemm/kernels.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::GuardBuffer;

constexpr double kTolerance = 1e-5;
using Dims = std::tuple<size_t, size_t, size_t>;
constexpr float kSentinel = 12345.0f;  // written to Y before a run: must survive where nothing is computed

// M, N and K values at and around the tile edges of every kernel (MR <= 4, NR <= 6, vector widths 4/8/16, K
// block 1024) plus BERT's widths.
const std::vector<size_t> kEdgeSizes = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,  11,  12,  13,  14,
                                        15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 768, 3072};

struct Problem {
  size_t m, n, k;
  size_t x_stride, w_stride, y_stride;
  bool bias;
  GuardBuffer<float> x, w, b, y;
  std::vector<double> exact, scale;

  // Strides of 0 mean dense rows. Buffers end exactly at the last element used, against the guard page.
  Problem(size_t m_, size_t n_, size_t k_, bool bias_, unsigned seed, size_t xs = 0, size_t ws = 0, size_t ys = 0)
      : m(m_),
        n(n_),
        k(k_),
        x_stride(xs ? xs : k_),
        w_stride(ws ? ws : k_),
        y_stride(ys ? ys : n_),
        bias(bias_),
        x(m_ ? (m_ - 1) * x_stride + k_ : 0),
        w(n_ ? (n_ - 1) * w_stride + k_ : 0),
        b(bias_ ? n_ : 0),
        y(m_ ? (m_ - 1) * y_stride + n_ : 0) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = dist(rng);
    for (size_t i = 0; i < w.size(); ++i) w[i] = dist(rng);
    for (size_t i = 0; i < b.size(); ++i) b[i] = dist(rng);
    exact.assign(m * n, 0.0);
    scale.assign(m * n, 0.0);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        double sum = bias ? b[j] : 0.0, mag = bias ? std::fabs(b[j]) : 0.0;
        for (size_t kk = 0; kk < k; ++kk) {
          const double p = static_cast<double>(x[i * x_stride + kk]) * w[j * w_stride + kk];
          sum += p;
          mag += std::fabs(p);
        }
        exact[i * n + j] = sum;
        scale[i * n + j] = mag;
      }
    }
  }

  qc::F32GemmArgs Args() {
    qc::F32GemmArgs a;
    a.x = x.data();
    a.x_stride = x_stride;
    a.w = w.data();
    a.w_stride = w_stride;
    a.bias = bias ? b.data() : nullptr;
    a.y = y.data();
    a.y_stride = y_stride;
    a.m = m;
    a.n = n;
    a.k = k;
    return a;
  }

  // Runs `fn` over the whole product into a sentinel-filled Y and returns the dense M×N result.
  std::vector<float> Run(qc::F32GemmFn fn) {
    std::fill(y.data(), y.data() + y.size(), kSentinel);
    fn(Args(), 0, m, 0, n);
    return Dense();
  }

  std::vector<float> Dense() const {
    std::vector<float> out(m * n);
    for (size_t i = 0; i < m; ++i) std::memcpy(&out[i * n], y.data() + i * y_stride, n * sizeof(float));
    return out;
  }

  // True when the padding between Y rows still holds the sentinel.
  bool PaddingUntouched() const {
    for (size_t i = 0; i + 1 < m; ++i) {
      for (size_t j = n; j < y_stride; ++j) {
        if (y[i * y_stride + j] != kSentinel) return false;
      }
    }
    return true;
  }

  std::string Name() const {
    return "M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=" + std::to_string(k) +
           " strides=" + std::to_string(x_stride) + "/" + std::to_string(w_stride) + "/" + std::to_string(y_stride) +
           (bias ? " bias" : " no-bias");
  }
};

// Largest |got - want| / tolerance-scale over the product; <= 1 passes.
double WorstRatio(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& scale,
                  double tol) {
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double allowed = tol * scale[i] + 1e-30;
    worst = std::max(worst, std::isfinite(got[i]) ? err / allowed : 1e30);
  }
  return worst;
}

// Checks one kernel on one problem against the exact product and the oracle's output.
void CheckProblem(const qc::F32GemmKernel& kernel, Problem& p, const std::vector<float>& oracle) {
  INFO(std::string(kernel.name), " ", p.Name());
  const std::vector<float> got = p.Run(kernel.fn);
  CHECK(WorstRatio(got, p.exact, p.scale, kTolerance) <= 1.0);
  std::vector<double> oracle_d(oracle.begin(), oracle.end());
  CHECK(WorstRatio(got, oracle_d, p.scale, 2 * kTolerance) <= 1.0);
  if (kernel.fn == &qc::F32Gemm4x4Scalar) CHECK(std::memcmp(got.data(), oracle.data(), got.size() * 4) == 0);
  CHECK(p.PaddingUntouched());
}

void CheckAll(const qc::F32GemmKernel& kernel, Problem& p) {
  const std::vector<float> oracle = p.Run(&qc::F32GemmRef);
  CheckProblem(kernel, p, oracle);
}

bool Runnable(const qc::F32GemmKernel& kernel) {
  if (qc::IsaAvailable(kernel.isa, qc::HardwareCpuFeatures())) return true;
  MESSAGE("skipping ", std::string(kernel.name), ": this CPU lacks ", std::string(qc::IsaName(kernel.isa)));
  return false;
}

void TestKernel(const qc::F32GemmKernel& kernel) {
  REQUIRE((kernel.fn != nullptr));
  if (!Runnable(kernel)) return;
  unsigned seed = 1;

  SUBCASE("K sweep: every edge size, odd K, small M and N around the tile") {
    for (size_t k : kEdgeSizes) {
      for (auto [m, n] : std::vector<std::pair<size_t, size_t>>{{1, 1}, {3, 5}, {4, 6}, {5, 7}, {9, 13}}) {
        Problem p(m, n, k, (k + m) % 2 == 0, seed++);
        CheckAll(kernel, p);
      }
    }
  }

  SUBCASE("M x N sweep around tile edges") {
    std::vector<size_t> mn(kEdgeSizes.begin(), kEdgeSizes.begin() + 23);  // 1..17, 31..33, 63..65
    for (size_t k : {size_t{1}, size_t{7}, size_t{16}, size_t{17}, size_t{33}}) {
      for (size_t m : mn) {
        for (size_t n : mn) {
          Problem p(m, n, k, (m + n) % 3 != 0, seed++);
          CheckAll(kernel, p);
        }
      }
    }
  }

  SUBCASE("BERT-sized and large-K products (K and N cache blocks, tails)") {
    for (auto [m, n, k] : std::vector<Dims>{
             {128, 768, 768}, {16, 3072, 768}, {33, 129, 3072}, {127, 65, 768}, {5, 257, 2500}, {2, 3, 4099}}) {
      Problem p(m, n, k, true, seed++);
      CheckAll(kernel, p);
    }
  }

  SUBCASE("strided rows leave the gaps alone") {
    for (auto [m, n, k] : std::vector<Dims>{{7, 11, 19}, {4, 6, 64}, {13, 5, 33}, {1, 1, 1}}) {
      Problem p(m, n, k, true, seed++, k + 3, k + 5, n + 2);
      CheckAll(kernel, p);
    }
  }

  SUBCASE("K = 0 writes the bias, or zeros") {
    Problem with_bias(3, 5, 0, true, seed++);
    const std::vector<float> y = with_bias.Run(kernel.fn);
    for (size_t i = 0; i < 3; ++i) {
      for (size_t j = 0; j < 5; ++j) CHECK(y[i * 5 + j] == with_bias.b[j]);
    }
    Problem no_bias(2, 9, 0, false, seed++);
    for (float v : no_bias.Run(kernel.fn)) CHECK(v == 0.0f);
  }

  SUBCASE("empty ranges write nothing") {
    Problem p(6, 7, 9, true, seed++);
    std::fill(p.y.data(), p.y.data() + p.y.size(), kSentinel);
    kernel.fn(p.Args(), 3, 3, 0, 7);
    kernel.fn(p.Args(), 0, 6, 5, 5);
    for (float v : p.Dense()) CHECK(v == kSentinel);
    Problem zero_m(0, 4, 8, true, seed++);
    kernel.fn(zero_m.Args(), 0, 0, 0, 4);  // must not touch the empty X or Y buffers
    Problem zero_n(4, 0, 8, true, seed++);
    kernel.fn(zero_n.Args(), 0, 4, 0, 0);
  }

  SUBCASE("split ranges give bit-identical results") {
    // N=200 exceeds one N block at K block 1024 and K=2500 spans three K blocks, so splits cross both.
    Problem p(11, 200, 2500, true, seed++);
    const std::vector<float> whole = p.Run(kernel.fn);
    for (auto [ms, ns] : std::vector<std::pair<size_t, size_t>>{{5, 97}, {1, 1}, {10, 199}, {4, 6}}) {
      std::fill(p.y.data(), p.y.data() + p.y.size(), kSentinel);
      const qc::F32GemmArgs a = p.Args();
      kernel.fn(a, 0, ms, 0, ns);
      kernel.fn(a, ms, p.m, 0, ns);
      kernel.fn(a, 0, ms, ns, p.n);
      kernel.fn(a, ms, p.m, ns, p.n);
      INFO(std::string(kernel.name), " split at m=", ms, " n=", ns);
      CHECK(std::memcmp(p.Dense().data(), whole.data(), whole.size() * sizeof(float)) == 0);
    }
  }
}

}  // namespace

// One test case per kernel in the list, as XNNPACK generates them.
#define QC_F32_GEMM_KERNEL(isa, function, mr, nr)             \
  TEST_CASE("f32 gemm kernel " #function) {                   \
    bool listed = false;                                      \
    for (const qc::F32GemmKernel& k : qc::F32GemmKernels()) { \
      if (k.fn != &qc::function) continue;                    \
      listed = true;                                          \
      TestKernel(k);                                          \
    }                                                         \
    CHECK(listed);                                            \
  }
#include "kernels/f32-f32-gemm/kernels.inc"
#undef QC_F32_GEMM_KERNEL

TEST_CASE("gemm config picks a runnable kernel and honours ISA caps") {
  const qc::CpuFeatures& hw = qc::HardwareCpuFeatures();
  const qc::F32GemmKernel& best = qc::SelectF32GemmKernel(hw);
  CHECK(qc::IsaAvailable(best.isa, hw));
  CHECK_FALSE(std::string(best.name) == "F32GemmRef");  // the oracle is never production
  MESSAGE("selected fp32 gemm kernel: ", std::string(best.name), " (", std::string(qc::IsaName(best.isa)), ")");

  qc::CpuFeatures scalar = hw;
  REQUIRE(qc::CapCpuFeatures(scalar, "scalar"));
  CHECK(std::string(qc::SelectF32GemmKernel(scalar).name) == "F32Gemm4x4Scalar");
#if QC_HAVE_AVX2_KERNELS
  qc::CpuFeatures avx2 = hw;
  REQUIRE(qc::CapCpuFeatures(avx2, "avx2"));
  if (hw.avx2) CHECK(std::string(qc::SelectF32GemmKernel(avx2).name) == "F32Gemm4x3Avx2");
#endif
  CHECK(std::string(qc::F32GemmReferenceKernel().name) == "F32GemmRef");
  CHECK(IsaAvailable(qc::GetF32GemmKernel().isa, hw));

  // F32Gemm runs the whole product with the configured kernel.
  Problem p(9, 10, 37, true, 77);
  std::fill(p.y.data(), p.y.data() + p.y.size(), kSentinel);
  qc::F32Gemm(p.Args());
  CHECK(WorstRatio(p.Dense(), p.exact, p.scale, kTolerance) <= 1.0);
}
