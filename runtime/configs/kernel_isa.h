// configs/kernel_isa.h: the instruction sets kernels are written for, and whether a CPU can run each.
//
// Overview
//   Every kernel list (kernels/<family>/kernels.inc) tags each kernel with a KernelIsa. Configs and tests ask
//   IsaAvailable() before calling a kernel, so code compiled with -mavx512f is never reached on a CPU without it.
//
// Usage
//   if (qc::IsaAvailable(qc::KernelIsa::kAvx2, qc::DetectCpuFeatures())) { ... call an AVX2 kernel ... }
//   std::string name = qc::IsaName(qc::KernelIsa::kNeon);   // "neon"
#pragma once

#include <vector>

#include "core/cpu_features.h"

namespace qc {

enum class KernelIsa {
  kScalar,  ///< plain C++, any CPU
  kAvx2,    ///< AVX2 + FMA (x86-64)
  kAvx512,  ///< AVX-512 F/BW/VL/DQ (x86-64)
  kNeon,    ///< Advanced SIMD (AArch64)
};

/// True when a CPU with `cpu` features can execute kernels written for `isa`.
inline bool IsaAvailable(KernelIsa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case KernelIsa::kScalar:
      return true;
    case KernelIsa::kAvx2:
      return cpu.avx2;
    case KernelIsa::kAvx512:
      return cpu.avx512;
    case KernelIsa::kNeon:
      return cpu.neon;
  }
  return false;
}

/// The entry with the most `lanes` among those a CPU with `cpu` features can run; the first entry (the scalar
/// oracle, always runnable) when no other is. For kernel lists whose entries all compute the same bits, so the
/// widest vector is simply the fastest.
template <typename Kernel>
const Kernel& SelectWidestKernel(const std::vector<Kernel>& kernels, const CpuFeatures& cpu) {
  const Kernel* best = &kernels.front();
  for (const Kernel& k : kernels) {
    if (IsaAvailable(k.isa, cpu) && k.lanes > best->lanes) best = &k;
  }
  return *best;
}

/// Lower-case name matching the QC_ISA spelling: "scalar", "avx2", "avx512", "neon".
inline const char* IsaName(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kScalar:
      return "scalar";
    case KernelIsa::kAvx2:
      return "avx2";
    case KernelIsa::kAvx512:
      return "avx512";
    case KernelIsa::kNeon:
      return "neon";
  }
  return "unknown";
}

}  // namespace qc
