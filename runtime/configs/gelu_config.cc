#include "configs/gelu_config.h"

namespace qc {

const std::vector<GeluErfKernel>& GeluErfKernels() {
  static const std::vector<GeluErfKernel> kernels = {
#define QC_GELU_KERNEL(isa, function, lanes) {#function, KernelIsa::isa, &function, lanes},
#include "kernels/f32-f32-gelu/kernels.inc"
#undef QC_GELU_KERNEL
  };
  return kernels;
}

const GeluErfKernel& SelectGeluErfKernel(const CpuFeatures& cpu) {
  return SelectWidestKernel(GeluErfKernels(), cpu);
}

const GeluErfKernel& GetGeluErfKernel() {
  static const GeluErfKernel& kernel = SelectGeluErfKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
