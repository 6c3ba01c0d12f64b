#include "configs/attention_config.h"

namespace qc {
namespace {

const I8AttnGemmKernel& Find(I8AttnGemmFn fn) {
  for (const I8AttnGemmKernel& k : I8AttnGemmKernels()) {
    if (k.fn == fn) return k;
  }
  return I8AttnGemmKernels().front();  // unreachable: every function named below is in kernels.inc
}

}  // namespace

bool I8AttnIsaAvailable(I8AttnIsa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case I8AttnIsa::kScalar:
      return true;
    case I8AttnIsa::kAvx2:
      return cpu.avx2;
    case I8AttnIsa::kAvx512Vnni:
      return cpu.avx512 && cpu.avx512_vnni;
    case I8AttnIsa::kNeonDot:
      return cpu.neon && cpu.neon_dotprod;
  }
  return false;
}

const char* I8AttnIsaName(I8AttnIsa isa) {
  switch (isa) {
    case I8AttnIsa::kScalar:
      return "scalar";
    case I8AttnIsa::kAvx2:
      return "avx2";
    case I8AttnIsa::kAvx512Vnni:
      return "avx512_vnni";
    case I8AttnIsa::kNeonDot:
      return "neon_dotprod";
  }
  return "unknown";
}

const std::vector<I8AttnGemmKernel>& I8AttnGemmKernels() {
  static const std::vector<I8AttnGemmKernel> kernels = {
#define QC_I8_ATTN_KERNEL(isa, function, rows, cols) {#function, I8AttnIsa::isa, &function, rows, cols},
#include "kernels/i8-i8-attention/kernels.inc"
#undef QC_I8_ATTN_KERNEL
  };
  return kernels;
}

const I8AttnGemmKernel& SelectI8AttnGemmKernel(const CpuFeatures& cpu) {
  // Fastest first (tests/kernels_attention/qattention_bench.cc measures them).
#if QC_HAVE_AVX512_KERNELS
  if (I8AttnIsaAvailable(I8AttnIsa::kAvx512Vnni, cpu)) return Find(&I8AttnGemm8x32Avx512Vnni);
#endif
#if QC_HAVE_AVX2_KERNELS
  if (I8AttnIsaAvailable(I8AttnIsa::kAvx2, cpu)) return Find(&I8AttnGemm2x4Avx2);
#endif
#if QC_HAVE_NEON_KERNELS
  if (I8AttnIsaAvailable(I8AttnIsa::kNeonDot, cpu)) return Find(&I8AttnGemm4x4NeonDot);
#endif
  (void)cpu;
  return Find(&I8AttnGemmRef);
}

const I8AttnGemmKernel& GetI8AttnGemmKernel() {
  static const I8AttnGemmKernel& kernel = SelectI8AttnGemmKernel(DetectCpuFeatures());
  return kernel;
}

const I8AttnGemmKernel& I8AttnGemmReferenceKernel() {
  return Find(&I8AttnGemmRef);
}

}  // namespace qc
