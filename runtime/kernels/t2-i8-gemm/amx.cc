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

#include "kernels/avx512_common.h"

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
constexpr size_t kChunkRows = 128;   // activation rows packed at once: eight B tiles

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

// out[m] = column m of the 16×16 int32 matrix whose row n is in[n]: 32-bit and 64-bit unpacks inside 128-bit
// lanes, then two 128-bit lane shuffles. After the unpacks, b[4G + j] lane L holds rows 4G..4G+3 at column 4L + j.
inline void TransposeRegs(const __m512i (&in)[kTile], __m512i (&out)[kTile]) {
  __m512i a[kTile], b[kTile];
  for (int g = 0; g < 8; ++g) {
    a[2 * g] = _mm512_unpacklo_epi32(in[2 * g], in[2 * g + 1]);
    a[2 * g + 1] = _mm512_unpackhi_epi32(in[2 * g], in[2 * g + 1]);
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

// Rows [m_begin, m_end) of q → m tiles of [kp/4][16][4] bytes; rows past m_end are zero. The VNNI layout is the
// transpose of 16 rows × kp/4 dwords: 16 row loads of 64 bytes, one register transpose, 16 stores per 64 columns
// (no gathers, which microcode mitigations made slow on recent Intel parts).
void PackActivations(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t kp, int8_t* dst) {
  const size_t m_tiles = (m_end - m_begin + kTile - 1) / kTile;
  for (size_t mt = 0; mt < m_tiles; ++mt) {
    const size_t i0 = m_begin + mt * kTile;
    const size_t rows = std::min(kTile, m_end - i0);
    const int8_t* src = a.q + i0 * a.q_stride;
    int8_t* out = dst + mt * kTile * kp;
    __m512i in[kTile], cols[kTile];
    for (size_t r = rows; r < kTile; ++r) in[r] = _mm512_setzero_si512();
    for (size_t k = 0; k < kp; k += kStepK) {
      for (size_t r = 0; r < rows; ++r) in[r] = _mm512_loadu_si512(src + r * a.q_stride + k);
      TransposeRegs(in, cols);
      for (size_t j = 0; j < kTile; ++j) _mm512_store_si512(out + (k / 4 + j) * 64, cols[j]);
    }
  }
}

// Block b (k in [128·b, 128·b + 128)) of channels [p, p + 32) → 32 rows of 128 codes at dst + r·dst_stride;
// channels past the packed row groups get code 0 (their sums are computed but never stored). A packed row's 32 bytes
// hold k = i, 32 + i, 64 + i, 96 + i at bits 7-6, 5-4, 3-2, 1-0 of byte i: broadcast to both halves of a zmm, a
// per-half 16-bit shift (6 | 4, then 2 | 0) and a mask give codes 0-63 and 64-127, two 64-byte stores per row.
void UnpackBlock(const T2GemmArgs& a, size_t kb, size_t p, size_t b, uint8_t* dst, size_t dst_stride) {
  const size_t groups = T2RowGroups(a.n);
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i shift_lo = _mm512_inserti64x4(_mm512_set1_epi16(6), _mm256_set1_epi16(4), 1);
  const __m512i shift_hi = _mm512_inserti64x4(_mm512_set1_epi16(2), _mm256_set1_epi16(0), 1);
  for (size_t r = 0; r < kPanelRows; ++r) {
    const size_t j = p + r;
    uint8_t* row = dst + r * dst_stride;
    if (j / kT2RowGroup >= groups) {
      _mm512_storeu_si512(row, _mm512_setzero_si512());
      _mm512_storeu_si512(row + 64, _mm512_setzero_si512());
      continue;
    }
    const uint8_t* src = a.w + ((j / kT2RowGroup) * kb + b) * kT2BlockBytes + (j % kT2RowGroup) * kT2RowBytes;
    const __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)));
    _mm512_storeu_si512(row, _mm512_and_si512(_mm512_srlv_epi16(v, shift_lo), mask));
    _mm512_storeu_si512(row + 64, _mm512_and_si512(_mm512_srlv_epi16(v, shift_hi), mask));
  }
}

// Channels [p, p + 32) → 32 rows of kp codes (the whole panel, reused by every activation tile pair).
void UnpackWeights(const T2GemmArgs& a, size_t kb, size_t p, uint8_t* dst) {
  const size_t kp = kb * kT2BlockK;
  for (size_t b = 0; b < kb; ++b) UnpackBlock(a, kb, p, b, dst + b * kT2BlockK, kp);
}

