// AVX2 int4 × int8 GEMM: 4 activation rows × one row group per tile. A block row's 64 bytes (two ymm) become 4 × 32
// codes with one AND and one shift+AND, reused for 4 activation rows; vpmaddubsw (u8 codes × s8 activations, pairs
// at most 15·128·2 < 2^15, never saturating) then vpmaddwd by 1 into int32. The driver subtracts 8·Σq.
#include <immintrin.h>

#include "kernels/i4-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i4_pack.h"

namespace qc {
namespace {

inline int32_t HSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

struct Avx2Tile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    __m256i acc[4][4];
    for (auto& t : acc)
      for (auto& r : t) r = _mm256_setzero_si256();
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI4BlockBytes;
      for (int h = 0; h < 2; ++h) {  // bytes [32h, 32h + 32): columns 32h.. (low) and 64 + 32h.. (high)
        __m256i lo[4], hi[4];
        for (int r = 0; r < 4; ++r) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + r * kI4RowBytes + 32 * h));
          lo[r] = _mm256_and_si256(v, low);
          hi[r] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        }
        for (int t = 0; t < 4; ++t) {
          const int8_t* x = q[t] + b * kI4BlockK + 32 * h;
          const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
          const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64));
          for (int r = 0; r < 4; ++r) {
            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo[r], xl), _mm256_maddubs_epi16(hi[r], xh));
            acc[t][r] = _mm256_add_epi32(acc[t][r], _mm256_madd_epi16(p, ones));
          }
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += HSum(acc[t][r]);
  }
};

}  // namespace

void I4Gemm4x4Avx2(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<Avx2Tile, 4>(a, m_begin, m_end, n_begin, n_end, kI4BlockK, kI4BlockBytes, kI4CodeOffset);
}

}  // namespace qc
