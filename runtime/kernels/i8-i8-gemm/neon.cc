// NEON DotProd int8 × int8 GEMM: 4 activation rows × one row group per tile. Codes are flipped back to signed
// weights (c xor 0x80 = w) once per 16-column chunk and reused for 4 activation rows; sdot accumulates Σ w·q
// directly, so the driver subtracts nothing (offset 0). Bit-exact to I8GemmRef.
#include <arm_neon.h>

#include "kernels/i8-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i8_pack.h"

namespace qc {
namespace {

struct NeonTile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    int32x4_t acc[4][4];
    for (auto& t : acc)
      for (auto& r : t) r = vdupq_n_s32(0);
    const uint8x16_t flip = vdupq_n_u8(0x80);
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI8BlockBytes;
      for (size_t c = 0; c < kI8BlockK; c += 16) {
        int8x16_t w[4];
        for (int r = 0; r < 4; ++r) w[r] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(block + r * kI8BlockK + c), flip));
        for (int t = 0; t < 4; ++t) {
          const int8x16_t x = vld1q_s8(q[t] + b * kI8BlockK + c);
          for (int r = 0; r < 4; ++r) acc[t][r] = vdotq_s32(acc[t][r], w[r], x);
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += vaddvq_s32(acc[t][r]);
  }
};

}  // namespace

void I8Gemm4x4NeonDot(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<NeonTile, 4>(a, m_begin, m_end, n_begin, n_end, kI8BlockK, kI8BlockBytes, 0);
}

}  // namespace qc
