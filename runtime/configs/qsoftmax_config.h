// configs/qsoftmax_config.h: which QAttention softmax row kernel this process uses, and the list of all.
//
// Overview
//   The kernels are declared once in kernels/i32-f32-softmax/kernels.inc. GetQSoftmaxKernel() picks the widest one
//   the CPU can run (DetectCpuFeatures(), so QC_ISA caps it), once per process; ops/qattention.cc calls it. All
//   return identical bits, so the choice only changes speed.
//
// Usage
//   qc::GetQSoftmaxKernel().fn(args);
//   for (const auto& k : qc::QSoftmaxKernels()) if (qc::IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/kernel_isa.h"
#include "kernels/i32-f32-softmax/kernels.h"

namespace qc {

/// One entry of kernels.inc.
struct QSoftmaxKernel {
  const char* name;  ///< function name, e.g. "QSoftmaxRowAvx512"
  KernelIsa isa;
  QSoftmaxRowFn fn;
  int lanes;  ///< floats per vector step
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle QSoftmaxRowRef first).
const std::vector<QSoftmaxKernel>& QSoftmaxKernels();

/// The widest kernel a CPU with `cpu` features can run.
const QSoftmaxKernel& SelectQSoftmaxKernel(const CpuFeatures& cpu);

/// SelectQSoftmaxKernel(DetectCpuFeatures()), chosen once per process.
const QSoftmaxKernel& GetQSoftmaxKernel();

}  // namespace qc
