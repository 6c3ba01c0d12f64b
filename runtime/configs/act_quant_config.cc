#include "configs/act_quant_config.h"

namespace qc {

const std::vector<ActQuantKernel>& ActQuantKernels() {
  static const std::vector<ActQuantKernel> kernels = {
#define QC_ACT_QUANT_KERNEL(isa, abs_max, quantize_row, lanes) \
  {#abs_max, KernelIsa::isa, &abs_max, &quantize_row, lanes},
#include "kernels/f32-i8-quant/kernels.inc"
#undef QC_ACT_QUANT_KERNEL
  };
  return kernels;
}

const ActQuantKernel& SelectActQuantKernel(const CpuFeatures& cpu) {
  return SelectWidestKernel(ActQuantKernels(), cpu);
}

const ActQuantKernel& GetActQuantKernel() {
  static const ActQuantKernel& kernel = SelectActQuantKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
