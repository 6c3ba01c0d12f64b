// AVX-512 VNNI int4 × int8 GEMM: 4 activation rows × one row group per tile. A block row's 64 bytes are one zmm:
// AND gives columns 0..63, shift+AND columns 64..127, both reused for 4 activation rows; vpdpbusd (u8 codes × s8
// activations). The driver subtracts 8·Σq. Called only after a CPUID check (configs/int_gemm_config.cc).
#include "kernels/avx512_common.h"

#include "kernels/i4-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i4_pack.h"

namespace qc {
namespace {

struct Avx512Tile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    __m512i acc[4][4];
    for (auto& t : acc)
      for (auto& r : t) r = _mm512_setzero_si512();
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI4BlockBytes;
      __m512i lo[4], hi[4];
      for (int r = 0; r < 4; ++r) {
        const __m512i v = _mm512_loadu_si512(block + r * kI4RowBytes);
        lo[r] = _mm512_and_si512(v, low);
        hi[r] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
      }
      for (int t = 0; t < 4; ++t) {
        const __m512i xl = _mm512_loadu_si512(q[t] + b * kI4BlockK);
        const __m512i xh = _mm512_loadu_si512(q[t] + b * kI4BlockK + 64);
        for (int r = 0; r < 4; ++r) {
          acc[t][r] = Dpbusd(acc[t][r], lo[r], xl);
          acc[t][r] = Dpbusd(acc[t][r], hi[r], xh);
        }
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int r = 0; r < 4; ++r) sums[t][r] += _mm512_reduce_add_epi32(acc[t][r]);
  }
};

}  // namespace

void I4Gemm4x4Avx512Vnni(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<Avx512Tile, 4>(a, m_begin, m_end, n_begin, n_end, kI4BlockK, kI4BlockBytes, kI4CodeOffset);
}

}  // namespace qc
