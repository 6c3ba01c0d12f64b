// configs/gelu_config.h: which exact-erf GELU kernel this process uses, and the list of all.
//
// Overview
//   The kernels are declared once in kernels/f32-f32-gelu/kernels.inc. GetGeluErfKernel() picks the widest one the
//   CPU can run (DetectCpuFeatures(), so QC_ISA caps it), once per process. All return identical bits, so the
//   choice only changes speed. ops/elementwise.h's GeluErf goes through it.
//
// Usage
//   qc::GetGeluErfKernel().fn(x, n, y);
//   for (const auto& k : qc::GeluErfKernels()) if (qc::IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/kernel_isa.h"
#include "kernels/f32-f32-gelu/kernels.h"

namespace qc {

/// One entry of kernels.inc.
struct GeluErfKernel {
  const char* name;  ///< function name, e.g. "GeluErfAvx512"
  KernelIsa isa;
  GeluErfFn fn;
  int lanes;  ///< floats per vector step
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle GeluErfRef first).
const std::vector<GeluErfKernel>& GeluErfKernels();

/// The widest kernel a CPU with `cpu` features can run.
const GeluErfKernel& SelectGeluErfKernel(const CpuFeatures& cpu);

/// SelectGeluErfKernel(DetectCpuFeatures()), chosen once per process.
const GeluErfKernel& GetGeluErfKernel();

}  // namespace qc
