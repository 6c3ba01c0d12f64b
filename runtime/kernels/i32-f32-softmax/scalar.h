// kernels/i32-f32-softmax/scalar.h: the contract of kernels.h one element at a time (the oracle and the tails).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/i32-f32-softmax/kernels.h"

namespace qc {

static inline float QcExp(float x) {
  using K = QcExpConstants;
  if (x < K::kMinArg) return 0.0f;
  if (std::isnan(x)) return x;
  const float n = std::nearbyint(x * K::kLog2e);
  float r = std::fma(n, -K::kLn2Hi, x);
  r = std::fma(n, -K::kLn2Lo, r);
  float poly = std::fma(K::kP0, r, K::kP1);
  poly = std::fma(poly, r, K::kP2);
  poly = std::fma(poly, r, K::kP3);
  poly = std::fma(poly, r, K::kP4);
  poly = std::fma(poly, r, K::kP5);
  const float t = std::fma(poly, r * r, r);
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  float pow2;
  std::memcpy(&pow2, &bits, sizeof(pow2));
  return (t + 1.0f) * pow2;
}

/// score_j of kernels.h: three separate roundings, then the mask term.
static inline float QSoftmaxScore(const QSoftmaxRowArgs& a, size_t j) {
  const float dqk = a.dq * a.dk[j];
  const float prod = static_cast<float>(a.s[j]) * dqk;
  const float scaled = prod * a.scale;
  return a.add != nullptr ? scaled + a.add[j] : scaled;
}

/// The fold of the 16 lane sums: l += l + 8, l += l + 4, l += l + 2, l += l + 1.
static inline float QSoftmaxFold(float (&lane)[16]) {
  for (size_t w = 8; w >= 1; w /= 2) {
    for (size_t l = 0; l < w; ++l) lane[l] = lane[l] + lane[l + w];
  }
  return lane[0];
}

}  // namespace qc