// tmm0-3 (the C tiles in use) = 0.
template <bool kTwoB>
inline void ZeroTiles() {
  _tile_zero(0);
  _tile_zero(2);
  if (kTwoB) {
    _tile_zero(1);
    _tile_zero(3);
  }
}

// One 64-column step: A tiles (weight codes, rows a0 / a1 with stride a_stride) × B tiles b0 (/ b1) into C.
template <bool kTwoB>
inline void TileStep(const uint8_t* a0, const uint8_t* a1, size_t a_stride, const int8_t* b0, const int8_t* b1) {
  _tile_loadd(4, a0, a_stride);
  _tile_loadd(6, b0, 64);
  _tile_loadd(5, a1, a_stride);
  _tile_dpbusd(0, 4, 6);
  _tile_dpbusd(2, 5, 6);
  if (kTwoB) {
    _tile_loadd(7, b1, 64);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(3, 5, 7);
  }
}

// C tiles → c[0..3] = (a0,b0), (a0,b1), (a1,b0), (a1,b1).
template <bool kTwoB>
inline void StoreCTiles(int32_t (*c)[kTile * kTile]) {
  _tile_stored(0, c[0], 64);
  _tile_stored(2, c[2], 64);
  if (kTwoB) {
    _tile_stored(1, c[1], 64);
    _tile_stored(3, c[3], 64);
  }
}

// One or two activation tiles (M <= 32): each weight code is used by one tile pair only, so the panel is unpacked
// one block at a time into a 4 KiB buffer that stays in L1 and is consumed at once (two buffers alternate: block
// b + 1 is unpacked while the tile unit works on block b). Same tiles and sums as DotTiles.
template <bool kTwoB>
void DotTilesStreaming(const T2GemmArgs& a, size_t kb, size_t p, const int8_t* b0, uint8_t* buffers,
                       int32_t (*c)[kTile * kTile]) {
  const size_t kp = kb * kT2BlockK;
  const int8_t* b1 = b0 + kTile * kp;
  ZeroTiles<kTwoB>();
  // The next panel's packed bytes follow this panel's in memory (kPanelRows / 4 row groups of kb blocks): fetch a
  // 1/kb share of them per block, so they arrive from DRAM while this panel's tile products run (with few tokens
  // the kernel is bound by streaming the weights, and each panel is too short a stream for the hardware prefetcher).
  const size_t panel_bytes = kPanelRows / kT2RowGroup * kb * kT2BlockBytes;
  const uint8_t* next = a.w + (p + kPanelRows) / kT2RowGroup * kb * kT2BlockBytes;
  const uint8_t* end = a.w + T2RowGroups(a.n) * kb * kT2BlockBytes;
  auto unpack = [&](size_t b) {
    for (size_t off = b * panel_bytes / kb; off < (b + 1) * panel_bytes / kb; off += 64) {
      if (next + off < end) _mm_prefetch(reinterpret_cast<const char*>(next + off), _MM_HINT_T0);
    }
    UnpackBlock(a, kb, p, b, buffers + (b & 1) * kPanelRows * kT2BlockK, kT2BlockK);
  };
  // Software-pipelined: block b + 1 is unpacked before block b's tiles are loaded, so the tile loads never wait
  // for stores still in flight (tileloadd does not forward from the store buffer).
  if (kb > 0) unpack(0);  // K = 0: no blocks, the sums stay 0
  for (size_t b = 0; b < kb; ++b) {
    if (b + 1 < kb) unpack(b + 1);
    const uint8_t* buf = buffers + (b & 1) * kPanelRows * kT2BlockK;
    for (size_t kk = 0; kk < kT2BlockK; kk += kStepK) {
      const size_t k = b * kT2BlockK + kk;
      TileStep<kTwoB>(buf + kk, buf + kTile * kT2BlockK + kk, kT2BlockK, b0 + k * 16, b1 + k * 16);
    }
  }
  StoreCTiles<kTwoB>(c);
}

