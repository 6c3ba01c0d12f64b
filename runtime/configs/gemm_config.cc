#include "configs/gemm_config.h"

namespace qc {
namespace {

const F32GemmKernel& Find(F32GemmFn fn) {
  for (const F32GemmKernel& k : F32GemmKernels()) {
    if (k.fn == fn) return k;
  }
  return F32GemmKernels().front();  // unreachable: every function named below is in kernels.inc
}

}  // namespace

const std::vector<F32GemmKernel>& F32GemmKernels() {
  static const std::vector<F32GemmKernel> kernels = {
#define QC_F32_GEMM_KERNEL(isa, function, mr, nr) {#function, KernelIsa::isa, &function, mr, nr},
#include "kernels/f32-f32-gemm/kernels.inc"
#undef QC_F32_GEMM_KERNEL
  };
  return kernels;
}

const F32GemmKernel& SelectF32GemmKernel(const CpuFeatures& cpu) {
  // Preference order, fastest first. Single thread on Zen 5 at M=128, K=N=768 (tests/kernels/gemm_bench.cc):
  // AVX-512 4x6 ~169 GFLOP/s, AVX2 4x3 ~112, scalar 4x4 ~12; the other BERT shapes rank the same way.
#if QC_HAVE_AVX512_KERNELS
  if (IsaAvailable(KernelIsa::kAvx512, cpu)) return Find(&F32Gemm4x6Avx512);
#endif
#if QC_HAVE_AVX2_KERNELS
  if (IsaAvailable(KernelIsa::kAvx2, cpu)) return Find(&F32Gemm4x3Avx2);
#endif
#if QC_HAVE_NEON_KERNELS
  if (IsaAvailable(KernelIsa::kNeon, cpu)) return Find(&F32Gemm4x4Neon);
#endif
  (void)cpu;
  return Find(&F32Gemm4x4Scalar);
}

const F32GemmKernel& GetF32GemmKernel() {
  static const F32GemmKernel& kernel = SelectF32GemmKernel(DetectCpuFeatures());
  return kernel;
}

const F32GemmKernel& F32GemmReferenceKernel() {
  return Find(&F32GemmRef);
}

void F32Gemm(const F32GemmArgs& args) {
  GetF32GemmKernel().fn(args, 0, args.m, 0, args.n);
}

}  // namespace qc
