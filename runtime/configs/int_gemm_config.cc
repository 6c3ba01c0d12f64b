#include "configs/int_gemm_config.h"

namespace qc {
namespace {

const IntGemmKernel& Find(const std::vector<IntGemmKernel>& kernels, I8GemmFn fn) {
  for (const IntGemmKernel& k : kernels) {
    if (k.fn == fn) return k;
  }
  return kernels.front();  // unreachable: every function named below is in its kernels.inc
}

// The fastest of the family's kernels the CPU can run; the same ISA order for both families.
const IntGemmKernel& Select(const std::vector<IntGemmKernel>& kernels, const CpuFeatures& cpu, I8GemmFn avx512,
                            I8GemmFn avx2, I8GemmFn neon, I8GemmFn scalar) {
  if (avx512 != nullptr && T2IsaAvailable(T2GemmIsa::kAvx512Vnni, cpu)) return Find(kernels, avx512);
  if (avx2 != nullptr && T2IsaAvailable(T2GemmIsa::kAvx2, cpu)) return Find(kernels, avx2);
  if (neon != nullptr && T2IsaAvailable(T2GemmIsa::kNeonDot, cpu)) return Find(kernels, neon);
  return Find(kernels, scalar);
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

const std::vector<IntGemmKernel>& I4GemmKernels() {
  static const std::vector<IntGemmKernel> kernels = {
#define QC_I4_GEMM_KERNEL(isa, function, tokens, rows) {#function, T2GemmIsa::isa, &function, tokens, rows},
#include "kernels/i4-i8-gemm/kernels.inc"
#undef QC_I4_GEMM_KERNEL
  };
  return kernels;
}

const IntGemmKernel& SelectI8GemmKernel(const CpuFeatures& cpu) {
  I8GemmFn avx512 = nullptr, avx2 = nullptr, neon = nullptr;
#if QC_HAVE_AVX512_KERNELS
  avx512 = &I8Gemm4x4Avx512Vnni;
#endif
#if QC_HAVE_AVX2_KERNELS
  avx2 = &I8Gemm4x4Avx2;
#endif
#if QC_HAVE_NEON_KERNELS
  neon = &I8Gemm4x4NeonDot;
#endif
  return Select(I8GemmKernels(), cpu, avx512, avx2, neon, &I8Gemm4x4Scalar);
}

const IntGemmKernel& SelectI4GemmKernel(const CpuFeatures& cpu) {
  I8GemmFn avx512 = nullptr, avx2 = nullptr, neon = nullptr;
#if QC_HAVE_AVX512_KERNELS
  avx512 = &I4Gemm4x4Avx512Vnni;
#endif
#if QC_HAVE_AVX2_KERNELS
  avx2 = &I4Gemm4x4Avx2;
#endif
#if QC_HAVE_NEON_KERNELS
  neon = &I4Gemm4x4NeonDot;
#endif
  return Select(I4GemmKernels(), cpu, avx512, avx2, neon, &I4Gemm4x4Scalar);
}

const IntGemmKernel& GetI8GemmKernel() {
  static const IntGemmKernel& kernel = SelectI8GemmKernel(DetectCpuFeatures());
  return kernel;
}

const IntGemmKernel& GetI4GemmKernel() {
  static const IntGemmKernel& kernel = SelectI4GemmKernel(DetectCpuFeatures());
  return kernel;
}

const IntGemmKernel& I8GemmReferenceKernel() {
  return Find(I8GemmKernels(), &I8GemmRef);
}

const IntGemmKernel& I4GemmReferenceKernel() {
  return Find(I4GemmKernels(), &I4GemmRef);
}

}  // namespace qc