// C tiles for A rows a0 / a1 (channels) × B tiles b0 (/ b1) (activation rows), stored to c[0..3] = (a0,b0),
// (a0,b1), (a1,b0), (a1,b1).
template <bool kTwoB>
void DotTiles(const uint8_t* a0, const int8_t* b0, size_t kp, int32_t (*c)[kTile * kTile]) {
  const uint8_t* a1 = a0 + kTile * kp;
  const int8_t* b1 = b0 + kTile * kp;
  ZeroTiles<kTwoB>();
  for (size_t k = 0; k < kp; k += kStepK) {
    TileStep<kTwoB>(a0 + k, a1 + k, kp, b0 + k * 16, b1 + k * 16);
  }
  StoreCTiles<kTwoB>(c);
}

// out[m] = column m of the 16×16 int32 tile c (row n at c + 16·n).
inline void Transpose16(const int32_t* c, __m512i (&out)[kTile]) {
  __m512i rows[kTile];
  for (size_t n = 0; n < kTile; ++n) rows[n] = _mm512_load_si512(c + 16 * n);
  TransposeRegs(rows, out);
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

// The C tiles of DotTiles / DotTilesStreaming for channels [p, p + 32) and activation rows from i0 (one or two
// activation tiles) through the epilogue.
void StoreTiles(const T2GemmArgs& a, const int32_t (*c)[kTile * kTile], bool two, size_t p, size_t n_begin,
                size_t n_end, size_t i0, size_t m_end) {
  Epilogue(a, c[0], p, n_begin, n_end, i0, m_end);
  Epilogue(a, c[2], p + kTile, n_begin, n_end, i0, m_end);
  if (two) {
    Epilogue(a, c[1], p, n_begin, n_end, i0 + kTile, m_end);
    Epilogue(a, c[3], p + kTile, n_begin, n_end, i0 + kTile, m_end);
  }
}

// Rows [m_begin, m_end) × channels [n_begin, n_end) with the activations of those rows packed once.
void RunRows(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end, int8_t* act,
             uint8_t* weights) {
  const size_t kb = T2KBlocks(a.k);
  const size_t kp = kb * kT2BlockK;
  const size_t m_tiles = (m_end - m_begin + kTile - 1) / kTile;
  alignas(64) int32_t c[4][kTile * kTile];
  PackActivations(a, m_begin, m_end, kp, act);
  const bool streaming = m_tiles <= 2;
  for (size_t p = n_begin / kT2RowGroup * kT2RowGroup; p < n_end; p += kPanelRows) {
    if (streaming) {
      const bool two = m_tiles == 2;
      if (two) {
        DotTilesStreaming<true>(a, kb, p, act, weights, c);
      } else {
        DotTilesStreaming<false>(a, kb, p, act, weights, c);
      }
      StoreTiles(a, c, two, p, n_begin, n_end, m_begin, m_end);
      continue;
    }
    UnpackWeights(a, kb, p, weights);
    for (size_t mt = 0; mt < m_tiles; mt += 2) {
      const size_t i0 = m_begin + mt * kTile;
      const bool two = mt + 1 < m_tiles;
      if (two) {
        DotTiles<true>(weights, act + mt * kTile * kp, kp, c);
      } else {
        DotTiles<false>(weights, act + mt * kTile * kp, kp, c);
      }
      StoreTiles(a, c, two, p, n_begin, n_end, i0, m_end);
    }
  }
}

}  // namespace

void T2GemmAmx(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const size_t kp = T2KBlocks(a.k) * kT2BlockK;
  // At most kChunkRows activation rows are packed at a time: the packed copy stays small (memory grows with the
  // batch otherwise) and each unpacked weight panel is still shared by four tile pairs.
  const size_t rows = std::min(m_end - m_begin, kChunkRows);
  const size_t tiles = (rows + kTile - 1) / kTile;
  thread_local std::vector<uint8_t> act_storage, weight_storage;
  int8_t* act = Aligned<int8_t>(act_storage, tiles * kTile * kp);
  uint8_t* weights = Aligned<uint8_t>(weight_storage, tiles <= 2 ? 2 * kPanelRows * kT2BlockK : kPanelRows * kp);
  ConfigureTiles();
  for (size_t m0 = m_begin; m0 < m_end; m0 += kChunkRows) {
    RunRows(a, m0, std::min(m_end, m0 + kChunkRows), n_begin, n_end, act, weights);
  }
  _tile_release();
}

}  // namespace qc
