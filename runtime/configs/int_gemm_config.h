// configs/int_gemm_config.h: which int8-weight and int4-weight × int8 GEMM kernels this process uses, and the lists
// of all of them.
//
// Overview
//   The kernels are declared in kernels/i8-i8-gemm/kernels.inc and kernels/i4-i8-gemm/kernels.inc. Both families
//   share one argument struct (I8GemmArgs) and the ternary kernels' ISA levels and CPUID checks (T2GemmIsa /
//   T2IsaAvailable), so QC_ISA caps them the same way. GetI8GemmKernel() / GetI4GemmKernel() pick the fastest kernel
//   the CPU can run, once per process. Every kernel of a family returns the same bits, so the choice only changes
//   speed.
//
// Usage
//   const qc::IntGemmKernel& gemm = qc::GetI8GemmKernel();   // or GetI4GemmKernel()
//   gemm.fn(args, 0, args.m, 0, args.n);                     // or split output channels across threads
//   for (const auto& k : qc::I4GemmKernels()) if (qc::T2IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/t2_gemm_config.h"
#include "kernels/i4-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/kernels.h"

namespace qc {

/// One entry of the int8 or int4 kernels.inc.
struct IntGemmKernel {
  const char* name;
  T2GemmIsa isa;
  I8GemmFn fn;
  int tokens;  ///< activation rows per register tile
  int rows;    ///< weight rows per register tile
};

/// Every int8-weight kernel compiled into this build, in kernels.inc order (the oracle I8GemmRef first).
const std::vector<IntGemmKernel>& I8GemmKernels();
/// The fastest int8-weight kernel a CPU with `cpu` features can run (never the oracle).
const IntGemmKernel& SelectI8GemmKernel(const CpuFeatures& cpu);
/// SelectI8GemmKernel(DetectCpuFeatures()), chosen once per process.
const IntGemmKernel& GetI8GemmKernel();
/// The oracle I8GemmRef's entry.
const IntGemmKernel& I8GemmReferenceKernel();

/// The same four for the int4-weight kernels (oracle I4GemmRef).
const std::vector<IntGemmKernel>& I4GemmKernels();
const IntGemmKernel& SelectI4GemmKernel(const CpuFeatures& cpu);
const IntGemmKernel& GetI4GemmKernel();
const IntGemmKernel& I4GemmReferenceKernel();

}  // namespace qc
