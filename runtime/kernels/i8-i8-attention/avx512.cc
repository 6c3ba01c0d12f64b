// AVX-512 VNNI int8 × int8 attention product: 8 A rows × 32 output columns (two zmm of 16 int32) per register tile.
//
// Layout: output columns in the lanes. The kernel first packs the requested B rows into 16-column panels, offset to
// unsigned: for column group g of 4 (k = 4g .. 4g+3) a panel holds 64 bytes, lane c = the 4 bytes b[j0+c][4g..4g+3]
// xor 0x80 (= b + 128, 1..255; missing columns hold 0x80). vpdpbusd then multiplies these unsigned bytes with the
// signed A bytes broadcast to every lane (4 codes of one A row, one vpbroadcastd) and adds the 4 products into each
// int32 lane: Σ (b+128)·a = Σ a·b + 128·Σ_k a. The surplus 128·Σ_k a[i,k] (row sums over the zero-padded row,
// computed once per call) is subtracted at the end, so the result is the exact signed product; no intermediate
// leaves int32 for k <= 65536 (|Σ (b+128)·a| <= 255·127·k). Per 4 columns of k: 2 panel loads, 8 broadcasts,
// 16 vpdpbusd; 16 accumulators + 2 panels + 1 broadcast use 19 of the 32 zmm. Column tails are masked stores
// (vmovdqu32 with a mask, which suppresses faults on masked-out lanes); A rows past the range are not loaded (the
// tile is instantiated per row count). Compiled with the AVX-512 flags (incl. VNNI); called only after a CPUID check.

#include "kernels/avx512_common.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/i8-i8-attention/kernels.h"

namespace qc {
namespace {

constexpr int kRows = 8;
constexpr int kPanelCols = 16;
constexpr int kPanels = 2;  // panels per tile: 32 columns

struct Tile {
  const int8_t* a;  // first A row of the tile
  size_t a_stride;
  const uint8_t* panel;  // first panel of the tile; kp / 4 · 64 bytes per panel
  size_t groups;         // kp / 4
  const int32_t* a_sum;  // Σ_k a[i, k] of the tile's rows
  int32_t* c;            // output of (first row, first column)
  size_t c_stride;
  int cols;  // valid columns of the tile, 1 .. 32
};

inline int32_t Load4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

template <int MR, int NP>
void RunTile(const Tile& t) {
  __m512i acc[MR][NP];
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_si512();
  }
  const size_t panel_bytes = t.groups * 64;
  for (size_t g = 0; g < t.groups; ++g) {
    __m512i b[NP];
    for (int p = 0; p < NP; ++p) b[p] = _mm512_load_si512(t.panel + p * panel_bytes + g * 64);
    for (int r = 0; r < MR; ++r) {
      const __m512i a = _mm512_set1_epi32(Load4(t.a + r * t.a_stride + 4 * g));
      for (int p = 0; p < NP; ++p) acc[r][p] = Dpbusd(acc[r][p], b[p], a);
    }
  }
  for (int r = 0; r < MR; ++r) {
    const __m512i surplus = _mm512_set1_epi32(128 * t.a_sum[r]);
    for (int p = 0; p < NP; ++p) {
      const __m512i v = _mm512_sub_epi32(acc[r][p], surplus);
      int32_t* dst = t.c + r * t.c_stride + p * kPanelCols;
      const int valid = t.cols - p * kPanelCols;
      if (valid >= kPanelCols) {
        _mm512_storeu_si512(dst, v);
      } else {
        _mm512_mask_storeu_epi32(dst, static_cast<__mmask16>((1u << valid) - 1u), v);
      }
    }
  }
}

using TileFn = void (*)(const Tile&);

template <int NP>
TileFn TileFor(int rows) {
  switch (rows) {
    case 1:
      return &RunTile<1, NP>;
    case 2:
      return &RunTile<2, NP>;
    case 3:
      return &RunTile<3, NP>;
    case 4:
      return &RunTile<4, NP>;
    case 5:
      return &RunTile<5, NP>;
    case 6:
      return &RunTile<6, NP>;
    case 7:
      return &RunTile<7, NP>;
    default:
      return &RunTile<8, NP>;
  }
}

// Packs B rows [n_begin, n_end) into 16-column offset panels (layout above) at `out` (64-byte aligned).
void PackPanels(const I8AttnGemmArgs& g, size_t n_begin, size_t n_end, size_t kp, uint8_t* out) {
  const size_t groups = kp / 4;
  const size_t panels = (n_end - n_begin + kPanelCols - 1) / kPanelCols;
  for (size_t p = 0; p < panels; ++p) {
    uint8_t* panel = out + p * groups * 64;
    for (size_t c = 0; c < static_cast<size_t>(kPanelCols); ++c) {
      const size_t j = n_begin + p * kPanelCols + c;
      if (j >= n_end) {
        for (size_t gi = 0; gi < groups; ++gi) std::memset(panel + gi * 64 + c * 4, 0x80, 4);
        continue;
      }
      const int8_t* row = g.b + j * g.b_stride;
      for (size_t gi = 0; gi < groups; ++gi) {
        uint32_t w;
        std::memcpy(&w, row + 4 * gi, 4);
        w ^= 0x80808080u;
        std::memcpy(panel + gi * 64 + c * 4, &w, 4);
      }
    }
  }
}

}  // namespace

void I8AttnGemm8x32Avx512Vnni(const I8AttnGemmArgs& g, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const size_t kp = I8AttnPaddedK(g.k);
  const size_t panels = (n_end - n_begin + kPanelCols - 1) / kPanelCols;
  // Per thread, grown on demand and reused across calls; 64 spare bytes to align the start to a cache line.
  thread_local std::vector<uint8_t> storage;
  const size_t bytes = panels * kp / 4 * 64 + 64;
  if (storage.size() < bytes) storage.resize(bytes);
  const uintptr_t raw = reinterpret_cast<uintptr_t>(storage.data());
  uint8_t* packed = storage.data() + ((64 - raw % 64) % 64);
  PackPanels(g, n_begin, n_end, kp, packed);
  // Row sums of A over the padded row (the padding is zero), once per call.
  thread_local std::vector<int32_t> a_sum;
  if (a_sum.size() < m_end - m_begin) a_sum.resize(m_end - m_begin);
  for (size_t i = m_begin; i < m_end; ++i) {
    const int8_t* row = g.a + i * g.a_stride;
    int32_t sum = 0;
    for (size_t k = 0; k < kp; ++k) sum += row[k];
    a_sum[i - m_begin] = sum;
  }

  Tile t;
  t.a_stride = g.a_stride;
  t.groups = kp / 4;
  t.c_stride = g.c_stride;
  for (size_t p0 = 0; p0 < panels; p0 += kPanels) {
    const size_t j0 = n_begin + p0 * kPanelCols;
    const int np = panels - p0 >= static_cast<size_t>(kPanels) ? kPanels : 1;
    const size_t cols = n_end - j0 < static_cast<size_t>(np * kPanelCols) ? n_end - j0 : np * kPanelCols;
    t.panel = packed + p0 * t.groups * 64;
    t.cols = static_cast<int>(cols);
    for (size_t i0 = m_begin; i0 < m_end; i0 += kRows) {
      const int rows = static_cast<int>(m_end - i0 < static_cast<size_t>(kRows) ? m_end - i0 : kRows);
      t.a = g.a + i0 * g.a_stride;
      t.a_sum = a_sum.data() + (i0 - m_begin);
      t.c = g.c + i0 * g.c_stride + j0;
      (np == 2 ? TileFor<2>(rows) : TileFor<1>(rows))(t);
    }
  }
}

}  // namespace qc
