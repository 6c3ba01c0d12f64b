#include "configs/layernorm_config.h"

namespace qc {

const std::vector<LayerNormKernel>& LayerNormKernels() {
  static const std::vector<LayerNormKernel> kernels = {
#define QC_LAYERNORM_KERNEL(isa, function, lanes) {#function, KernelIsa::isa, &function, lanes},
#include "kernels/f32-f32-layernorm/kernels.inc"
#undef QC_LAYERNORM_KERNEL
  };
  return kernels;
}

const LayerNormKernel& SelectLayerNormKernel(const CpuFeatures& cpu) {
  const LayerNormKernel* best = &LayerNormKernels().front();  // the oracle
  for (const LayerNormKernel& k : LayerNormKernels()) {
    if (IsaAvailable(k.isa, cpu) && k.lanes > best->lanes) best = &k;
  }
  return *best;
}

const LayerNormKernel& GetLayerNormKernel() {
  static const LayerNormKernel& kernel = SelectLayerNormKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
