// ops/elementwise.h: fp32 elementwise ops on contiguous buffers: residual add, bias add, activations.
//
// Overview
//   Plain loops the compiler vectorises (the add and ReLU loops) or that call the C library per element (erf,
//   tanh). Every op allows y == x (in place); otherwise buffers must not overlap. The GELU variants compute
//   torch.nn.functional.gelu with approximate="none" / "tanh" in float, to within a few ulps.
//
// Usage
//   qc::AddBias(y, bias, rows, cols, y);      // y[r, c] += bias[c]
//   qc::GeluErf(y, rows * cols, y);           // BERT/ViT intermediate activation
//   qc::Add(residual, y, rows * cols, y);     // residual connection
#pragma once

#include <cstddef>

namespace qc {

/// y[i] = a[i] + b[i] for i < n.
void Add(const float* a, const float* b, size_t n, float* y);

/// y[r, c] = x[r, c] + bias[c] over a row-major [rows, cols] x: the bias row is broadcast over the rows.
void AddBias(const float* x, const float* bias, size_t rows, size_t cols, float* y);

/// y = max(x, 0); NaN stays NaN, as in torch.relu.
void Relu(const float* x, size_t n, float* y);

/// y = tanh(x).
void Tanh(const float* x, size_t n, float* y);

/// Exact (erf) GELU: y = 0.5·x·(1 + erf(x/√2)), erf by the rational approximation of kernels/f32-f32-gelu
/// (|error| <= 2e-6 + 1e-5·|y|), vectorised, the same bits on every ISA.
void GeluErf(const float* x, size_t n, float* y);

/// Tanh-approximated GELU: y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated as the identical
/// x / (1 + exp(-2·√(2/π)·(x + 0.044715·x³))) (faster, and accurate where 1 + tanh would cancel).
void GeluTanh(const float* x, size_t n, float* y);

}  // namespace qc
