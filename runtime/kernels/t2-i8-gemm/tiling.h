// kernels/t2-i8-gemm/tiling.h: the blocking loop shared by the register-tiled ternary GEMM kernels.
//
// Overview
//   A kernel file supplies only its register tile, `template <int T> struct Tile { static void Run(const
//   T2GemmTile&); }`, computing one packed row group (4 output channels) for T activation rows over the whole K and
//   storing its outputs (1 <= T <= kT). RunT2GemmTiles walks the requested rectangle:
//
//     for each N block of row groups      (sized so its packed weights, ~kT2GemmL2BlockBytes, stay in L2;
//                                          decoded codes: kT2GemmDecodedBlockBytes)
//       for each tile of kT activation rows    (kT rows × T2PaddedK(k) bytes: reused from L1/L2 by every group)
//         for each row group of the block      -> Tile<T>::Run: unpack each 128-column block once, use it T times
//
//   A tile that declares `static constexpr bool kPanel = true` instead reads the tile's activation rows from a
//   panel the driver packs once per (N block, row tile): for block b, 16-column chunk s (0..7) and row i, the 16
//   bytes q[i][128·b + 16·s ..] sit at panel + ((8·b + s)·Tp + i)·16, Tp = T rounded up to 4 (rows T..Tp-1 are
//   zero). One base pointer with immediate offsets replaces T row pointers, and the loads stream sequentially.
//
//   A tile that also declares `static constexpr bool kDecodedCodes = true` and `static void DecodeGroup(const
//   uint8_t* w, size_t kb, uint8_t* codes)` gets, when the rectangle has more than one row tile, its weights decoded
//   once per N block instead of once per (row tile, group): the codes w+1 (one byte each) of a row group sit at
//   codes + ((8·b + s)·4 + r)·16 for block b, 16-column chunk s and group row r (T2DecodedGroupBytes per group), and
//   the driver passes them in T2GemmTile::codes (null when the tile must decode the packed bytes itself). Decoding in
//   the inner loop costs a shift and an AND per 16 codes on the same vector ports as the multiply-accumulates; with
//   8 row tiles (M = 128) it is paid 8 times per weight. On this path K is also cut into slices of
//   kT2GemmKSliceBlocks blocks, so a 16-row panel slice (16 KiB) stays in L1 while every group of the N block reads
//   it (a whole 16 × 3072 panel is 48 KiB and streamed from L2 once per group); the tile then keeps its running sums
//   in T2GemmTile::partial between slices (slice_first / slice_last) and stores outputs after the last. A tile
//   without a panel gets T2GemmTile::q at the slice's first column. The N block holds kT2GemmDecodedBlockBytes of
//   codes, or Tile::kDecodedBlockBytes when the tile declares it (AVX2 does, for 256 KiB L2s).
//
//   The integer sums are exact and the epilogue is elementwise, so which tile computes an element never changes it.
//   T2StoreScalar is the reference store (T2Output per element), used by the scalar tile.
//
// ODR note: included by files compiled with different ISA flags. Everything here is a template instantiated with
// the including file's own anonymous-namespace Tile, or `static inline`, so each file keeps a private copy.
//
// Usage (in a kernel file)
//   namespace { template <int T> struct Tile { static void Run(const qc::T2GemmTile& t) { ... } }; }
//   void T2Gemm4x4Avx2(const T2GemmArgs& a, size_t m0, size_t m1, size_t n0, size_t n1) {
//     RunT2GemmTiles<Tile, 4>(a, m0, m1, n0, n1);
//   }
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/t2-i8-gemm/kernels.h"
#include "quant/t2_pack.h"

