// configs/layernorm_config.h: which LayerNorm kernel this process uses, and the list of all.
//
// Overview
//   The kernels are declared once in kernels/f32-f32-layernorm/kernels.inc. GetLayerNormKernel() picks the widest
//   one the CPU can run (DetectCpuFeatures(), so QC_ISA caps it), once per process. All return identical bits, so the
//   choice only changes speed. ops/layer_norm.h's LayerNorm goes through it.
//
// Usage
//   qc::GetLayerNormKernel().fn(x, rows, cols, gamma, beta, eps, y);
//   for (const auto& k : qc::LayerNormKernels()) if (qc::IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/kernel_isa.h"
#include "kernels/f32-f32-layernorm/kernels.h"

namespace qc {

/// One entry of kernels.inc.
struct LayerNormKernel {
  const char* name;  ///< function name, e.g. "LayerNormAvx512"
  KernelIsa isa;
  LayerNormFn fn;
  int lanes;  ///< floats per vector step
};

/// Every kernel compiled into this build, in kernels.inc order (the oracle LayerNormRef first).
const std::vector<LayerNormKernel>& LayerNormKernels();

/// The widest kernel a CPU with `cpu` features can run.
const LayerNormKernel& SelectLayerNormKernel(const CpuFeatures& cpu);

/// SelectLayerNormKernel(DetectCpuFeatures()), chosen once per process.
const LayerNormKernel& GetLayerNormKernel();

}  // namespace qc
