#include "configs/qsoftmax_config.h"

namespace qc {

const std::vector<QSoftmaxKernel>& QSoftmaxKernels() {
  static const std::vector<QSoftmaxKernel> kernels = {
#define QC_QSOFTMAX_KERNEL(isa, function, lanes) {#function, KernelIsa::isa, &function, lanes},
#include "kernels/i32-f32-softmax/kernels.inc"
#undef QC_QSOFTMAX_KERNEL
  };
  return kernels;
}

const QSoftmaxKernel& SelectQSoftmaxKernel(const CpuFeatures& cpu) {
  return SelectWidestKernel(QSoftmaxKernels(), cpu);
}

const QSoftmaxKernel& GetQSoftmaxKernel() {
  static const QSoftmaxKernel& kernel = SelectQSoftmaxKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
