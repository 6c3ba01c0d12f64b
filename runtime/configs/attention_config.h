// configs/attention_config.h: which int8 × int8 attention product kernel this process uses, and the list of all.
//
// Overview
//   The kernels are declared once in kernels/i8-i8-attention/kernels.inc. GetI8AttnGemmKernel() picks the fastest
//   one the CPU can run, using DetectCpuFeatures() (so QC_ISA=scalar|avx2|avx_vnni|avx512|neon caps the choice), once
//   per process. Tests and benchmarks iterate I8AttnGemmKernels() and check I8AttnIsaAvailable() against
//   HardwareCpuFeatures(). Every kernel returns the same int32 bits, so the choice only changes speed. On a CPU with
//   no SIMD kernel the oracle I8AttnGemmRef runs (plain loops the compiler vectorises where it can).
//
// Usage
//   const qc::I8AttnGemmKernel& kernel = qc::GetI8AttnGemmKernel();
//   kernel.fn(args, 0, args.m, 0, args.n);
//   for (const auto& k : qc::I8AttnGemmKernels()) if (qc::I8AttnIsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "core/cpu_features.h"
#include "kernels/i8-i8-attention/kernels.h"

namespace qc {

/// What an attention product kernel needs from the CPU.
enum class I8AttnIsa {
  kScalar,      ///< plain C++, any CPU
  kAvx2,        ///< AVX2
  kAvx512Vnni,  ///< AVX-512 F/BW/VL/DQ + VNNI (vpdpbusd on zmm)
  kNeonDot,     ///< AArch64 Advanced SIMD + DotProd (sdot)
};

/// True when a CPU with `cpu` features can execute kernels written for `isa`.
bool I8AttnIsaAvailable(I8AttnIsa isa, const CpuFeatures& cpu);

/// "scalar", "avx2", "avx512_vnni", "neon_dotprod".
const char* I8AttnIsaName(I8AttnIsa isa);

/// One entry of kernels.inc.
struct I8AttnGemmKernel {
  const char* name;  ///< function name, e.g. "I8AttnGemm8x32Avx512Vnni"
  I8AttnIsa isa;
  I8AttnGemmFn fn;
  int rows;  ///< A rows per register tile
  int cols;  ///< output columns per register tile
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle I8AttnGemmRef first).
const std::vector<I8AttnGemmKernel>& I8AttnGemmKernels();

/// The fastest kernel a CPU with `cpu` features can run.
const I8AttnGemmKernel& SelectI8AttnGemmKernel(const CpuFeatures& cpu);

/// SelectI8AttnGemmKernel(DetectCpuFeatures()), chosen once per process.
const I8AttnGemmKernel& GetI8AttnGemmKernel();

/// The oracle I8AttnGemmRef's entry.
const I8AttnGemmKernel& I8AttnGemmReferenceKernel();

}  // namespace qc