namespace qc {

/// One register tile: one packed row group × T activation rows. Pointers are at the tile's first activation row.
struct T2GemmTile {
  const uint8_t* w;  ///< the row group's first T2Block; k_blocks blocks follow
  size_t k_blocks;   ///< blocks of this K slice (all of K except on the decoded path)
  const int8_t* q;   ///< first activation row, T2PaddedK(k) bytes per row, rows q_stride apart
  size_t q_stride;
  const int8_t* panel;           ///< the packed activation panel (kPanel tiles only; 64-byte aligned), else null
  const uint8_t* codes;          ///< the group's decoded codes from this K slice on (kDecodedCodes path), else null
  int32_t* partial;              ///< decoded path: the group's running sums between K slices (64-byte aligned)
  bool slice_first, slice_last;  ///< the K slice is the first / last (both on the packed path)
  const int32_t* q_sum;          ///< Σq of the tile's rows
  const float* q_dequant;        ///< d of the tile's rows (null when y is null)
  float alpha[kT2RowGroup];      ///< α of the group's rows (0 for rows past n)
  float bias[kT2RowGroup];       ///< bias of the group's rows (+0.0f when none)
  int row_lo, row_hi;            ///< group rows to store: [row_lo, row_hi) ⊆ [0, 4)
  float* y;                      ///< output of (first row, group row 0), or null
  size_t y_stride;
  int32_t* y_int;  ///< likewise for the int32 output, or null
  size_t y_int_stride;
};

/// Packed weight bytes per N block: below every supported core's L2 (512 KiB to 2 MiB) with room for the
/// activation tile and the outputs.
inline constexpr size_t kT2GemmL2BlockBytes = 256 * 1024;

/// Decoded codes per N block (the decoded path). Every activation panel is repacked once per N block, and decoded
/// codes take 4× the packed bytes, so the packed path's budget would repack FFN down's (K = 3072) panels 10 times;
/// 512 KiB halves that (t2_gemm_bench: FFN down M = 128 from 59% to 64% of the vpdpbusd peak) and still leaves half
/// the L2 of every AVX-512 VNNI core (1 MiB or more) to the panel and outputs.
inline constexpr size_t kT2GemmDecodedBlockBytes = 512 * 1024;

/// K blocks per slice on the decoded path: a 16-row panel slice of 16 KiB.
inline constexpr size_t kT2GemmKSliceBlocks = 8;

/// int32 running sums a tile keeps per group between K slices (16 zmm).
inline constexpr size_t kT2PartialInts = 256;

/// Bytes of one row group's decoded codes: kb blocks × 8 chunks × 4 rows × 16 codes.
constexpr size_t T2DecodedGroupBytes(size_t kb) {
  return kb * kT2BlockK * kT2RowGroup;
}

/// Stores token `tok`'s four sums Σ c·q of the tile (before the Σq correction) with the reference epilogue.
static inline void T2StoreScalar(const T2GemmTile& t, int tok, const int32_t sums[kT2RowGroup]) {
  for (int r = t.row_lo; r < t.row_hi; ++r) {
    const int32_t v = sums[r] - t.q_sum[tok];
    if (t.y_int != nullptr) t.y_int[tok * t.y_int_stride + r] = v;
    if (t.y != nullptr) t.y[tok * t.y_stride + r] = T2Output(v, t.alpha[r], t.q_dequant[tok], t.bias[r]);
  }
}

template <template <int> class Tile, int kT>
struct T2GemmTileTable {
  using Fn = void (*)(const T2GemmTile&);
  template <size_t... I>
  static constexpr std::array<Fn, sizeof...(I)> Make(std::index_sequence<I...>) {
    return {&Tile<static_cast<int>(I) + 1>::Run...};
  }
  static constexpr std::array<Fn, kT> kTable = Make(std::make_index_sequence<kT>{});  // [T - 1] runs T rows
};

template <typename Tile, typename = void>
struct T2TileDecodes : std::false_type {};
template <typename Tile>
struct T2TileDecodes<Tile, std::void_t<decltype(Tile::kDecodedCodes)>> : std::bool_constant<Tile::kDecodedCodes> {};

/// The decoded N-block budget: Tile::kDecodedBlockBytes when the tile declares it (a kernel for cores with smaller
/// L2s), else kT2GemmDecodedBlockBytes.
template <typename Tile, typename = void>
struct T2TileDecodedBlockBytes : std::integral_constant<size_t, kT2GemmDecodedBlockBytes> {};
template <typename Tile>
struct T2TileDecodedBlockBytes<Tile, std::void_t<decltype(Tile::kDecodedBlockBytes)>>
    : std::integral_constant<size_t, Tile::kDecodedBlockBytes> {};

template <typename Tile, typename = void>
struct T2TileUsesPanel : std::false_type {};
template <typename Tile>
struct T2TileUsesPanel<Tile, std::void_t<decltype(Tile::kPanel)>> : std::bool_constant<Tile::kPanel> {};

/// Rows of a panel for a tile of `rows` activation rows.
constexpr size_t T2PanelRows(size_t rows) {
  return (rows + 3) / 4 * 4;
}

/// `count` elements of `storage` from a 64-byte boundary, growing it (never shrinking) as needed.
template <typename T>
static inline T* T2AlignedScratch(std::vector<T>& storage, size_t count) {
  constexpr size_t kSpare = 64 / sizeof(T);
  if (storage.size() < count + kSpare) storage.resize(count + kSpare);
  const uintptr_t raw = reinterpret_cast<uintptr_t>(storage.data());
  return storage.data() + (64 - raw % 64) % 64 / sizeof(T);
}

/// Packs `rows` activation rows (kb blocks each) into the panel layout described above, zero rows up to Tp.
template <template <int> class Tile>
static inline void T2PackPanel(const int8_t* q, size_t q_stride, size_t rows, size_t kb, int8_t* panel) {
  const size_t tp = T2PanelRows(rows);
  for (size_t b = 0; b < kb; ++b) {
    for (size_t s = 0; s < 8; ++s) {
      int8_t* dst = panel + (8 * b + s) * tp * 16;
      for (size_t i = 0; i < rows; ++i) std::memcpy(dst + i * 16, q + i * q_stride + b * kT2BlockK + s * 16, 16);
      std::memset(dst + rows * 16, 0, (tp - rows) * 16);
    }
  }
}

template <template <int> class Tile, int kT>
void RunT2GemmTiles(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const auto& table = T2GemmTileTable<Tile, kT>::kTable;
  const size_t kb = T2KBlocks(a.k);
  const size_t group_bytes = kb * kT2BlockBytes;
  // Decoding pays off only when the codes are reused by more than one row tile.
  const bool decode = T2TileDecodes<Tile<kT>>::value && m_end - m_begin > static_cast<size_t>(kT);
  const size_t block_group_bytes = decode ? T2DecodedGroupBytes(kb) : group_bytes;  // what the N block keeps in L2
  const size_t budget = decode ? T2TileDecodedBlockBytes<Tile<kT>>::value : kT2GemmL2BlockBytes;
  const size_t groups_per_block = std::max<size_t>(1, budget / std::max<size_t>(1, block_group_bytes));
  const size_t g_begin = n_begin / kT2RowGroup, g_end = (n_end + kT2RowGroup - 1) / kT2RowGroup;
  T2GemmTile t;
  t.q_stride = a.q_stride;
  t.y_stride = a.y_stride;
  t.y_int_stride = a.y_int_stride;
  constexpr bool kPanel = T2TileUsesPanel<Tile<kT>>::value;
  // Per thread, grown on demand and reused across calls.
  thread_local std::vector<int8_t> panel_storage;
  thread_local std::vector<uint8_t> codes_storage;
  thread_local std::vector<int32_t> partial_storage;
  int8_t* panel = kPanel ? T2AlignedScratch(panel_storage, T2PanelRows(kT) * kb * kT2BlockK) : nullptr;
  t.panel = panel;
  uint8_t* codes = nullptr;
  int32_t* partial = nullptr;
  const size_t slice_blocks = decode ? std::min(kb, kT2GemmKSliceBlocks) : kb;
  if (decode) {
    const size_t groups = std::min(groups_per_block, g_end - g_begin);
    codes = T2AlignedScratch(codes_storage, groups * T2DecodedGroupBytes(kb));
    if (slice_blocks < kb) partial = T2AlignedScratch(partial_storage, groups * kT2PartialInts);
  }
  t.codes = nullptr;
  t.partial = nullptr;
  for (size_t gb = g_begin; gb < g_end; gb += groups_per_block) {
    const size_t gb_end = std::min(g_end, gb + groups_per_block);
    if constexpr (T2TileDecodes<Tile<kT>>::value) {
      if (decode) {
        for (size_t g = gb; g < gb_end; ++g) {
          Tile<kT>::DecodeGroup(a.w + g * group_bytes, kb, codes + (g - gb) * T2DecodedGroupBytes(kb));
        }
      }
    }
    for (size_t i = m_begin; i < m_end; i += kT) {
      const size_t rows = std::min<size_t>(kT, m_end - i);
      t.q = a.q + i * a.q_stride;
      t.q_sum = a.q_sum + i;
      t.q_dequant = a.y != nullptr ? a.q_dequant + i : nullptr;
      // One slice (all of K, even K = 0: the tile then stores the bias) unless decoding.
      const size_t slices = slice_blocks == 0 ? 1 : (kb + slice_blocks - 1) / slice_blocks;
      for (size_t slice = 0; slice < slices; ++slice) {
        const size_t sb = slice * slice_blocks;
        const size_t nb = std::min(slice_blocks, kb - sb);
        if (kPanel) T2PackPanel<Tile>(a.q + i * a.q_stride + sb * kT2BlockK, a.q_stride, rows, nb, panel);
        if (!kPanel) t.q = a.q + i * a.q_stride + sb * kT2BlockK;  // a tile without a panel reads the slice's columns
        t.k_blocks = nb;
        t.slice_first = sb == 0;
        t.slice_last = slice + 1 == slices;
        for (size_t g = gb; g < gb_end; ++g) {
          const size_t n0 = g * kT2RowGroup;
          t.w = a.w + g * group_bytes;
          if (decode) {
            t.codes = codes + (g - gb) * T2DecodedGroupBytes(kb) + sb * kT2BlockK * kT2RowGroup;
            if (partial != nullptr) t.partial = partial + (g - gb) * kT2PartialInts;
          }
          t.row_lo = static_cast<int>(std::max(n_begin, n0) - n0);
          t.row_hi = static_cast<int>(std::min(n_end, n0 + kT2RowGroup) - n0);
          for (size_t r = 0; r < kT2RowGroup; ++r) {
            const size_t j = n0 + r;
            t.alpha[r] = a.y == nullptr || j >= a.n ? 0.0f : a.alpha[a.alpha_per_row ? j : 0];
            t.bias[r] = a.bias == nullptr || j >= a.n ? 0.0f : a.bias[j];
          }
          t.y = a.y != nullptr ? a.y + i * a.y_stride + n0 : nullptr;
          t.y_int = a.y_int != nullptr ? a.y_int + i * a.y_int_stride + n0 : nullptr;
          table[rows - 1](t);
        }
      }
    }
  }
}

}  // namespace qc
