// Error budget of the ternary GEMM (docs/quantization.md §6), end to end through the real pipeline: TWN-ternarize
// float weights, pack them, quantize float activations, run the selected kernel.
//
//  (1) Float epilogue. Against the float GEMM of the dequantized operands, ŷ = Σ_k (α(c−1))·(q·d) + b evaluated
//      in double, the kernel's output obeys |y − ŷ| <= 3.01·u·|α·d·Y| + u·|b| + 2^-40·Σ|ŵ·x̂|, u = 2^-24: one rounding
//      each for float(Y), α·d and the fused multiply-add (the last term covers the double-precision reference).
//  (2) Activation quantization. Against Σ_k ŵ·x_c + b (dequantized weights, unquantized clipped activations),
//      |y − that| <= α·nnz_n·d_m·(0.5 + 4e-5) + (1): each |x_c − q·d| is at most d/2 plus float rounding of x·s,
//      s·d ≠ 1 and the epilogue.
//  (3) Weight quantization (TWN) has no a-priori bound; its relative error against the fp32 GEMM of the clipped
//      input on Gaussian data is reported (with the separate effect of the clip) and checked only against a loose
//      sanity limit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "configs/t2_gemm_config.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"
#include "quant/twn.h"

namespace {

constexpr double kU = 1.0 / (1 << 24);

struct Pipeline {
  size_t m, n, k, kp;
  std::vector<float> w, x, bias, alpha, y, scale, deq;
  std::vector<uint8_t> codes, packed;
  std::vector<int8_t> q;
  std::vector<int32_t> q_sum, y_int;
  float clip;

  Pipeline(size_t m_, size_t n_, size_t k_, qc::TwnGranularity wg, qc::ActGranularity ag, float clip_, unsigned seed)
      : m(m_), n(n_), k(k_), kp(qc::T2PaddedK(k_)), clip(clip_) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> wdist(0.0f, 0.04f), xdist(0.0f, 1.0f), bdist(0.0f, 0.1f);
    w.resize(n * k);
    x.resize(m * k);
    bias.resize(n);
    for (float& v : w) v = wdist(rng);
    for (float& v : x) v = xdist(rng) * (rng() % 50 == 0 ? 6.0f : 1.0f);  // a few outliers, some beyond the clip
    for (float& v : bias) v = bdist(rng);
    codes.resize(n * k);
    alpha.resize(qc::TwnScaleCount(n, wg));
    REQUIRE(qc::TernarizeTwn(w.data(), n, k, k, {wg, qc::kTwnDefaultClip}, codes.data(), k, alpha.data()).ok());
    packed.resize(qc::T2PackedBytes(n, k));
    REQUIRE(qc::PackT2(codes.data(), n, k, k, packed.data(), packed.size()).ok());
    q.resize(m * kp);
    scale.resize(m);
    deq.resize(m);
    q_sum.resize(m);
    REQUIRE(qc::QuantizeActivations(x.data(), m, k, k, {ag, clip},
                                    {q.data(), kp, kp, scale.data(), deq.data(), q_sum.data()})
                .ok());
    y.resize(m * n);
    y_int.resize(m * n);
    qc::T2GemmArgs a;
    a.w = packed.data();
    a.alpha = alpha.data();
    a.alpha_per_row = wg == qc::TwnGranularity::kPerRow;
    a.q = q.data();
    a.q_stride = kp;
    a.q_sum = q_sum.data();
    a.q_dequant = deq.data();
    a.bias = bias.data();
    a.y = y.data();
    a.y_stride = n;
    a.y_int = y_int.data();
    a.y_int_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    qc::T2Gemm(a);
  }

  float Alpha(size_t j) const { return alpha[alpha.size() == 1 ? 0 : j]; }
};

