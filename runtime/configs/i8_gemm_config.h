// configs/i8_gemm_config.h: which int8-weight × int8 GEMM kernel this process uses, and the list of all of them.
//
// Overview
//   The kernels are declared in kernels/i8-i8-gemm/kernels.inc. GetI8GemmKernel() picks the fastest one the CPU can run (the ISA
//   levels and their CPUID checks are the ternary kernels' T2GemmIsa / T2IsaAvailable, so QC_ISA caps it the same
//   way), once per process. Every kernel returns the same bits, so the choice only changes speed.
//
// Usage
//   const qc::IntGemmKernel& gemm = qc::GetI8GemmKernel();
//   gemm.fn(args, 0, args.m, 0, args.n);      // or split output channels across threads
//   for (const auto& k : qc::I8GemmKernels()) if (qc::T2IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/t2_gemm_config.h"
#include "kernels/i8-i8-gemm/kernels.h"

namespace qc {

#ifndef QC_INT_GEMM_KERNEL_DEFINED
#define QC_INT_GEMM_KERNEL_DEFINED
/// One entry of an int8 / int4 kernels.inc.
struct IntGemmKernel {
  const char* name;
  T2GemmIsa isa;
  I8GemmFn fn;
  int tokens;  ///< activation rows per register tile
  int rows;    ///< weight rows per register tile
};
#endif

/// Every kernel compiled into this build, in kernels.inc order (the oracle I8GemmRef first).
const std::vector<IntGemmKernel>& I8GemmKernels();
/// The fastest kernel a CPU with `cpu` features can run (never the oracle).
const IntGemmKernel& SelectI8GemmKernel(const CpuFeatures& cpu);
/// SelectI8GemmKernel(DetectCpuFeatures()), chosen once per process.
const IntGemmKernel& GetI8GemmKernel();
/// The oracle I8GemmRef's entry.
const IntGemmKernel& I8GemmReferenceKernel();

}  // namespace qc
