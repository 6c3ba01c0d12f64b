// AVX2 ternary × int8 GEMM: one packed row group (4 output channels) × up to 4 activation rows.
//
// The row group is processed one weight row at a time (kRowsPerPass = 1): per 128-column block, one 32-byte load,
// three shifts and four ANDs unpack the row's codes into 4 registers (columns 0-31, 32-63, 64-95, 96-127), which
// then serve all activation rows of the tile: vpmaddubsw (codes u8 × activations s8 → adjacent pairs summed in
// int16; a pair is at most 2·127·2 = 508, so it never saturates) with the activations as memory operands, and four
// vpaddw per activation row and block into a wrapping int16 accumulator. Each int16 lane gains at most 4·508 = 2032
// per block, so after 8 blocks (1024 columns) it holds at most 16,256 < 32,767; there every accumulator is widened
// into int32 with vpmaddwd(·, 1) and reset (runtime-notes §7). 4 activation rows keep the int16 accumulators, the
// 4 codes and the temporaries inside the 16 ymm registers; 8 rows spilled the accumulators to the stack and measured
// slower (tests/kernels_t2/t2_gemm_bench.cc).
//
// Per weight row, the int32 accumulators are reduced with vphaddd into one vector of row sums per activation row;
// the four weight rows' vectors are transposed into per-activation-row [Σ row 0..3] and the epilogue (cvtdq2ps,
// α·d, vfmadd) reproduces T2Output bit for bit. Partial row groups use vmaskmov stores.
//
// With more than one row tile the driver decodes each row group's codes once per N block (tiling.h): then a chunk
// of 16 columns of rows 0..3 is 64 contiguous bytes, and one 32-byte load holds two rows' codes. The activation
// chunk, broadcast to both 128-bit lanes, meets rows (0, 1) and (2, 3) in two vpmaddubsw: no shift or AND in the
// loop, which on a 4-row tile repeated the decode for every 4 activation rows (M = 128: 32 times per weight). An
// int16 lane then gains at most 508 per chunk, so the accumulators widen every 32 chunks (32 · 508 = 16,256).
// Compiled with -mavx2 -mfma; called only after a CPUID check (configs/t2_gemm_config.cc).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/t2-i8-gemm/kernels.h"
#include "kernels/t2-i8-gemm/tiling.h"
#include "quant/t2_pack.h"

namespace qc {
namespace {

constexpr int kMaxTokens = 4;
constexpr int kRowsPerPass = 1;
constexpr size_t kWidenBlocks = 8;  // 8 × 128 = 1024 columns between int16 → int32 widenings
static_assert(kWidenBlocks * 4 * 508 <= 32767, "int16 accumulators must not wrap between widenings");
constexpr size_t kWidenChunks = 32;  // decoded path: 32 chunks of 16 columns = 512 columns
static_assert(kWidenChunks * 508 <= 32767, "int16 accumulators must not wrap between widenings (decoded path)");

// Lane j of the result = Σ of the 8 lanes of a[j] (a[j] for j >= n are zero).
template <int N>
inline __m256i RowSums(const __m256i (&a)[N]) {
  __m256i v[8];
  for (int j = 0; j < 8; ++j) v[j] = j < N ? a[j < N ? j : 0] : _mm256_setzero_si256();
  const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20), _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

template <int RP, int T>
struct Avx2TileImpl {
  static_assert(T >= 1 && T <= kMaxTokens && 4 % RP == 0, "tile shape");

  static constexpr bool kDecodedCodes = true;
  // AVX2-only cores include 256 KiB-L2 ones (Skylake client): half of that for the decoded N block.
  static constexpr size_t kDecodedBlockBytes = 128 * 1024;

