// kernels/f32-f32-gelu/scalar.h: one element of the contract in kernels.h, for the oracle and the SIMD tails.
// Every step is a single IEEE operation (std::fma is fused wherever it runs), so the SIMD kernels, which perform
// the same operations lane by lane, reproduce it bit for bit.
#pragma once

#include <cmath>

#include "kernels/f32-f32-gelu/kernels.h"

namespace qc {

inline float GeluErfOne(float x) {
  using K = GeluErfConstants;
  float c = x * K::kInvSqrt2;
  c = c < -K::kClamp ? -K::kClamp : c;
  c = c > K::kClamp ? K::kClamp : c;
  const float u = c * c;
  float p = std::fma(u, K::kA13, K::kA11);
  p = std::fma(u, p, K::kA9);
  p = std::fma(u, p, K::kA7);
  p = std::fma(u, p, K::kA5);
  p = std::fma(u, p, K::kA3);
  p = std::fma(u, p, K::kA1);
  p = p * c;
  float q = std::fma(u, K::kB8, K::kB6);
  q = std::fma(u, q, K::kB4);
  q = std::fma(u, q, K::kB2);
  q = std::fma(u, q, K::kB0);
  const float h = 0.5f * x;
  return std::fma(h, p / q, h);
}

}  // namespace qc
