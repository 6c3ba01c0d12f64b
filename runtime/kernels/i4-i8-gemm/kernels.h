// kernels/i4-i8-gemm/kernels.h: int4-weight × int8-activation GEMM, Y[m, n] = (Σ_k w[n,k]·q[m,k]) · α_n·d_m + b_n.
//
// Overview
//   W is int4 in [-7, 7], packed as nibbles c = w + 8 in the I4 R4/K128 layout (quant/i4_pack.h). The operands are
//   an I8GemmArgs (kernels/i8-i8-gemm/kernels.h) whose `w` points at the I4 packing, and every kernel returns
//   Y_int = Σ w·q exactly (|Y_int| <= 7·128·k, k <= kI4MaxK) and y = IntGemmOutput(Y_int, α, d, b), so all ISAs give
//   the same bits. x86 kernels multiply the unsigned nibbles by signed activations (vpmaddubsw cannot saturate:
//   15·128·2 < 2^15; vpdpbusd) and subtract 8·Σq; NEON subtracts 8 from the nibbles and uses sdot. Each block row is
//   unpacked once (one AND, one shift) and reused for the tile's 4 activation rows. Kernels list: kernels.inc;
//   production choice: configs/int_gemm_config.h.
//
// Usage
//   qc::I8GemmArgs a;  a.w = i4_packed; ...   // as for the int8 kernels
//   qc::GetI4GemmKernel().fn(a, 0, m, 0, n);
#pragma once

#include "kernels/i8-i8-gemm/kernels.h"

namespace qc {

#define QC_I4_GEMM_KERNEL(isa, function, tokens, rows) \
  void function(const I8GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);
#include "kernels/i4-i8-gemm/kernels.inc"
#undef QC_I4_GEMM_KERNEL

}  // namespace qc