void CheckBudget(const Pipeline& p) {
  double worst1 = 0.0, worst2 = 0.0, err_sq = 0.0, ref_sq = 0.0, clip_sq = 0.0, full_sq = 0.0;
  for (size_t i = 0; i < p.m; ++i) {
    for (size_t j = 0; j < p.n; ++j) {
      const double a = p.Alpha(j), d = p.deq[i], b = p.bias[j];
      double deq_gemm = b, deq_mag = 0.0, act_gemm = b, fp_gemm = b, fp_clipped = b;
      int64_t y_exact = 0;
      size_t nnz = 0;
      for (size_t kk = 0; kk < p.k; ++kk) {
        const double w_hat = qc::TwnDequantize(p.codes[j * p.k + kk], p.Alpha(j));
        const double x_hat = static_cast<double>(p.q[i * p.kp + kk]) * d;
        const double xv = p.x[i * p.k + kk];
        const double x_c = std::fmin(std::fmax(xv, -static_cast<double>(p.clip)), static_cast<double>(p.clip));
        deq_gemm += w_hat * x_hat;
        deq_mag += std::fabs(w_hat * x_hat);
        act_gemm += w_hat * x_c;
        fp_gemm += static_cast<double>(p.w[j * p.k + kk]) * xv;
        fp_clipped += static_cast<double>(p.w[j * p.k + kk]) * x_c;
        y_exact += (static_cast<int64_t>(p.codes[j * p.k + kk]) - 1) * p.q[i * p.kp + kk];
        nnz += p.codes[j * p.k + kk] != 1;
      }
      const double y = p.y[i * p.n + j];
      REQUIRE(p.y_int[i * p.n + j] == y_exact);
      const double bound1 = 3.01 * kU * std::fabs(a * d * static_cast<double>(y_exact)) + kU * std::fabs(b) +
                            std::ldexp(deq_mag, -40) + 1e-30;
      const double err1 = std::fabs(y - deq_gemm);
      worst1 = std::max(worst1, err1 / bound1);
      const double bound2 = a * static_cast<double>(nnz) * d * (0.5 + 4e-5) + bound1 + std::ldexp(deq_mag, -40);
      worst2 = std::max(worst2, std::fabs(y - act_gemm) / bound2);
      err_sq += (y - fp_clipped) * (y - fp_clipped);
      ref_sq += fp_clipped * fp_clipped;
      clip_sq += (fp_clipped - fp_gemm) * (fp_clipped - fp_gemm);
      full_sq += fp_gemm * fp_gemm;
    }
  }
  CHECK(worst1 <= 1.0);
  CHECK(worst2 <= 1.0);
  const double rel = std::sqrt(err_sq / ref_sq), clip_rel = std::sqrt(clip_sq / full_sq);
  MESSAGE("M=", p.m, " N=", p.n, " K=", p.k, std::string(p.alpha.size() == 1 ? " alpha/tensor" : " alpha/row"),
          " clip=", p.clip, ": epilogue error / bound = ", worst1, ", activation error / bound = ", worst2,
          ", relative error vs the fp32 GEMM of the clipped input = ", rel, " (the clip itself: ", clip_rel, ")");
  CHECK(rel < 0.6);  // sanity only: ternary Gaussian weights keep the output correlated (observed ~0.44)
}

}  // namespace

TEST_CASE("error budget: per-tensor TWN, per-token activations with the ±2.5 clip") {
  CheckBudget(Pipeline(24, 64, 768, qc::TwnGranularity::kPerTensor, qc::ActGranularity::kPerToken, 2.5f, 5));
}

TEST_CASE("error budget: per-row TWN, per-tensor activations, no clip, K needing padding") {
  CheckBudget(Pipeline(17, 36, 1000, qc::TwnGranularity::kPerRow, qc::ActGranularity::kPerTensor, qc::kActNoClip, 6));
}

TEST_CASE("error budget: FFN-down shape, K = 3072") {
  CheckBudget(Pipeline(8, 32, 3072, qc::TwnGranularity::kPerTensor, qc::ActGranularity::kPerToken, 2.5f, 7));
}
