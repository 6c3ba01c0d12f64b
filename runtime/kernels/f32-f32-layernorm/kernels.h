// kernels/f32-f32-layernorm/kernels.h: LayerNorm rows (ops/layer_norm.h's contract) compiled once per ISA.
//
// Overview
//   One source (impl.h) is compiled into every kernel, with the ISA's flags: the compiler vectorises its fixed
//   eight-lane double sums and elementwise steps. The runtime builds with -ffp-contract=off and without
//   -ffast-math, so the compiler may neither fuse nor reorder floating-point operations: every kernel performs the
//   oracle's operations in the oracle's order and returns its bits (tests/kernels_vmath/layernorm_test.cc).
//
// Usage
//   qc::GetLayerNormKernel().fn(x, rows, cols, gamma, beta, eps, y);     // configs/layernorm_config.h
#pragma once

#include <cstddef>

namespace qc {

/// Normalises each row of a row-major [rows, cols] x (ops/layer_norm.h). gamma and beta may be null; y may equal x.
using LayerNormFn = void (*)(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta,
                             float eps, float* y);

#define QC_LAYERNORM_KERNEL(isa, function, lanes) \
  void function(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta, float eps, float* y);
#include "kernels/f32-f32-layernorm/kernels.inc"
#undef QC_LAYERNORM_KERNEL

}  // namespace qc
