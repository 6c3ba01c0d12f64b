// LayerNorm (ops/layer_norm.h): the kernel of this CPU (kernels/f32-f32-layernorm, one source compiled per ISA,
// identical bits everywhere).
#include "ops/layer_norm.h"

#include "configs/layernorm_config.h"

namespace qc {

void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta, float eps, float* y) {
  GetLayerNormKernel().fn(x, rows, cols, gamma, beta, eps, y);
}

}  // namespace qc
