// Run-time CPU feature detection for kernel dispatch.
//
// Kernels for every enabled ISA are compiled into the library; each op's config picks one at run time from the
// features detected here, so one binary runs on any CPU of its architecture. `QC_ISA` in the environment caps the
// choice (scalar, avx2, avx_vnni, avx512, amx, neon; "avx512" excludes AMX) so tests and benchmarks can force a
// lower path.
//
//   const qc::CpuFeatures& cpu = qc::DetectCpuFeatures();
//   if (cpu.avx512_vnni) { ... }
#pragma once

#include <string>

namespace qc {

struct CpuFeatures {
  // x86-64. Each flag is set only when the CPU has it and the OS saves the register state it needs (XCR0).
  bool avx2 = false;         ///< AVX2 + FMA
  bool avx_vnni = false;     ///< VEX-encoded VNNI on 256-bit registers
  bool avx512 = false;       ///< AVX-512 F + BW + VL + DQ
  bool avx512_vnni = false;  ///< AVX-512 VNNI (implies avx512)
  bool avx512_vbmi = false;
  bool amx_int8 = false;  ///< AMX-TILE + AMX-INT8, XTILECFG/XTILEDATA enabled in XCR0 and granted by the OS
  // aarch64.
  bool neon = false;
  bool neon_dotprod = false;  ///< sdot/udot (ARMv8.2 DotProd)
  bool neon_i8mm = false;     ///< smmla (ARMv8.6 I8MM)

  /// e.g. "avx2 avx_vnni avx512 avx512_vnni" or "scalar" when none.
  std::string ToString() const;
};

/// Features of this CPU, detected once (thread-safe), then capped by the QC_ISA environment variable if set.
const CpuFeatures& DetectCpuFeatures();

/// Features of this CPU with no QC_ISA cap applied; for tests that must know what the hardware can run.
const CpuFeatures& HardwareCpuFeatures();

/// Applies a cap such as "scalar", "avx2", "avx512", "amx", "neon" to `features`; unknown names leave it unchanged and
/// return false.
bool CapCpuFeatures(CpuFeatures& features, const std::string& isa);

}  // namespace qc
