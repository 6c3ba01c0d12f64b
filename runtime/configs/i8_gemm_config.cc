#include "configs/i8_gemm_config.h"

namespace qc {
namespace {

const IntGemmKernel& Find(I8GemmFn fn) {
  for (const IntGemmKernel& k : I8GemmKernels()) {
    if (k.fn == fn) return k;
  }
  return I8GemmKernels().front();  // unreachable: every function named below is in kernels.inc
}

}  // namespace

const std::vector<IntGemmKernel>& I8GemmKernels() {
  static const std::vector<IntGemmKernel> kernels = {
#define QC_I8_GEMM_KERNEL(isa, function, tokens, rows) {#function, T2GemmIsa::isa, &function, tokens, rows},
#include "kernels/i8-i8-gemm/kernels.inc"
#undef QC_I8_GEMM_KERNEL
  };
  return kernels;
}

const IntGemmKernel& SelectI8GemmKernel(const CpuFeatures& cpu) {
#if QC_HAVE_AVX512_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx512Vnni, cpu)) return Find(&I8Gemm4x4Avx512Vnni);
#endif
#if QC_HAVE_AVX2_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx2, cpu)) return Find(&I8Gemm4x4Avx2);
#endif
#if QC_HAVE_NEON_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kNeonDot, cpu)) return Find(&I8Gemm4x4NeonDot);
#endif
  (void)cpu;
  return Find(&I8Gemm4x4Scalar);
}

const IntGemmKernel& GetI8GemmKernel() {
  static const IntGemmKernel& kernel = SelectI8GemmKernel(DetectCpuFeatures());
  return kernel;
}

const IntGemmKernel& I8GemmReferenceKernel() {
  return Find(&I8GemmRef);
}

}  // namespace qc
