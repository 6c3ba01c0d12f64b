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
  const QSoftmaxKernel* best = &QSoftmaxKernels().front();  // the oracle
  for (const QSoftmaxKernel& k : QSoftmaxKernels()) {
    if (IsaAvailable(k.isa, cpu) && k.lanes > best->lanes) best = &k;
  }
  return *best;
}

const QSoftmaxKernel& GetQSoftmaxKernel() {
  static const QSoftmaxKernel& kernel = SelectQSoftmaxKernel(DetectCpuFeatures());
  return kernel;
}

}  // namespace qc
