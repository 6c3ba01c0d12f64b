// configs/gemm_config.h: which fp32 GEMM kernel this process uses, and the list of all of them for tests.
//
// Overview
//   The kernels are declared once in kernels/f32-f32-gemm/kernels.inc. GetF32GemmKernel() picks the fastest one
//   the CPU can run, using DetectCpuFeatures() (so QC_ISA=scalar|avx2|avx512|neon caps the choice), once per
//   process. Tests and benchmarks iterate F32GemmKernels() and check IsaAvailable() against HardwareCpuFeatures().
//   F32Gemm() is the convenience entry for callers that want the whole product on the current thread.
//
// Usage
//   const qc::F32GemmKernel& gemm = qc::GetF32GemmKernel();
//   gemm.fn(args, 0, args.m, 0, args.n);         // or split [0, m) across threads
//   qc::F32Gemm(args);                           // the same, whole range
//   for (const auto& k : qc::F32GemmKernels()) if (qc::IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <cstddef>
#include <vector>

#include "configs/kernel_isa.h"
#include "core/cpu_features.h"
#include "kernels/f32-f32-gemm/kernels.h"

namespace qc {

/// One entry of kernels.inc.
struct F32GemmKernel {
  const char* name;  ///< function name, e.g. "F32Gemm4x3Avx2"
  KernelIsa isa;     ///< what the CPU must support
  F32GemmFn fn;
  int mr;  ///< register tile rows of X
  int nr;  ///< register tile rows of W
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle F32GemmRef first).
const std::vector<F32GemmKernel>& F32GemmKernels();

/// The fastest kernel a CPU with `cpu` features can run (never the oracle).
const F32GemmKernel& SelectF32GemmKernel(const CpuFeatures& cpu);

/// SelectF32GemmKernel(DetectCpuFeatures()), chosen once per process.
const F32GemmKernel& GetF32GemmKernel();

/// The oracle F32GemmRef's entry.
const F32GemmKernel& F32GemmReferenceKernel();

/// Y = X·Wᵀ + bias over the whole of `args`, on the calling thread, with GetF32GemmKernel().
void F32Gemm(const F32GemmArgs& args);

}  // namespace qc
