// AVX2 int8 × int8 GEMM: 4 activation rows × one row group (4 output channels) per tile. Each 16-column chunk of a
// weight row is widened once (vpmovzxbw, codes 1..255) and reused for the 4 activation rows (vpmovsxbw), products
// summed in pairs by vpmaddwd (exact: |255·128·2| < 2^31; vpmaddubsw would saturate int16). 16 int32 accumulators,
// reduced horizontally at the end of the K loop; the driver subtracts 128·Σq (tiling.h). Bit-exact to I8GemmRef.
#include <immintrin.h>

#include "kernels/i8-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i8_pack.h"

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
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI8BlockBytes;
      for (size_t c = 0; c < kI8BlockK; c += 16) {
        __m256i w[4];
        for (int r = 0; r < 4; ++r)
          w[r] = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + r * kI8BlockK + c)));
        for (int t = 0; t < 4; ++t) {
          const __m256i x =
              _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q[t] + b * kI8BlockK + c)));
          for (int r = 0; r < 4; ++r) acc[t][r] = _mm256_add_epi32(acc[t][r], _mm256_madd_epi16(w[r], x));
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += HSum(acc[t][r]);
  }
};

}  // namespace

void I8Gemm4x4Avx2(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<Avx2Tile, 4>(a, m_begin, m_end, n_begin, n_end, kI8BlockK, kI8BlockBytes, kI8CodeOffset);
}

}  // namespace qc
