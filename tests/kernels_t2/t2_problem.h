// tests/kernels_t2/t2_problem.h: one ternary GEMM problem with guard-page operands and its exact answer.
//
// Overview
//   T2Problem builds packed ternary weights, int8 activations (with Σq and d), α, bias and outputs, every buffer
//   ending exactly at a PROT_NONE page (tests/support/guard_buffer.h), and computes the exact answer two ways the
//   kernels never use: Y = Σ_k w·q as an int64 dot product of the *unpacked* ternary weights, and the float output
//   as T2Output(Y, α, d, b). Weight and activation patterns include the adversarial ones (all ±1 weights, all ±127
//   activations, alternating, DC-heavy) that would overflow an int16 accumulator widened too late.
//
// Usage
//   qc::test::T2Problem p(m, n, k, {WeightPattern::kRandom, ActPattern::kRandom, true, true}, seed);
//   p.Run(kernel.fn);                         // whole product into sentinel-filled outputs
//   CHECK(p.IntMatchesExact());  CHECK(p.FloatMatchesExact());
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/t2-i8-gemm/kernels.h"
#include "quant/t2_pack.h"
#include "tests/support/guard_buffer.h"

namespace qc::test {

enum class WeightPattern { kRandom, kAllPlus, kAllMinus, kAlternating };
enum class ActPattern { kRandom, kAllPlus, kAllMinus, kAlternating, kDcHeavy };

struct T2Options {
  WeightPattern weights = WeightPattern::kRandom;
  ActPattern acts = ActPattern::kRandom;
  bool bias = true;
  bool alpha_per_row = true;
  size_t q_pad = 0;  ///< extra bytes per activation row beyond T2PaddedK(k)
  size_t y_pad = 0;  ///< extra elements per output row (must stay untouched)
};

inline constexpr float kSentinelF = 12345.0f;
inline constexpr int32_t kSentinelI = 0x5a5a5a5a;

struct T2Problem {
  size_t m, n, k, kp;
  T2Options opt;
  size_t q_stride, y_stride;
  GuardBuffer<uint8_t> w;
  GuardBuffer<int8_t> q;
  GuardBuffer<int32_t> q_sum;
  GuardBuffer<float> deq, alpha, b, y;
  GuardBuffer<int32_t> y_int;
  std::vector<int8_t> wt;      // unpacked ternary weights [n, k]
  std::vector<int64_t> exact;  // [m, n] Σ_k w·q

  T2Problem(size_t m_, size_t n_, size_t k_, const T2Options& o, unsigned seed)
      : m(m_),
        n(n_),
        k(k_),
        kp(T2PaddedK(k_)),
        opt(o),
        q_stride(kp + o.q_pad),
        y_stride(n_ + o.y_pad),
        w(T2PackedBytes(n_, k_)),
        q(m_ ? (m_ - 1) * q_stride + kp : 0),
        q_sum(m_),
        deq(m_),
        alpha(o.alpha_per_row ? n_ : 1),
        b(o.bias ? n_ : 0),
        y(m_ ? (m_ - 1) * y_stride + n_ : 0),
        y_int(m_ ? (m_ - 1) * y_stride + n_ : 0) {
    std::mt19937 rng(seed);
    wt.resize(n * k);
    std::vector<uint8_t> codes(n * k);
    for (size_t j = 0; j < n; ++j) {
      for (size_t kk = 0; kk < k; ++kk) {
        int v = 0;
        switch (o.weights) {
          case WeightPattern::kRandom:
            v = static_cast<int>(rng() % 3) - 1;
            break;
          case WeightPattern::kAllPlus:
            v = 1;
            break;
          case WeightPattern::kAllMinus:
            v = -1;
            break;
          case WeightPattern::kAlternating:
            v = ((j + kk) % 2) ? -1 : 1;
            break;
        }
        wt[j * k + kk] = static_cast<int8_t>(v);
        codes[j * k + kk] = static_cast<uint8_t>(v + 1);
      }
    }
    if (!PackT2(codes.data(), n, k, k, w.data(), w.size()).ok()) std::abort();
    std::uniform_int_distribution<int> any(-127, 127), dc(118, 127), coin(0, 9);
    for (size_t i = 0; i < m; ++i) {
      int32_t sum = 0;
      for (size_t kk = 0; kk < q_stride && i * q_stride + kk < q.size(); ++kk) {
        int v = 0;
        if (kk < k) {
          switch (o.acts) {
            case ActPattern::kRandom:
              v = any(rng);
              break;
            case ActPattern::kAllPlus:
              v = 127;
              break;
            case ActPattern::kAllMinus:
              v = -127;
              break;
            case ActPattern::kAlternating:
              v = ((i + kk) % 2) ? -127 : 127;
              break;
            case ActPattern::kDcHeavy:
              v = coin(rng) == 0 ? any(rng) : dc(rng);
              break;
          }
        } else if (kk >= kp) {
          v = any(rng);  // bytes past the padded row (q_pad) are junk the kernels must ignore
        }
        q[i * q_stride + kk] = static_cast<int8_t>(v);
        if (kk < k) sum += v;
      }
      q_sum[i] = sum;
    }
    std::uniform_real_distribution<float> pos(0.001f, 0.05f), any_f(-2.0f, 2.0f);
    for (size_t i = 0; i < deq.size(); ++i) deq[i] = pos(rng);
    for (size_t j = 0; j < alpha.size(); ++j) alpha[j] = pos(rng) * 20.0f;
    for (size_t j = 0; j < b.size(); ++j) b[j] = any_f(rng);
    exact.assign(m * n, 0);
    for (size_t i = 0; i < m; ++i) {
      const int8_t* qi = q.data() + i * q_stride;
      for (size_t j = 0; j < n; ++j) {
        const int8_t* wj = wt.data() + j * k;
        int64_t s = 0;
        for (size_t kk = 0; kk < k; ++kk) s += static_cast<int64_t>(wj[kk]) * qi[kk];
        exact[i * n + j] = s;
      }
    }
  }

