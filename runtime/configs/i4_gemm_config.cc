#include "configs/i4_gemm_config.h"

namespace qc {
namespace {

const IntGemmKernel& Find(I8GemmFn fn) {
  for (const IntGemmKernel& k : I4GemmKernels()) {
    if (k.fn == fn) return k;
  }
  return I4GemmKernels().front();  // unreachable: every function named below is in kernels.inc
}

}  // namespace

const std::vector<IntGemmKernel>& I4GemmKernels() {
  static const std::vector<IntGemmKernel> kernels = {
#define QC_I4_GEMM_KERNEL(isa, function, tokens, rows) {#function, T2GemmIsa::isa, &function, tokens, rows},
#include "kernels/i4-i8-gemm/kernels.inc"
#undef QC_I4_GEMM_KERNEL
  };
  return kernels;
}

const IntGemmKernel& SelectI4GemmKernel(const CpuFeatures& cpu) {
#if QC_HAVE_AVX512_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx512Vnni, cpu)) return Find(&I4Gemm4x4Avx512Vnni);
#endif
#if QC_HAVE_AVX2_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx2, cpu)) return Find(&I4Gemm4x4Avx2);
#endif
#if QC_HAVE_NEON_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kNeonDot, cpu)) return Find(&I4Gemm4x4NeonDot);
#endif
  (void)cpu;
  return Find(&I4Gemm4x4Scalar);
}

const IntGemmKernel& GetI4GemmKernel() {
  static const IntGemmKernel& kernel = SelectI4GemmKernel(DetectCpuFeatures());
  return kernel;
}

const IntGemmKernel& I4GemmReferenceKernel() {
  return Find(&I4GemmRef);
}

}  // namespace qc
