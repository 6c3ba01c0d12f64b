// Under qemu-aarch64 (tools/run-neon-tests.sh): the NEON kernels are compiled in, the (emulated) CPU reports NEON
// with DotProd, and every kernel config selects its NEON kernel. Without this, the kernel tests could pass while
// exercising only the scalar references (they skip ISAs the CPU lacks).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "configs/act_quant_config.h"
#include "configs/attention_config.h"
#include "configs/gelu_config.h"
#include "configs/layernorm_config.h"
#include "configs/qsoftmax_config.h"
#include "configs/gemm_config.h"
#include "configs/t2_gemm_config.h"
#include "core/cpu_features.h"

using namespace qc;

TEST_CASE("the NEON kernels are built, detected and selected") {
#if !defined(__aarch64__) || !QC_HAVE_NEON_KERNELS
  FAIL("this test runs only in the AArch64 build with QC_ENABLE_NEON");
#else
  const char* cap = std::getenv("QC_ISA");
  REQUIRE_MESSAGE(cap == nullptr, "QC_ISA is set (" << cap << "): it would cap the dispatch under test");
  const CpuFeatures& cpu = HardwareCpuFeatures();
  MESSAGE("CPU features: " << cpu.ToString());
  REQUIRE(cpu.neon);
  REQUIRE_MESSAGE(cpu.neon_dotprod, "the emulated CPU lacks DotProd: run qemu-aarch64 with -cpu max");
  CHECK(GetF32GemmKernel().isa == KernelIsa::kNeon);
  CHECK(GetT2GemmKernel().isa == T2GemmIsa::kNeonDot);
  CHECK(GetI8AttnGemmKernel().isa == I8AttnIsa::kNeonDot);
  CHECK(GetGeluErfKernel().isa == KernelIsa::kNeon);
  CHECK(GetActQuantKernel().isa == KernelIsa::kNeon);
  CHECK(GetQSoftmaxKernel().isa == KernelIsa::kNeon);
  CHECK(GetLayerNormKernel().isa == KernelIsa::kNeon);
  MESSAGE("selected: " << std::string(GetF32GemmKernel().name) << ", " << std::string(GetT2GemmKernel().name) << ", "
                       << std::string(GetI8AttnGemmKernel().name));
  // Every NEON kernel a list declares must be one the tests can run here (not skipped as unavailable).
  int neon_kernels = 0;
  for (const auto& k : T2GemmKernels()) {
    if (k.isa == T2GemmIsa::kNeonDot) {
      ++neon_kernels;
      CHECK(T2IsaAvailable(k.isa, cpu));
    }
  }
  for (const auto& k : I8AttnGemmKernels()) {
    if (k.isa == I8AttnIsa::kNeonDot) {
      ++neon_kernels;
      CHECK(I8AttnIsaAvailable(k.isa, cpu));
    }
  }
  for (const auto& k : F32GemmKernels()) {
    if (k.isa == KernelIsa::kNeon) {
      ++neon_kernels;
      CHECK(IsaAvailable(k.isa, cpu));
    }
  }
  CHECK(neon_kernels >= 3);
#endif
}
