// AVX2 int8 × int8 attention product: 2 A rows × 4 B rows per register tile, the reduction axis k in the lanes.
//
// Per 16 columns, each of the 6 rows is loaded once and sign-extended to int16 (vpmovsxbw), and each of the 8
// (A row, B row) pairs takes one vpmaddwd (16 int16 products, adjacent pairs summed into 8 int32 lanes: at most
// 2·127² = 32,258, exact) and one vpaddd. vpmaddubsw is not used: it needs an unsigned operand and saturates in int16
// with the +128 offset. 8 accumulators + 6 operands fit the 16 ymm registers. At the end each A row's four
// accumulators are reduced with two levels of vphaddd and one 128-bit add into [C(i,j) .. C(i,j+3)].
// Tails: an A or B row past the end of the range is replaced by a valid row and its result is not stored, so every
// load stays inside the operands. Compiled with -mavx2 -mfma; called only after a CPUID check.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/i8-i8-attention/kernels.h"

namespace qc {
namespace {

constexpr size_t kRows = 2;
constexpr size_t kCols = 4;

inline __m256i Widen(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Lane j = Σ of the 8 lanes of a[j].
inline __m128i Sum4(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

}  // namespace

void I8AttnGemm2x4Avx2(const I8AttnGemmArgs& g, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
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
      __m256i acc[kRows][kCols];
      for (size_t r = 0; r < kRows; ++r) {
        for (size_t c = 0; c < kCols; ++c) acc[r][c] = _mm256_setzero_si256();
      }
      for (size_t kk = 0; kk < kp; kk += 16) {
        __m256i bw[kCols];
        for (size_t c = 0; c < kCols; ++c) bw[c] = Widen(b[c] + kk);
        for (size_t r = 0; r < kRows; ++r) {
          const __m256i aw = Widen(a[r] + kk);
          for (size_t c = 0; c < kCols; ++c) acc[r][c] = _mm256_add_epi32(acc[r][c], _mm256_madd_epi16(aw, bw[c]));
        }
      }
      for (size_t r = 0; r < rows; ++r) {
        const __m128i s = Sum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        int32_t* dst = g.c + (i0 + r) * g.c_stride + j0;
        if (cols == kCols) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), s);
        } else {
          alignas(16) int32_t tmp[kCols];
          _mm_store_si128(reinterpret_cast<__m128i*>(tmp), s);
          for (size_t c = 0; c < cols; ++c) dst[c] = tmp[c];
        }
      }
    }
  }
}

}  // namespace qc
