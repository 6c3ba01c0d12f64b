// kernels/f32-f32-gemm/tiling.h: the cache-blocking loop shared by the register-tiled fp32 GEMM kernels.
//
// Overview
//   A kernel file supplies only its register tile, `template <int MR, int NR> struct Tile { static void
//   Run(const F32GemmTile&); }`, computing an MR×NR block of Y (1 <= MR <= kMr, 1 <= NR <= kNr, so edge tiles are
//   exact and nothing is read past the operands). RunF32GemmTiles walks the requested rectangle of Y:
//
//     for each K block of kKc floats          (keeps the MR rows of X being reused in L1)
//       for each N block of rows of W          (sized so the W block stays in L2 while every row tile of X visits)
//         for each MR-row tile of X
//           for each NR-row tile of W          -> Tile<MR, NR>::Run
//
//   The first K block writes sum + bias; later blocks add their partial sums to Y. Which tile computes an element
//   never changes its arithmetic, so any split of the rectangle gives bit-identical results.
//
// ODR note: this header is included by files compiled with different ISA flags (avx2.cc, avx512.cc, ...). Keep
// every function here a template instantiated with the file's own anonymous-namespace Tile, so each file gets a
// private copy; a plain inline function would be merged by the linker and might run AVX-512 code on an AVX2 CPU.
//
// Usage (in a kernel file)
//   namespace { template <int MR, int NR> struct Tile { static void Run(const qc::F32GemmTile& t) { ... } }; }
//   void F32Gemm4x3Avx2(const F32GemmArgs& a, size_t m0, size_t m1, size_t n0, size_t n1) {
//     RunF32GemmTiles<Tile, 4, 3, 1024>(a, m0, m1, n0, n1);
//   }
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <utility>

#include "kernels/f32-f32-gemm/kernels.h"

namespace qc {

/// One register tile's operands: MR rows of X and NR rows of W over `k` columns, writing MR×NR outputs.
struct F32GemmTile {
  const float* x;
  size_t x_stride;
  const float* w;
  size_t w_stride;
  const float* bias;  ///< NR entries or null; used only when !accumulate
  float* y;
  size_t y_stride;
  size_t k;
  bool accumulate;  ///< y += partial sum (a later K block) instead of y = sum + bias
};

/// Bytes of W kept hot in L2 per N block. Below every supported core's L2 (512 KiB to 2 MiB), leaving room for the
/// X rows and Y that stream through it too.
inline constexpr size_t kF32GemmL2BlockBytes = 384 * 1024;

/// Sentinel for kKc: never split K (the scalar tile keeps one sequential sum per output, like the reference).
inline constexpr size_t kF32GemmNoKBlocking = std::numeric_limits<size_t>::max();

template <template <int, int> class Tile, int kMr, int kNr>
struct F32GemmTileTable {
  using Fn = void (*)(const F32GemmTile&);
  template <size_t... I>
  static constexpr std::array<Fn, sizeof...(I)> Make(std::index_sequence<I...>) {
    return {&Tile<static_cast<int>(I / kNr) + 1, static_cast<int>(I % kNr) + 1>::Run...};
  }
  // table[(mr - 1) * kNr + (nr - 1)] computes an mr×nr tile.
  static constexpr std::array<Fn, kMr* kNr> kTable = Make(std::make_index_sequence<kMr * kNr>{});
};

template <template <int, int> class Tile, int kMr, int kNr, size_t kKc>
void RunF32GemmTiles(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const auto& table = F32GemmTileTable<Tile, kMr, kNr>::kTable;
  const size_t kc = std::max<size_t>(1, std::min(a.k, kKc));
  // Rows of W per N block: as many as fit the L2 budget at this K block, a multiple of kNr, at least one tile.
  const size_t rows_fit = kF32GemmL2BlockBytes / (kc * sizeof(float));
  const size_t nb = std::max<size_t>(kNr, rows_fit / kNr * kNr);
  // k == 0 still makes one pass so Y receives the bias (or zeros).
  size_t k0 = 0;
  do {
    const size_t kl = std::min(kc, a.k - k0);
    F32GemmTile t;
    t.x_stride = a.x_stride;
    t.w_stride = a.w_stride;
    t.y_stride = a.y_stride;
    t.k = kl;
    t.accumulate = k0 > 0;
    for (size_t nb0 = n_begin; nb0 < n_end; nb0 += nb) {
      const size_t nb1 = std::min(n_end, nb0 + nb);
      for (size_t i = m_begin; i < m_end; i += kMr) {
        const size_t mr = std::min<size_t>(kMr, m_end - i);
        for (size_t j = nb0; j < nb1; j += kNr) {
          const size_t nr = std::min<size_t>(kNr, nb1 - j);
          t.x = a.x + i * a.x_stride + k0;
          t.w = a.w + j * a.w_stride + k0;
          t.bias = a.bias != nullptr ? a.bias + j : nullptr;
          t.y = a.y + i * a.y_stride + j;
          table[(mr - 1) * kNr + (nr - 1)](t);
        }
      }
    }
    k0 += kl;
  } while (k0 < a.k);
}

}  // namespace qc
