// quant/rounding.h: float → int32 rounding to nearest, ties to even, identical on every ISA.
//
// Overview
//   Quantization rounds x·s to the nearest integer with ties to even (torch.round's rule, docs/quantization.md §3).
//   RoundHalfEven uses the instruction that does exactly that on each architecture:
//     x86-64   cvtss2si (SSE, baseline): rounds by MXCSR.RC, round-to-nearest-even by default;
//     AArch64  fcvtns: round to nearest, ties to even, whatever the FPCR mode;
//     other    std::nearbyint, which rounds by the current mode (FE_TONEAREST by default).
//   The runtime never changes the floating-point environment, so all three agree; vector code uses cvtps2dq
//   (x86, MXCSR) and fcvtns (NEON), the same rules. Valid for |v| < 2^31; quantization only passes |v| <= ~127.
//
//   `static inline`: this header is included by files compiled with different ISA flags, and a merged inline copy
//   compiled for AVX-512 must never run on an AVX2-only CPU.
//
// Usage
//   int32_t q = qc::RoundHalfEven(2.5f);   // 2;  RoundHalfEven(3.5f) == 4, RoundHalfEven(-2.5f) == -2
#pragma once

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#else
#include <cmath>
#endif

namespace qc {

static inline int32_t RoundHalfEven(float v) {
#if defined(__SSE2__)
  return _mm_cvtss_si32(_mm_set_ss(v));
#elif defined(__aarch64__)
  return vcvtns_s32_f32(v);
#else
  return static_cast<int32_t>(std::nearbyint(v));
#endif
}

}  // namespace qc