  // The driver's decoded layout (tiling.h): chunk s (columns 16s..16s+15) of row r at ((8·b + s)·4 + r)·16. Row r's
  // packed byte j holds column 32·plane + j at bits 6 − 2·plane, so plane k's 32 codes are chunks 2k and 2k + 1.
  static void DecodeGroup(const uint8_t* w, size_t kb, uint8_t* codes) {
    const __m256i mask = _mm256_set1_epi8(3);
    for (size_t b = 0; b < kb; ++b, w += kT2BlockBytes, codes += kT2BlockK * kT2RowGroup) {
      for (size_t r = 0; r < kT2RowGroup; ++r) {
        const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * kT2RowBytes));
        for (int plane = 0; plane < 4; ++plane) {
          const __m256i c = _mm256_and_si256(_mm256_srl_epi16(p, _mm_cvtsi32_si128(6 - 2 * plane)), mask);
          _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + ((2 * plane) * 4 + r) * 16), _mm256_castsi256_si128(c));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + ((2 * plane + 1) * 4 + r) * 16),
                           _mm256_extracti128_si256(c, 1));
        }
      }
    }
  }

  static void Run(const T2GemmTile& t) {
    __m256i row_sums[kT2RowGroup];  // lane j: Σ c·q of that row for activation row j
    if (t.codes != nullptr) {
      if (!RunDecoded(t, row_sums)) return;  // a K slice before the last: sums carried in t.partial
    } else {
      for (int r0 = 0; r0 < static_cast<int>(kT2RowGroup); r0 += RP) Pass(t, r0, row_sums);
    }
    Store(t, row_sums);
  }

  // Returns false when the sums went to t.partial for the next K slice instead of row_sums.
  static bool RunDecoded(const T2GemmTile& t, __m256i* row_sums) {
    __m256i acc32[2][T];  // [row pair p][token]: low lane row 2p, high lane row 2p + 1 (4 int32 each)
    __m256i* partial = reinterpret_cast<__m256i*>(t.partial);
    for (int p = 0; p < 2; ++p) {
      for (int i = 0; i < T; ++i) {
        acc32[p][i] = t.slice_first ? _mm256_setzero_si256() : _mm256_loadu_si256(&partial[p * T + i]);
      }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    const size_t chunks = 8 * t.k_blocks, qs = t.q_stride;
    for (size_t s0 = 0; s0 < chunks; s0 += kWidenChunks) {
      const size_t s_end = s0 + kWidenChunks < chunks ? s0 + kWidenChunks : chunks;
      __m256i acc16[2][T];
      for (int p = 0; p < 2; ++p) {
        for (int i = 0; i < T; ++i) acc16[p][i] = _mm256_setzero_si256();
      }
      for (size_t s = s0; s < s_end; ++s) {
        const uint8_t* c = t.codes + s * 64;
        const __m256i w01 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
        const __m256i w23 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32));
        for (int i = 0; i < T; ++i) {
          const __m256i x =
              _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.q + i * qs + 16 * s)));
          acc16[0][i] = _mm256_add_epi16(acc16[0][i], _mm256_maddubs_epi16(w01, x));
          acc16[1][i] = _mm256_add_epi16(acc16[1][i], _mm256_maddubs_epi16(w23, x));
        }
      }
      for (int p = 0; p < 2; ++p) {
        for (int i = 0; i < T; ++i) acc32[p][i] = _mm256_add_epi32(acc32[p][i], _mm256_madd_epi16(acc16[p][i], ones));
      }
    }
    if (!t.slice_last) {
      for (int p = 0; p < 2; ++p) {
        for (int i = 0; i < T; ++i) _mm256_storeu_si256(&partial[p * T + i], acc32[p][i]);
      }
      return false;
    }
    for (int p = 0; p < 2; ++p) {
      __m256i v[4];
      for (int i = 0; i < 4; ++i) v[i] = i < T ? acc32[p][i < T ? i : 0] : _mm256_setzero_si256();
      // Per 128-bit lane: [Σ token 0, Σ token 1, Σ token 2, Σ token 3] of row 2p (low) and row 2p + 1 (high).
      const __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
      row_sums[2 * p] = _mm256_zextsi128_si256(_mm256_castsi256_si128(sums));
      row_sums[2 * p + 1] = _mm256_zextsi128_si256(_mm256_extracti128_si256(sums, 1));
    }
    return true;
  }

  static void Pass(const T2GemmTile& t, int r0, __m256i* row_sums) {
    __m256i acc16[RP][T], acc32[RP][T];
    for (int r = 0; r < RP; ++r) {
      for (int i = 0; i < T; ++i) acc16[r][i] = acc32[r][i] = _mm256_setzero_si256();
    }
    const __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    const size_t qs = t.q_stride;
    size_t b = 0;
    while (b < t.k_blocks) {
      const size_t b_end = b + kWidenBlocks < t.k_blocks ? b + kWidenBlocks : t.k_blocks;
      for (; b < b_end; ++b) {
        const int8_t* qb = t.q + b * kT2BlockK;
        for (int r = 0; r < RP; ++r) {
          const __m256i p =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.w + b * kT2BlockBytes + (r0 + r) * kT2RowBytes));
          const __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(p, 6), mask);  // columns 0..31
          const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(p, 4), mask);  // 32..63
          const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(p, 2), mask);  // 64..95
          const __m256i c3 = _mm256_and_si256(p, mask);                        // 96..127
          for (int i = 0; i < T; ++i) {
            const __m256i* x = reinterpret_cast<const __m256i*>(qb + i * qs);
            const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(c0, _mm256_loadu_si256(x)),
                                                 _mm256_maddubs_epi16(c1, _mm256_loadu_si256(x + 1)));
            const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(c2, _mm256_loadu_si256(x + 2)),
                                                 _mm256_maddubs_epi16(c3, _mm256_loadu_si256(x + 3)));
            acc16[r][i] = _mm256_add_epi16(acc16[r][i], _mm256_add_epi16(s01, s23));
          }
        }
      }
      for (int r = 0; r < RP; ++r) {
        for (int i = 0; i < T; ++i) {
          acc32[r][i] = _mm256_add_epi32(acc32[r][i], _mm256_madd_epi16(acc16[r][i], ones));
          acc16[r][i] = _mm256_setzero_si256();
        }
      }
    }
    for (int r = 0; r < RP; ++r) row_sums[r0 + r] = RowSums(acc32[r]);
  }

  static void Store(const T2GemmTile& t, const __m256i (&row_sums)[kT2RowGroup]) {
    // Transpose [row][token] to per-token [Σ row 0..3]: v[j] holds token j (low lane) and token j + 4 (high lane).
    const __m256i u01lo = _mm256_unpacklo_epi32(row_sums[0], row_sums[1]);
    const __m256i u01hi = _mm256_unpackhi_epi32(row_sums[0], row_sums[1]);
    const __m256i u23lo = _mm256_unpacklo_epi32(row_sums[2], row_sums[3]);
    const __m256i u23hi = _mm256_unpackhi_epi32(row_sums[2], row_sums[3]);
    const __m256i v[4] = {_mm256_unpacklo_epi64(u01lo, u23lo), _mm256_unpackhi_epi64(u01lo, u23lo),
                          _mm256_unpacklo_epi64(u01hi, u23hi), _mm256_unpackhi_epi64(u01hi, u23hi)};
    const bool full = t.row_lo == 0 && t.row_hi == 4;
    auto lane = [&t](int r) { return r >= t.row_lo && r < t.row_hi ? -1 : 0; };
    const __m128i rows = _mm_setr_epi32(lane(0), lane(1), lane(2), lane(3));
    const __m128 alpha = _mm_loadu_ps(t.alpha), bias = _mm_loadu_ps(t.bias);
    for (int j = 0; j < 4 && j < T; ++j) {
      const int j2 = j + 4 < T ? j + 4 : j;  // the high lane's token, if any
      const __m256i y =
          _mm256_sub_epi32(v[j], _mm256_setr_m128i(_mm_set1_epi32(t.q_sum[j]), _mm_set1_epi32(t.q_sum[j2])));
      if (t.y_int != nullptr) {
        StoreI(t.y_int + j * t.y_int_stride, _mm256_castsi256_si128(y), rows, full);
        if (j + 4 < T) StoreI(t.y_int + (j + 4) * t.y_int_stride, _mm256_extracti128_si256(y, 1), rows, full);
      }
      if (t.y != nullptr) {
        const __m256 d = _mm256_setr_m128(_mm_set1_ps(t.q_dequant[j]), _mm_set1_ps(t.q_dequant[j2]));
        // fma(float(Y), α·d, b): the same three roundings as T2Output.
        const __m256 out = _mm256_fmadd_ps(_mm256_cvtepi32_ps(y), _mm256_mul_ps(_mm256_setr_m128(alpha, alpha), d),
                                           _mm256_setr_m128(bias, bias));
        StoreF(t.y + j * t.y_stride, _mm256_castps256_ps128(out), rows, full);
        if (j + 4 < T) StoreF(t.y + (j + 4) * t.y_stride, _mm256_extractf128_ps(out, 1), rows, full);
      }
    }
  }

  static void StoreI(int32_t* dst, __m128i v, __m128i rows, bool full) {
    if (full) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
    } else {
      _mm_maskstore_epi32(dst, rows, v);
    }
  }
  static void StoreF(float* dst, __m128 v, __m128i rows, bool full) {
    if (full) {
      _mm_storeu_ps(dst, v);
    } else {
      _mm_maskstore_ps(dst, rows, v);
    }
  }
};

template <int T>
using Avx2Tile = Avx2TileImpl<kRowsPerPass, T>;

}  // namespace

void T2Gemm4x4Avx2(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunT2GemmTiles<Avx2Tile, kMaxTokens>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
