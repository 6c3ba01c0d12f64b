// ops/layer_norm.h: LayerNorm over the last axis (torch.nn.LayerNorm), fp32 in and out.
//
// Overview
//   For each row: mean and variance by two passes (mean first, then the mean of squared deviations, the biased
//   variance PyTorch uses), both accumulated in double so rows of thousands of large-offset values lose nothing to
//   cancellation; the normalised value (x - mean)/sqrt(var + eps) is also formed in double, then rounded, scaled
//   by gamma and shifted by beta in float. So the result is within a few float ulps of the exact value even for
//   rows whose mean dwarfs their spread, which is at least as close as PyTorch's float kernel (within 1e-5).
//
// Usage
//   qc::LayerNorm(x, rows, cols, gamma, beta, 1e-12f, y);     // BERT: eps 1e-12; ViT: 1e-6 (y may be x)
#pragma once

#include <cstddef>

namespace qc {

/// Normalises each row of a row-major [rows, cols] x. gamma and beta are [cols], either may be null (1 and 0).
/// y may equal x.
void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta, float eps, float* y);

}  // namespace qc
