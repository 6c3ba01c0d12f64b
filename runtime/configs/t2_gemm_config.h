// configs/t2_gemm_config.h: which ternary × int8 GEMM kernel this process uses, and the list of all of them.
//
// Overview
//   The kernels are declared once in kernels/t2-i8-gemm/kernels.inc. GetT2GemmKernel() picks the fastest one the
//   CPU can run, using DetectCpuFeatures() (so QC_ISA=scalar|avx2|avx_vnni|avx512|amx|neon caps the choice), once per
//   process. Tests and benchmarks iterate T2GemmKernels() and check T2IsaAvailable() against HardwareCpuFeatures().
//   The kernels need finer ISA levels than configs/kernel_isa.h names (AVX-512 *with VNNI*, NEON *with DotProd*),
//   hence T2GemmIsa. Every kernel returns the same bits, so the choice only changes speed.
//
// Usage
//   const qc::T2GemmKernel& gemm = qc::GetT2GemmKernel();
//   gemm.fn(args, 0, args.m, 0, args.n);      // or split rows / output channels across threads
//   qc::T2Gemm(args);                         // the same, whole range
//   for (const auto& k : qc::T2GemmKernels()) if (qc::T2IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "core/cpu_features.h"
#include "kernels/t2-i8-gemm/kernels.h"

namespace qc {

/// What a ternary GEMM kernel needs from the CPU.
enum class T2GemmIsa {
  kScalar,      ///< plain C++, any CPU
  kAvx2,        ///< AVX2 + FMA
  kAvx512Vnni,  ///< AVX-512 F/BW/VL/DQ + VNNI (vpdpbusd on zmm)
  kAmxInt8,     ///< AMX-TILE + AMX-INT8 (tdpbusd), with AVX-512 VNNI for the epilogue
  kNeonDot,     ///< AArch64 Advanced SIMD + DotProd (sdot)
};

/// True when a CPU with `cpu` features can execute kernels written for `isa`.
bool T2IsaAvailable(T2GemmIsa isa, const CpuFeatures& cpu);

/// "scalar", "avx2", "avx512_vnni", "amx_int8", "neon_dotprod".
const char* T2IsaName(T2GemmIsa isa);

/// One entry of kernels.inc.
struct T2GemmKernel {
  const char* name;  ///< function name, e.g. "T2Gemm16x4Avx512Vnni"
  T2GemmIsa isa;     ///< what the CPU must support
  T2GemmFn fn;
  int tokens;  ///< activation rows per register tile
  int rows;    ///< weight rows per register tile
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle T2GemmRef first).
const std::vector<T2GemmKernel>& T2GemmKernels();

/// The fastest kernel a CPU with `cpu` features can run (never the oracle).
const T2GemmKernel& SelectT2GemmKernel(const CpuFeatures& cpu);

/// SelectT2GemmKernel(DetectCpuFeatures()), chosen once per process.
const T2GemmKernel& GetT2GemmKernel();

/// The oracle T2GemmRef's entry.
const T2GemmKernel& T2GemmReferenceKernel();

/// The whole product of `args` on the calling thread with GetT2GemmKernel().
void T2Gemm(const T2GemmArgs& args);

}  // namespace qc
