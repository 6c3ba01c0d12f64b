// quant/twn.h: TWN ternarization of a float weight matrix into codes c = w + 1 ∈ {0, 1, 2} and float scales α.
//
// Overview
//   The TernaryBERT TwnQuantizer (docs/method.md §1), with every rounding step fixed (docs/quantization.md §2). For
//   each group G (the whole matrix, or one row):
//
//     w_c  = min(max(w, -clip), clip)                      float, exact
//     a    = |w_c|                                          float, exact
//     mean = float( (Σ_G a) / |G| )                         sum in double, in row-major order; one rounding to float
//     Δ    = 0.7f · mean                                    float multiply
//     kept = { a > Δ }
//     α    = float( (Σ_kept a) / |kept| ), or 0 if none    sum in double, in row-major order
//     c    = 2 if w_c > Δ,  0 if w_c < -Δ,  1 otherwise     (ŵ = α · (c - 1))
//
//   Per-tensor granularity is what TernaryBERT uses for every Linear; per-row is its word-embedding granularity and
//   also serves per-output-channel Linear scales. NaN weights are rejected; ±inf is allowed only with a finite clip.
//
// Usage
//   std::vector<uint8_t> codes(rows * cols);
//   std::vector<float> alpha(qc::TwnScaleCount(rows, qc::TwnGranularity::kPerRow));
//   QC_RETURN_IF_ERROR(qc::TernarizeTwn(w, rows, cols, cols, {qc::TwnGranularity::kPerRow}, codes.data(), cols,
//                                       alpha.data()));
//   float w_hat = qc::TwnDequantize(codes[i], alpha[row]);   // α · (c - 1)
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "qcompress/status.h"

namespace qc {

enum class TwnGranularity {
  kPerTensor,  ///< one Δ and one α for the whole matrix
  kPerRow,     ///< one Δ and one α per row (output channel, or embedding row)
};

inline constexpr float kTwnThresholdFactor = 0.7f;  ///< Δ = 0.7 · mean|w|, hard-coded in TernaryBERT
inline constexpr float kTwnDefaultClip = 2.5f;      ///< TernaryBERT's --clip_val default

struct TwnParams {
  TwnGranularity granularity = TwnGranularity::kPerTensor;
  /// Weights are clamped to [-clip, clip] first; must be > 0 (not NaN). +infinity disables the clamp.
  float clip = kTwnDefaultClip;
};

/// Number of α (and Δ) values: 1 per tensor, `rows` per row.
constexpr size_t TwnScaleCount(size_t rows, TwnGranularity g) {
  return g == TwnGranularity::kPerRow ? rows : 1;
}

/// Ternarizes w [rows, cols] (row stride `w_stride` floats). Writes codes [rows, cols] (row stride `codes_stride`),
/// alpha[TwnScaleCount(rows, g)] and, if `delta` is not null, the thresholds Δ likewise. An empty group (cols == 0,
/// or an empty tensor) gets Δ = α = 0. Fails on NaN weights, ±inf with an infinite clip, or clip <= 0 / NaN, naming
/// the element; outputs are then unspecified.
Status TernarizeTwn(const float* w, size_t rows, size_t cols, size_t w_stride, const TwnParams& params, uint8_t* codes,
                    size_t codes_stride, float* alpha, float* delta = nullptr);

/// ŵ = α · (c − 1): the value a code stands for.
inline float TwnDequantize(uint8_t code, float alpha) {
  return code == 2 ? alpha : (code == 0 ? -alpha : 0.0f);
}

}  // namespace qc
