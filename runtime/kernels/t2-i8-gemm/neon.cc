// AArch64 NEON DotProd ternary × int8 GEMM: one packed row group (4 output channels) × up to 8 activation rows.
//
// One weight row at a time: per 128-column block, two 16-byte loads and per-byte shifts (vshr) + ANDs unpack the
// row's 32 bytes into 8 code registers of 16 consecutive columns each; they then serve all 8 activation rows with
// sdot (vdotq_s32: 4 int8 products summed into each int32 lane; codes 0..2 are valid signed bytes). 8 accumulators
// + 8 codes + mask + loads use ~18 of the 32 q registers. Keeping the codes c = w + 1 and subtracting Σq (rather than
// using w directly, which sdot would allow) keeps the integer identical to every other ISA by construction.
//
// Per row, pairwise adds (addp) fold 4 accumulators into [Σ token 0..3]; the four rows are transposed with zip1/zip2
// into per-activation-row [Σ row 0..3] and the epilogue (scvtf, α·d, fmla) reproduces T2Output bit for bit.
// Compiled with -march=armv8.2-a+dotprod; called only after a feature check (configs/t2_gemm_config.cc).
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "kernels/t2-i8-gemm/kernels.h"
#include "kernels/t2-i8-gemm/tiling.h"
#include "quant/t2_pack.h"

namespace qc {
namespace {

constexpr int kMaxTokens = 8;

template <int T>
struct NeonTile {
  static_assert(T >= 1 && T <= kMaxTokens, "tile shape");

  static void Run(const T2GemmTile& t) {
    int32x4_t row_sums[kT2RowGroup][2];  // [row][h]: lane j = Σ c·q of activation row 4·h + j
    for (size_t r = 0; r < kT2RowGroup; ++r) Pass(t, r, row_sums[r]);
    for (int h = 0; 4 * h < T; ++h) StoreFour(t, h, row_sums);
  }

  static void Pass(const T2GemmTile& t, size_t r, int32x4_t (&out)[2]) {
    int32x4_t acc[kMaxTokens];
    for (int i = 0; i < kMaxTokens; ++i) acc[i] = vdupq_n_s32(0);
    const uint8x16_t mask = vdupq_n_u8(3);
    const size_t qs = t.q_stride;
    for (size_t b = 0; b < t.k_blocks; ++b) {
      const uint8_t* w = t.w + b * kT2BlockBytes + r * kT2RowBytes;
      const uint8x16_t p0 = vld1q_u8(w), p1 = vld1q_u8(w + 16);
      // c[s] holds columns 16·s .. 16·s+15 of the block (bit plane s/2, half s%2).
      int8x16_t c[8];
      c[0] = vreinterpretq_s8_u8(vshrq_n_u8(p0, 6));
      c[1] = vreinterpretq_s8_u8(vshrq_n_u8(p1, 6));
      c[2] = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p0, 4), mask));
      c[3] = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p1, 4), mask));
      c[4] = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p0, 2), mask));
      c[5] = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p1, 2), mask));
      c[6] = vreinterpretq_s8_u8(vandq_u8(p0, mask));
      c[7] = vreinterpretq_s8_u8(vandq_u8(p1, mask));
      const int8_t* qb = t.q + b * kT2BlockK;
      for (int s = 0; s < 8; ++s) {
        for (int i = 0; i < T; ++i) acc[i] = vdotq_s32(acc[i], c[s], vld1q_s8(qb + i * qs + 16 * s));
      }
    }
    out[0] = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
    out[1] = vpaddq_s32(vpaddq_s32(acc[4], acc[5]), vpaddq_s32(acc[6], acc[7]));
  }

  // Activation rows 4h .. 4h+3 (those < T).
  static void StoreFour(const T2GemmTile& t, int h, const int32x4_t (&row_sums)[kT2RowGroup][2]) {
    const int32x4_t a = vzip1q_s32(row_sums[0][h], row_sums[1][h]);  // r0 t0, r1 t0, r0 t1, r1 t1
    const int32x4_t b = vzip2q_s32(row_sums[0][h], row_sums[1][h]);  // r0 t2, r1 t2, r0 t3, r1 t3
    const int32x4_t c = vzip1q_s32(row_sums[2][h], row_sums[3][h]);
    const int32x4_t d = vzip2q_s32(row_sums[2][h], row_sums[3][h]);
    auto join = [](int32x4_t lo, int32x4_t hi, bool second) {
      const int64x2_t l = vreinterpretq_s64_s32(lo), u = vreinterpretq_s64_s32(hi);
      return vreinterpretq_s32_s64(second ? vzip2q_s64(l, u) : vzip1q_s64(l, u));
    };
    const int32x4_t tok[4] = {join(a, c, false), join(a, c, true), join(b, d, false), join(b, d, true)};
    const float32x4_t alpha = vld1q_f32(t.alpha), bias = vld1q_f32(t.bias);
    const bool full = t.row_lo == 0 && t.row_hi == 4;
    for (int j = 0; j < 4 && 4 * h + j < T; ++j) {
      const int i = 4 * h + j;
      const int32x4_t y = vsubq_s32(tok[j], vdupq_n_s32(t.q_sum[i]));
      if (t.y_int != nullptr) {
        int32_t* dst = t.y_int + i * t.y_int_stride;
        if (full) {
          vst1q_s32(dst, y);
        } else {
          int32_t tmp[4];
          vst1q_s32(tmp, y);
          for (int r = t.row_lo; r < t.row_hi; ++r) dst[r] = tmp[r];
        }
      }
      if (t.y != nullptr) {
        // fma(float(Y), α·d, b): the same three roundings as T2Output.
        const float32x4_t out = vfmaq_f32(bias, vcvtq_f32_s32(y), vmulq_f32(alpha, vdupq_n_f32(t.q_dequant[i])));
        float* dst = t.y + i * t.y_stride;
        if (full) {
          vst1q_f32(dst, out);
        } else {
          float tmp[4];
          vst1q_f32(tmp, out);
          for (int r = t.row_lo; r < t.row_hi; ++r) dst[r] = tmp[r];
        }
      }
    }
  }
};

}  // namespace

void T2Gemm8x4NeonDot(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunT2GemmTiles<NeonTile, kMaxTokens>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
