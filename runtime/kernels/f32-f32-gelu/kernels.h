// kernels/f32-f32-gelu/kernels.h: the exact-erf GELU, y = 0.5·x·(1 + erf(x/√2)), on every ISA with the same bits.
//
// Overview
//   glibc's erff is a scalar call per element; in a BERT-base forward it cost as much time as every GEMM together.
//   These kernels evaluate erf with one rational approximation (the odd/even minimax pair Eigen and XLA use:
//   t clamped to [-4, 4], erf(t) ≈ t·P(t²) / Q(t²), P of degree 6 and Q of degree 4 in t²) with a fixed operation
//   sequence, every multiply-add fused and the one division correctly rounded, so the scalar oracle GeluErfRef
//   (std::fma, which is correctly rounded everywhere) and the AVX2, AVX-512 and NEON kernels return identical bits:
//
//     t = x · (1/√2)              one multiply
//     c = min(max(t, -4), 4)      clamp (NaN x gives NaN y whatever c is)
//     u = c · c
//     p = fma(u, …, …) ×6, p = p · c
//     q = fma(u, …, …) ×4
//     e = p / q
//     h = 0.5 · x,  y = fma(h, e, h)          = h·(1 + e) with one rounding
//
//   Error budget against the exact function (tests/kernels_vmath/gelu_test.cc): |y - gelu(x)| <= 2e-6 + 1e-5·|gelu(x)|
//   for every float x. The absolute part comes from the far negative tail (x < -4), where 1 + erf(t) is below the
//   spacing of floats near 1; those values are under 2e-6 and quantize to the code 0 at any int8 scale.
//
// Usage
//   qc::GetGeluErfKernel().fn(x, n, y);     // configs/gelu_config.h; x == y (in place) is allowed
#pragma once

#include <cstddef>

namespace qc {

/// y[i] = GELU(x[i]) for i < n. x and y may be the same array; otherwise they must not overlap.
using GeluErfFn = void (*)(const float* x, size_t n, float* y);

/// The approximation's constants, shared by every kernel so they cannot drift apart.
struct GeluErfConstants {
  static constexpr float kInvSqrt2 = 0.70710678118654752f;
  static constexpr float kClamp = 4.0f;  // |erf(t)| rounds to 1 beyond this in float
  // Numerator p(u) = a1 + a3·u + … + a13·u⁶ (times c), denominator q(u) = b0 + b2·u + … + b8·u⁴.
  static constexpr float kA13 = -2.72614225801306e-10f, kA11 = 2.77068142495902e-08f, kA9 = -2.10102402082508e-06f,
                         kA7 = -5.69250639462346e-05f, kA5 = -7.34990630326855e-04f, kA3 = -2.95459980854025e-03f,
                         kA1 = -1.60960333262415e-02f;
  static constexpr float kB8 = -1.45660718464996e-05f, kB6 = -2.13374055278905e-04f, kB4 = -1.68282697438203e-03f,
                         kB2 = -7.37332916720468e-03f, kB0 = -1.42647390514189e-02f;
};

#define QC_GELU_KERNEL(isa, function, lanes) void function(const float* x, size_t n, float* y);
#include "kernels/f32-f32-gelu/kernels.inc"
#undef QC_GELU_KERNEL

}  // namespace qc
