// AMX-INT8 ternary × int8 GEMM: TDPBUSD on 16×64-byte tiles, 2×2 register blocking of int32 C tiles.
//
// TDPBUSD multiplies unsigned bytes (first source) by signed bytes (second source), so the roles are:
//   A (u8)  = unpacked weight codes c = w + 1 ∈ {0, 1, 2}: 16 output channels × 64 k, from a panel of 32 channels ×
//             T2PaddedK(k) bytes unpacked once per 32 channels and reused by every activation tile (L1/L2 resident);
//   B (s8)  = activations in VNNI layout [K/4][16 rows][4], repacked once per call (one masked dword gather per
//             64 output bytes);
//   C (s32) = [16 channels][16 activation rows], exact (no saturation; K <= kT2MaxK keeps Σ c·q in int32).
// Padded K columns have code 1 and activation 0, so whole 64-column steps over T2PaddedK(k) add exactly what the
// oracle's K real columns add. Channel and row edges are computed on zero/padding operands and never stored.
// The epilogue transposes each C tile in registers (one activation row's 16 channel sums per zmm), subtracts Σq
// and applies fma(float(Y), α·d, b) on 16 lanes: the same roundings as T2Output (α·d == d·α exactly).
// Tiles: tmm0-3 = C, tmm4-5 = A, tmm6-7 = B. The tile configuration is loaded on entry and released on exit.
// Called only when CpuFeatures::amx_int8 is set (CPUID + XCR0 + the Linux XTILEDATA permission were granted).

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/t2-i8-gemm/kernels.h"
#include "quant/t2_pack.h"

namespace qc {
namespace {

constexpr size_t kTile = 16;         // rows of every tile; also int32 columns of a C tile
constexpr size_t kStepK = 64;        // k per TDPBUSD (bytes per A row)
constexpr size_t kPanelRows = 32;    // weight channels unpacked at once: two A tiles

struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "LDTILECFG reads 64 bytes");

void ConfigureTiles() {
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof(cfg));
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
}

// Grows a per-thread buffer and returns a 64-byte aligned pointer into it.
template <typename T>
T* Aligned(std::vector<uint8_t>& storage, size_t bytes) {
  if (storage.size() < bytes + 64) storage.resize(bytes + 64);
  const uintptr_t raw = reinterpret_cast<uintptr_t>(storage.data());
  return reinterpret_cast<T*>(storage.data() + (64 - raw % 64) % 64);
}

// Rows [m_begin, m_end) of q → m tiles of [kp/4][16][4] bytes; rows past m_end are zero.
void PackActivations(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t kp, int8_t* dst) {
  const size_t m_tiles = (m_end - m_begin + kTile - 1) / kTile;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(a.q_stride)));
  for (size_t mt = 0; mt < m_tiles; ++mt) {
    const size_t i0 = m_begin + mt * kTile;
    const size_t rows = std::min(kTile, m_end - i0);
    const __mmask16 valid = static_cast<__mmask16>((1u << rows) - 1u);
    const int8_t* src = a.q + i0 * a.q_stride;
    int8_t* out = dst + mt * kTile * kp;
    for (size_t kq = 0; kq < kp / 4; ++kq) {
      const __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, idx, src + 4 * kq, 1);
      _mm512_store_si512(out + kq * 64, v);
    }
  }
}

// Channels [p, p + 32) → 32 rows of kp codes; channels past the packed row groups are zero.
void UnpackWeights(const T2GemmArgs& a, size_t kb, size_t p, uint8_t* dst) {
  const size_t kp = kb * kT2BlockK;
  const size_t groups = T2RowGroups(a.n);
  const __m256i mask = _mm256_set1_epi8(3);
  for (size_t r = 0; r < kPanelRows; ++r) {
    const size_t j = p + r;
    uint8_t* row = dst + r * kp;
    if (j / kT2RowGroup >= groups) {
      std::memset(row, 0, kp);
      continue;
    }
    const uint8_t* src = a.w + (j / kT2RowGroup) * kb * kT2BlockBytes + (j % kT2RowGroup) * kT2RowBytes;
    for (size_t b = 0; b < kb; ++b, src += kT2BlockBytes, row += kT2BlockK) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
      _mm256_store_si256(reinterpret_cast<__m256i*>(row), _mm256_and_si256(_mm256_srli_epi16(v, 6), mask));
      _mm256_store_si256(reinterpret_cast<__m256i*>(row + 32), _mm256_and_si256(_mm256_srli_epi16(v, 4), mask));
      _mm256_store_si256(reinterpret_cast<__m256i*>(row + 64), _mm256_and_si256(_mm256_srli_epi16(v, 2), mask));
      _mm256_store_si256(reinterpret_cast<__m256i*>(row + 96), _mm256_and_si256(v, mask));
    }
  }
}

// C tiles for A rows a0 / a1 (channels) × B tiles b0 (/ b1) (activation rows), stored to c[0..3] = (a0,b0),
// (a0,b1), (a1,b0), (a1,b1).
template <bool kTwoB>
void DotTiles(const uint8_t* a0, const int8_t* b0, size_t kp, int32_t (*c)[kTile * kTile]) {
  const uint8_t* a1 = a0 + kTile * kp;
  const int8_t* b1 = b0 + kTile * kp;
  _tile_zero(0);
  _tile_zero(2);
  if (kTwoB) {
    _tile_zero(1);
    _tile_zero(3);
  }
  for (size_t k = 0; k < kp; k += kStepK) {
    _tile_loadd(4, a0 + k, kp);
    _tile_loadd(6, b0 + k * 16, 64);
    _tile_loadd(5, a1 + k, kp);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(2, 5, 6);
    if (kTwoB) {
      _tile_loadd(7, b1 + k * 16, 64);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(3, 5, 7);
    }
  }
  _tile_stored(0, c[0], 64);
  _tile_stored(2, c[2], 64);
  if (kTwoB) {
    _tile_stored(1, c[1], 64);
    _tile_stored(3, c[3], 64);
  }
}

