#include "configs/t2_gemm_config.h"

namespace qc {
namespace {

const T2GemmKernel& Find(T2GemmFn fn) {
  for (const T2GemmKernel& k : T2GemmKernels()) {
    if (k.fn == fn) return k;
  }
  return T2GemmKernels().front();  // unreachable: every function named below is in kernels.inc
}

}  // namespace

bool T2IsaAvailable(T2GemmIsa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case T2GemmIsa::kScalar:
      return true;
    case T2GemmIsa::kAvx2:
      return cpu.avx2;
    case T2GemmIsa::kAvx512Vnni:
      return cpu.avx512 && cpu.avx512_vnni;
    case T2GemmIsa::kAmxInt8:
      return cpu.avx512_vnni && cpu.amx_int8;
    case T2GemmIsa::kNeonDot:
      return cpu.neon && cpu.neon_dotprod;
  }
  return false;
}

const char* T2IsaName(T2GemmIsa isa) {
  switch (isa) {
    case T2GemmIsa::kScalar:
      return "scalar";
    case T2GemmIsa::kAvx2:
      return "avx2";
    case T2GemmIsa::kAvx512Vnni:
      return "avx512_vnni";
    case T2GemmIsa::kAmxInt8:
      return "amx_int8";
    case T2GemmIsa::kNeonDot:
      return "neon_dotprod";
  }
  return "unknown";
}

const std::vector<T2GemmKernel>& T2GemmKernels() {
  static const std::vector<T2GemmKernel> kernels = {
#define QC_T2_GEMM_KERNEL(isa, function, tokens, rows) {#function, T2GemmIsa::isa, &function, tokens, rows},
#include "kernels/t2-i8-gemm/kernels.inc"
#undef QC_T2_GEMM_KERNEL
  };
  return kernels;
}

const T2GemmKernel& SelectT2GemmKernel(const CpuFeatures& cpu) {
  // Fastest first. Single thread on Zen 5 at M=128, N=K=768 (tests/kernels_t2/t2_gemm_bench.cc): AVX-512 VNNI
  // ~410 GMAC/s (85 % of the vpdpbusd zmm peak), AVX2 ~125, scalar 4x4 ~7; the other BERT shapes rank the same.
  // Sapphire Rapids: AMX ~800-1050 GMAC/s at M=128 and ~400-650 at M=16 against AVX-512 VNNI ~250-265.
#if QC_HAVE_AMX_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAmxInt8, cpu)) return Find(&T2GemmAmx);
#endif
#if QC_HAVE_AVX512_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx512Vnni, cpu)) return Find(&T2Gemm16x4Avx512Vnni);
#endif
#if QC_HAVE_AVX2_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kAvx2, cpu)) return Find(&T2Gemm4x4Avx2);
#endif
#if QC_HAVE_NEON_KERNELS
  if (T2IsaAvailable(T2GemmIsa::kNeonDot, cpu)) return Find(&T2Gemm8x4NeonDot);
#endif
  (void)cpu;
  return Find(&T2Gemm4x4Scalar);
}

const T2GemmKernel& GetT2GemmKernel() {
  static const T2GemmKernel& kernel = SelectT2GemmKernel(DetectCpuFeatures());
  return kernel;
}

const T2GemmKernel& T2GemmReferenceKernel() {
  return Find(&T2GemmRef);
}

void T2Gemm(const T2GemmArgs& args) {
  GetT2GemmKernel().fn(args, 0, args.m, 0, args.n);
}

}  // namespace qc
