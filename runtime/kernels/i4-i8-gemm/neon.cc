// NEON DotProd int4 × int8 GEMM: 4 activation rows × one row group per tile. Each 16-byte chunk of a block row gives
// 16 low and 16 high nibbles; subtracting 8 (mod 256) turns codes into signed weights, reused for 4 activation rows;
// sdot accumulates Σ w·q directly (driver offset 0). Bit-exact to I4GemmRef.
#include <arm_neon.h>

#include "kernels/i4-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i4_pack.h"

namespace qc {
namespace {

struct NeonTile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    int32x4_t acc[4][4];
    for (auto& t : acc)
      for (auto& r : t) r = vdupq_n_s32(0);
    const uint8x16_t low = vdupq_n_u8(0x0F);
    const uint8x16_t eight = vdupq_n_u8(kI4CodeOffset);
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI4BlockBytes;
      for (size_t c = 0; c < kI4RowBytes; c += 16) {
        int8x16_t lo[4], hi[4];
        for (int r = 0; r < 4; ++r) {
          const uint8x16_t v = vld1q_u8(block + r * kI4RowBytes + c);
          lo[r] = vreinterpretq_s8_u8(vsubq_u8(vandq_u8(v, low), eight));
          hi[r] = vreinterpretq_s8_u8(vsubq_u8(vshrq_n_u8(v, 4), eight));
        }
        for (int t = 0; t < 4; ++t) {
          const int8x16_t xl = vld1q_s8(q[t] + b * kI4BlockK + c);
          const int8x16_t xh = vld1q_s8(q[t] + b * kI4BlockK + kI4RowBytes + c);
          for (int r = 0; r < 4; ++r) acc[t][r] = vdotq_s32(vdotq_s32(acc[t][r], lo[r], xl), hi[r], xh);
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += vaddvq_s32(acc[t][r]);
  }
};

}  // namespace

void I4Gemm4x4NeonDot(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<NeonTile, 4>(a, m_begin, m_end, n_begin, n_end, kI4BlockK, kI4BlockBytes, 0);
}

}  // namespace qc