// out[m] = column m of the 16×16 int32 tile c (row n at c + 16·n): 32-bit and 64-bit unpacks inside 128-bit lanes,
// then two 128-bit lane shuffles. After the unpacks, b[4G + j] lane L holds rows 4G..4G+3 at column 4L + j.
inline void Transpose16(const int32_t* c, __m512i (&out)[kTile]) {
  __m512i a[kTile], b[kTile];
  for (int g = 0; g < 8; ++g) {
    const __m512i r0 = _mm512_load_si512(c + 32 * g), r1 = _mm512_load_si512(c + 32 * g + 16);
    a[2 * g] = _mm512_unpacklo_epi32(r0, r1);
    a[2 * g + 1] = _mm512_unpackhi_epi32(r0, r1);
  }
  for (int g = 0; g < 4; ++g) {
    b[4 * g + 0] = _mm512_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 1] = _mm512_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
    b[4 * g + 2] = _mm512_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
    b[4 * g + 3] = _mm512_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512i c_lo = _mm512_shuffle_i32x4(b[j], b[4 + j], 0x44), c_hi = _mm512_shuffle_i32x4(b[j], b[4 + j], 0xEE);
    const __m512i d_lo = _mm512_shuffle_i32x4(b[8 + j], b[12 + j], 0x44);
    const __m512i d_hi = _mm512_shuffle_i32x4(b[8 + j], b[12 + j], 0xEE);
    out[j] = _mm512_shuffle_i32x4(c_lo, d_lo, 0x88);
    out[4 + j] = _mm512_shuffle_i32x4(c_lo, d_lo, 0xDD);
    out[8 + j] = _mm512_shuffle_i32x4(c_hi, d_hi, 0x88);
    out[12 + j] = _mm512_shuffle_i32x4(c_hi, d_hi, 0xDD);
  }
}

// Stores C tile `c` ([channel n0 + t][row i0 + mm]) for rows [i0, i_end) and channels [n_lo, n_hi).
void Epilogue(const T2GemmArgs& a, const int32_t* c, size_t n0, size_t n_lo, size_t n_hi, size_t i0, size_t i_end) {
  const size_t lo = std::max(n_lo, n0), hi = std::min(n_hi, n0 + kTile);
  if (lo >= hi || i0 >= i_end) return;
  const __mmask16 cols = static_cast<__mmask16>(((1u << (hi - n0)) - 1u) & ~((1u << (lo - n0)) - 1u));
  __m512 alpha = _mm512_setzero_ps(), bias = _mm512_setzero_ps();
  if (a.y != nullptr) {
    alpha = a.alpha_per_row ? _mm512_maskz_loadu_ps(cols, a.alpha + n0) : _mm512_set1_ps(a.alpha[0]);
    if (a.bias != nullptr) bias = _mm512_maskz_loadu_ps(cols, a.bias + n0);
  }
  const size_t rows = std::min(kTile, i_end - i0);
  __m512i columns[kTile];
  Transpose16(c, columns);
  for (size_t mm = 0; mm < rows; ++mm) {
    const size_t i = i0 + mm;
    const __m512i sums = columns[mm];
    const __m512i y = _mm512_sub_epi32(sums, _mm512_set1_epi32(a.q_sum[i]));
    if (a.y_int != nullptr) _mm512_mask_storeu_epi32(a.y_int + i * a.y_int_stride + n0, cols, y);
    if (a.y != nullptr) {
      const __m512 d = _mm512_set1_ps(a.q_dequant[i]);
      const __m512 out = _mm512_fmadd_ps(_mm512_cvtepi32_ps(y), _mm512_mul_ps(alpha, d), bias);
      _mm512_mask_storeu_ps(a.y + i * a.y_stride + n0, cols, out);
    }
  }
}

}  // namespace

void T2GemmAmx(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const size_t kb = T2KBlocks(a.k);
  const size_t kp = kb * kT2BlockK;
  const size_t m_tiles = (m_end - m_begin + kTile - 1) / kTile;
  thread_local std::vector<uint8_t> act_storage, weight_storage;
  int8_t* act = Aligned<int8_t>(act_storage, m_tiles * kTile * kp);
  uint8_t* weights = Aligned<uint8_t>(weight_storage, kPanelRows * kp);
  alignas(64) int32_t c[4][kTile * kTile];

  PackActivations(a, m_begin, m_end, kp, act);
  ConfigureTiles();
  for (size_t p = n_begin / kT2RowGroup * kT2RowGroup; p < n_end; p += kPanelRows) {
    UnpackWeights(a, kb, p, weights);
    for (size_t mt = 0; mt < m_tiles; mt += 2) {
      const size_t i0 = m_begin + mt * kTile;
      const bool two = mt + 1 < m_tiles;
      if (two) {
        DotTiles<true>(weights, act + mt * kTile * kp, kp, c);
      } else {
        DotTiles<false>(weights, act + mt * kTile * kp, kp, c);
      }
      Epilogue(a, c[0], p, n_begin, n_end, i0, m_end);
      Epilogue(a, c[2], p + kTile, n_begin, n_end, i0, m_end);
      if (two) {
        Epilogue(a, c[1], p, n_begin, n_end, i0 + kTile, m_end);
        Epilogue(a, c[3], p + kTile, n_begin, n_end, i0 + kTile, m_end);
      }
    }
  }
  _tile_release();
}

}  // namespace qc
