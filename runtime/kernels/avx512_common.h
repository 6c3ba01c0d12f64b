// kernels/avx512_common.h: what the AVX-512 kernel files share. Included only by files compiled with AVX-512 flags.
//
// Overview
//   <immintrin.h> under a pragma: GCC 12's AVX-512 headers build unmasked intrinsics from masked builtins with a
//   self-initialised "undefined" source (`__m512i __Y = __Y;`), which -Wuninitialized / -Wmaybe-uninitialized
//   report once inlined (GCC PR105593). TailMask16 gives the lanes of a 16-wide step that lie
//   before the end of an array. Dpbusd is vpdpbusd through inline asm: with the intrinsic, GCC 12 copies
//   register-tiled accumulators back and forth around every vpdpbusd in a loop (up to two vmovdqa per
//   multiply-accumulate, which occupy the same two vector ports and halved a GEMM's throughput); the asm ties the
//   accumulator to its register. `static inline`: each ISA-flagged file keeps its own copy.
//
// Usage
//   #include "kernels/avx512_common.h"
//   const __mmask16 m = qc::TailMask16(n - i);   // all 16 lanes while n - i >= 16
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstddef>

namespace qc {

static inline __mmask16 TailMask16(size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

/// acc + Σ over each dword's 4 bytes of u8 a × s8 b (vpdpbusd zmm). By value, like the intrinsic, so register-tiled
/// accumulator arrays stay in registers.
static inline __m512i Dpbusd(__m512i acc, __m512i a_u8, __m512i b_s8) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a_u8), "v"(b_s8));
  return acc;
}

}  // namespace qc
