// ops/softmax.h: softmax over the last axis, fp32.
//
// Overview
//   Per row: subtract the row maximum (so exp never overflows), exponentiate, divide by the sum (accumulated in
//   double). Special values behave as in torch.softmax: a row of equal values gives uniform weights; a row of all
//   -inf, or containing NaN, gives NaN.
//
// Usage
//   qc::Softmax(logits, rows, cols, probs);    // probs may be logits
#pragma once

#include <cstddef>

namespace qc {

/// Softmax of each row of a row-major [rows, cols] x. y may equal x.
void Softmax(const float* x, size_t rows, size_t cols, float* y);

/// One row in place: v[j] = exp(v[j] - max) / Σ exp(v - max). The building block attention applies after scaling
/// and masking its scores.
void SoftmaxRowInPlace(float* v, size_t n);

}  // namespace qc
