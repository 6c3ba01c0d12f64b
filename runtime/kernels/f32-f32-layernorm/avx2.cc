// LayerNorm compiled for this file's ISA (kernels.h): impl.h, unchanged.
#include "kernels/f32-f32-layernorm/impl.h"
#include "kernels/f32-f32-layernorm/kernels.h"

namespace qc {

void LayerNormAvx2(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta, float eps,
                   float* y) {
  LayerNormRows(x, rows, cols, gamma, beta, eps, y);
}

}  // namespace qc
