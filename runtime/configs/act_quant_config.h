// configs/act_quant_config.h: which activation quantization row kernels this process uses, and the list of all.
//
// Overview
//   The kernels are declared once in kernels/f32-i8-quant/kernels.inc. GetActQuantKernel() picks the widest pair the
//   CPU can run (DetectCpuFeatures(), so QC_ISA caps it), once per process; quant/act_quant.cc calls it. All return
//   identical results, so the choice only changes speed.
//
// Usage
//   const qc::ActQuantKernel& k = qc::GetActQuantKernel();
//   for (const auto& k : qc::ActQuantKernels()) if (qc::IsaAvailable(k.isa, qc::HardwareCpuFeatures())) ...
#pragma once

#include <vector>

#include "configs/kernel_isa.h"
#include "kernels/f32-i8-quant/kernels.h"

namespace qc {

/// One entry of kernels.inc.
struct ActQuantKernel {
  const char* name;  ///< the abs-max function's name, e.g. "ActAbsMaxAvx512"
  KernelIsa isa;
  ActAbsMaxFn abs_max;
  ActQuantizeRowFn quantize_row;
  int lanes;  ///< floats per vector step
};

/// Every kernel pair compiled into this build, in kernels.inc order (the oracle first).
const std::vector<ActQuantKernel>& ActQuantKernels();

/// The widest pair a CPU with `cpu` features can run.
const ActQuantKernel& SelectActQuantKernel(const CpuFeatures& cpu);

/// SelectActQuantKernel(DetectCpuFeatures()), chosen once per process.
const ActQuantKernel& GetActQuantKernel();

}  // namespace qc