  T2GemmArgs Args(bool want_y = true, bool want_int = true) {
    T2GemmArgs a;
    a.w = w.data();
    a.alpha = want_y ? alpha.data() : nullptr;
    a.alpha_per_row = opt.alpha_per_row;
    a.q = q.data();
    a.q_stride = q_stride;
    a.q_sum = q_sum.data();
    a.q_dequant = want_y ? deq.data() : nullptr;
    a.bias = opt.bias ? b.data() : nullptr;
    a.y = want_y ? y.data() : nullptr;
    a.y_stride = y_stride;
    a.y_int = want_int ? y_int.data() : nullptr;
    a.y_int_stride = y_stride;
    a.m = m;
    a.n = n;
    a.k = k;
    return a;
  }

  void FillSentinels() {
    std::fill(y.data(), y.data() + y.size(), kSentinelF);
    std::fill(y_int.data(), y_int.data() + y_int.size(), kSentinelI);
  }

  void Run(T2GemmFn fn, bool want_y = true, bool want_int = true) {
    FillSentinels();
    fn(Args(want_y, want_int), 0, m, 0, n);
  }

  std::vector<float> DenseY() const {
    std::vector<float> out(m * n);
    for (size_t i = 0; i < m; ++i) std::memcpy(&out[i * n], y.data() + i * y_stride, n * sizeof(float));
    return out;
  }
  std::vector<int32_t> DenseInt() const {
    std::vector<int32_t> out(m * n);
    for (size_t i = 0; i < m; ++i) std::memcpy(&out[i * n], y_int.data() + i * y_stride, n * sizeof(int32_t));
    return out;
  }

  /// The contract's float output for the exact integer result.
  float ExpectedY(size_t i, size_t j) const {
    return T2Output(static_cast<int32_t>(exact[i * n + j]), alpha[opt.alpha_per_row ? j : 0], deq[i],
                    opt.bias ? b[j] : 0.0f);
  }

  /// Number of outputs whose int32 differs from the int64 oracle (0 = pass).
  size_t IntMismatches() const {
    size_t bad = 0;
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) bad += y_int[i * y_stride + j] != exact[i * n + j];
    }
    return bad;
  }
  /// Number of outputs whose float bits differ from T2Output(exact) (0 = pass).
  size_t FloatMismatches() const {
    size_t bad = 0;
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const float want = ExpectedY(i, j), got = y[i * y_stride + j];
        bad += std::memcmp(&want, &got, sizeof(float)) != 0;
      }
    }
    return bad;
  }
  /// True when the gaps between output rows still hold the sentinels.
  bool PaddingUntouched() const {
    for (size_t i = 0; i + 1 < m; ++i) {
      for (size_t j = n; j < y_stride; ++j) {
        if (y[i * y_stride + j] != kSentinelF || y_int[i * y_stride + j] != kSentinelI) return false;
      }
    }
    return true;
  }

  std::string Name() const {
    return "M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=" + std::to_string(k) +
           " w=" + std::to_string(static_cast<int>(opt.weights)) + " q=" + std::to_string(static_cast<int>(opt.acts)) +
           (opt.bias ? " bias" : "") + (opt.alpha_per_row ? " alpha/row" : " alpha/tensor") +
           " pads=" + std::to_string(opt.q_pad) + "/" + std::to_string(opt.y_pad);
  }
};

}  // namespace qc::test
