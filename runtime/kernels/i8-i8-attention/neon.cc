// AArch64 NEON DotProd int8 × int8 attention product: 4 A rows × 4 B rows per register tile, k in the lanes.
//
// Per 16 columns each of the 8 rows is loaded once and every (A row, B row) pair takes one sdot (vdotq_s32: signed
// × signed bytes, 4 products summed into each int32 lane, exact), so no offset is needed. 16 accumulators +
// 8 operands use 24 of the 32 q registers. Each A row's accumulators are reduced with two levels of pairwise adds
// (addp) into [C(i,j) .. C(i,j+3)]. Tails: a row past the range is replaced by a valid row and its result is not
// stored. Compiled with -march=armv8.2-a+dotprod; called only after a feature check.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "kernels/i8-i8-attention/kernels.h"

namespace qc {

void I8AttnGemm4x4NeonDot(const I8AttnGemmArgs& g, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  constexpr size_t kRows = 4, kCols = 4;
  if (m_begin >= m_end || n_begin >= n_end) return;
  const size_t kp = I8AttnPaddedK(g.k);
  for (size_t i0 = m_begin; i0 < m_end; i0 += kRows) {
    const size_t rows = m_end - i0 < kRows ? m_end - i0 : kRows;
    const int8_t* a[kRows];
    for (size_t r = 0; r < kRows; ++r) a[r] = g.a + (r < rows ? i0 + r : i0) * g.a_stride;
    for (size_t j0 = n_begin; j0 < n_end; j0 += kCols) {
      const size_t cols = n_end - j0 < kCols ? n_end - j0 : kCols;
      const int8_t* b[kCols];
      for (size_t c = 0; c < kCols; ++c) b[c] = g.b + (c < cols ? j0 + c : j0) * g.b_stride;
      int32x4_t acc[kRows][kCols];
      for (size_t r = 0; r < kRows; ++r) {
        for (size_t c = 0; c < kCols; ++c) acc[r][c] = vdupq_n_s32(0);
      }
      for (size_t kk = 0; kk < kp; kk += 16) {
        int8x16_t bv[kCols];
        for (size_t c = 0; c < kCols; ++c) bv[c] = vld1q_s8(b[c] + kk);
        for (size_t r = 0; r < kRows; ++r) {
          const int8x16_t av = vld1q_s8(a[r] + kk);
          for (size_t c = 0; c < kCols; ++c) acc[r][c] = vdotq_s32(acc[r][c], av, bv[c]);
        }
      }
      for (size_t r = 0; r < rows; ++r) {
        const int32x4_t s =
            vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));  // [Σ c0 .. Σ c3]
        int32_t* dst = g.c + (i0 + r) * g.c_stride + j0;
        if (cols == kCols) {
          vst1q_s32(dst, s);
        } else {
          int32_t tmp[kCols];
          vst1q_s32(tmp, s);
          for (size_t c = 0; c < cols; ++c) dst[c] = tmp[c];
        }
      }
    }
  }
}

}  // namespace qc
