// tests/support/qsoftmax_sim.h: docs/quantization.md §7.4 step 3 written out for the test simulations, sharing no
// code with the runtime: the exp approximation (Cephes' polynomial after a two-part ln 2 reduction) and the 16-lane
// summation order, with every step one float operation (std::fma where the contract fuses, volatile elsewhere so the
// compiler cannot fuse on its own).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace qc::test {

inline float SimQcExp(float x) {
  if (x < -87.0f) return 0.0f;
  if (std::isnan(x)) return x;
  volatile float scaled = x * 1.44269504088896341f;
  const float n = std::nearbyint(scaled);
  float r = std::fma(n, -0.693359375f, x);
  r = std::fma(n, 2.12194440e-4f, r);
  float poly = std::fma(1.9875691500e-4f, r, 1.3981999507e-3f);
  poly = std::fma(poly, r, 8.3334519073e-3f);
  poly = std::fma(poly, r, 4.1665795894e-2f);
  poly = std::fma(poly, r, 1.6666665459e-1f);
  poly = std::fma(poly, r, 5.0000001201e-1f);
  volatile float r2 = r * r;
  volatile float t = std::fma(poly, r2, r);
  volatile float one_plus = t + 1.0f;
  // 2^n for n in [-126, 0] exactly (ldexp of 1 is exact for normal results).
  return one_plus * std::ldexp(1.0f, static_cast<int>(n));
}

// Σ e in the contract's order: lane l sums the e[j] with j % 16 == l, then lanes fold in halves.
inline float SimLaneSum(const std::vector<float>& e) {
  float lane[16] = {};
  for (size_t j = 0; j < e.size(); ++j) {
    volatile float v = lane[j % 16] + e[j];
    lane[j % 16] = v;
  }
  for (size_t w = 8; w >= 1; w /= 2) {
    for (size_t l = 0; l < w; ++l) {
      volatile float v = lane[l] + lane[l + w];
      lane[l] = v;
    }
  }
  return lane[0];
}

}  // namespace qc::test
