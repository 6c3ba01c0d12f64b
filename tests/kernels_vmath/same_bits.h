// tests/kernels_vmath/same_bits.h: bit-for-bit float comparison for kernel-vs-oracle tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qc::test {

// Same bits, except that any NaN equals any NaN (vector lanes may propagate different NaN payloads).
inline bool SameBits(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, sizeof(x));
  std::memcpy(&y, &b, sizeof(y));
  return (std::isnan(a) && std::isnan(b)) || x == y;
}

}  // namespace qc::test
