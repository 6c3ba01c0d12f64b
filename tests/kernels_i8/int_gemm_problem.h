// tests/kernels_i8/int_gemm_problem.h: int8 / int4 weight GEMM problems with guard-page operands and exact answers,
// shared by tests/kernels_i8 and tests/kernels_i4.
//
// Overview
//   IntGemmProblem<Bits> builds codes w ∈ [-qmax, qmax], packs them (PackI8 / PackI4), int8 activations (random or
//   adversarial extremes, including -128 which QuantizeActivations never writes but the kernels must still handle),
//   Σq, d, α, bias, every buffer ending at a PROT_NONE page. The exact answer is an int64 Σ w·q over the UNPACKED
//   codes and IntGemmOutput(exact, α, d, b); CheckKernel runs a kernel over the whole range and over a split at a
//   column that is not a multiple of 4, and compares every int32 and every float bit.
//
// Usage
//   IntGemmProblem<8> p(m, n, k, IntPattern::kRandom, seed);
//   p.CheckKernel(kernel.fn, kernel.name);
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/i8-i8-gemm/kernels.h"
#include "quant/i4_pack.h"
#include "quant/i8_pack.h"
#include "quant/t2_pack.h"
#include "tests/support/guard_buffer.h"

namespace qc::test {

enum class IntPattern { kRandom, kMaxPlusActMin, kMaxMinusActMin, kMaxPlusActMax, kAlternating };

template <int Bits>
struct IntGemmProblem {
  static constexpr int kQmax = Bits == 8 ? 127 : 7;
  size_t m, n, k, kp;
  GuardBuffer<uint8_t> w;
  GuardBuffer<int8_t> q;
  GuardBuffer<int32_t> q_sum;
  GuardBuffer<float> deq, alpha, b, y;
  GuardBuffer<int32_t> y_int;
  std::vector<int8_t> codes;
  std::vector<int64_t> exact;

  static size_t PackedBytes(size_t n, size_t k) { return Bits == 8 ? I8PackedBytes(n, k) : I4PackedBytes(n, k); }

  IntGemmProblem(size_t m_, size_t n_, size_t k_, IntPattern pattern, unsigned seed)
      : m(m_), n(n_), k(k_), kp(T2PaddedK(k_)), w(PackedBytes(n_, k_)), q(m_ * kp), q_sum(m_), deq(m_), alpha(n_),
        b(n_), y(m_ * n_), y_int(m_ * n_), codes(n_ * k_), exact(m_ * n_) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> wd(-kQmax, kQmax), qd(-128, 127);
    std::uniform_real_distribution<float> fd(0.001f, 0.1f);
    for (size_t j = 0; j < n; ++j) {
      for (size_t kk = 0; kk < k; ++kk) {
        int v = wd(rng);
        if (pattern == IntPattern::kMaxPlusActMin || pattern == IntPattern::kMaxPlusActMax) v = kQmax;
        if (pattern == IntPattern::kMaxMinusActMin) v = -kQmax;
        if (pattern == IntPattern::kAlternating) v = (kk % 2) ? kQmax : -kQmax;
        codes[j * k + kk] = static_cast<int8_t>(v);
      }
      alpha.data()[j] = fd(rng);
      b.data()[j] = fd(rng) - 0.05f;
    }
    const Status s = Bits == 8 ? PackI8(codes.data(), n, k, k, w.data(), w.size())
                               : PackI4(codes.data(), n, k, k, w.data(), w.size());
    REQUIRE(s.ok());
    for (size_t i = 0; i < m; ++i) {
      int32_t sum = 0;
      for (size_t kk = 0; kk < kp; ++kk) {
        int v = 0;
        if (kk < k) {
          v = qd(rng);
          if (pattern == IntPattern::kMaxPlusActMin || pattern == IntPattern::kMaxMinusActMin) v = -128;
          if (pattern == IntPattern::kMaxPlusActMax) v = 127;
          if (pattern == IntPattern::kAlternating) v = (kk % 2) ? 127 : -128;
        }
        q.data()[i * kp + kk] = static_cast<int8_t>(v);
        sum += v;
      }
      q_sum.data()[i] = sum;
      deq.data()[i] = fd(rng);
    }
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        int64_t acc = 0;
        for (size_t kk = 0; kk < k; ++kk) acc += int64_t{codes[j * k + kk]} * q.data()[i * kp + kk];
        exact[i * n + j] = acc;
      }
    }
  }

  I8GemmArgs Args() {
    I8GemmArgs a;
    a.w = w.data();
    a.alpha = alpha.data();
    a.alpha_per_row = true;
    a.q = q.data();
    a.q_stride = kp;
    a.q_sum = q_sum.data();
    a.q_dequant = deq.data();
    a.bias = b.data();
    a.y = y.data();
    a.y_stride = n;
    a.y_int = y_int.data();
    a.y_int_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    return a;
  }

  // Runs fn over [0, m) × [0, n) (split at column `split`, which need not be a multiple of 4) and checks every value.
  void CheckKernel(I8GemmFn fn, const char* name, size_t split) {
    for (size_t i = 0; i < m * n; ++i) {
      y.data()[i] = 12345.0f;
      y_int.data()[i] = 0x5a5a5a5a;
    }
    const I8GemmArgs a = Args();
    fn(a, 0, m, 0, split);
    fn(a, 0, m, split, n);
    size_t bad = 0;
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const size_t o = i * n + j;
        const float want = IntGemmOutput(static_cast<int32_t>(exact[o]), alpha.data()[j], deq.data()[i], b.data()[j]);
        uint32_t got_bits, want_bits;
        std::memcpy(&got_bits, &y.data()[o], 4);
        std::memcpy(&want_bits, &want, 4);
        if (y_int.data()[o] != exact[o] || got_bits != want_bits) ++bad;
      }
    }
    INFO(name << " m=" << m << " n=" << n << " k=" << k << " split=" << split);
    CHECK(bad == 0);
  }
};

}  // namespace qc::test
