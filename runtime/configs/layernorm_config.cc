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
  return SelectWidestKernel(LayerNormKernels(), cpu);
}

const LayerNormKernel& GetLayerNormKernel() {
  static const LayerNormKernel& kernel = SelectLayerNormKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
