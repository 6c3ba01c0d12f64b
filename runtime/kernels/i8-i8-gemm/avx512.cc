// AVX-512 VNNI int8 × int8 GEMM: 4 activation rows × one row group per tile. A block row's 128 codes are two zmm
// loads, reused for the 4 activation rows; vpdpbusd multiplies the unsigned codes (w + 128) by the signed
// activations without saturation, the driver subtracts 128·Σq (tiling.h). 16 zmm accumulators, reduced at the end
// of the K loop; bit-exact to I8GemmRef. Called only after a CPUID check (configs/int_gemm_config.cc).
#include "kernels/avx512_common.h"

#include "kernels/i8-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i8_pack.h"

namespace qc {
namespace {

struct Avx512Tile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    __m512i acc[4][4];
    for (auto& t : acc)
      for (auto& r : t) r = _mm512_setzero_si512();
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI8BlockBytes;
      for (size_t c = 0; c < kI8BlockK; c += 64) {
        __m512i w[4];
        for (int r = 0; r < 4; ++r) w[r] = _mm512_loadu_si512(block + r * kI8BlockK + c);
        for (int t = 0; t < 4; ++t) {
          const __m512i x = _mm512_loadu_si512(q[t] + b * kI8BlockK + c);
          for (int r = 0; r < 4; ++r) acc[t][r] = Dpbusd(acc[t][r], w[r], x);
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += _mm512_reduce_add_epi32(acc[t][r]);
  }
};

}  // namespace

void I8Gemm4x4Avx512Vnni(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<Avx512Tile, 4>(a, m_begin, m_end, n_begin, n_end, kI8BlockK, kI8BlockBytes, kI8CodeOffset);
}

}  // namespace qc
