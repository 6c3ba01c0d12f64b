// kernels/i8-i8-gemm/tiling.h: the tile driver shared by the int8 and int4 weight kernels.
//
// RunIntGemmTiles walks [m0, m1) in tiles of T activation rows and [n0, n1) in row groups of 4. For each (token
// tile, row group) it calls Tile::Run(group, k_blocks, q rows, sums), which must add Σ over all K blocks of
// code·q into sums[t][r] (codes = stored unsigned codes, T2-style), and then stores
// Y_int = sums − offset·Σq for the rows inside [n0, n1). A short last token tile repeats its last row (its sums
// are discarded), so kernels never read past the activation buffer. `static`-free templates in an anonymous
// namespace would still be merged across ISA files, so every instantiation carries the Tile type of its own file.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/i8-i8-gemm/kernels.h"

namespace qc {

template <typename Tile, int T>
inline void RunIntGemmTiles(const I8GemmArgs& a, size_t m0, size_t m1, size_t n0, size_t n1, size_t block_k,
                            size_t block_bytes, int32_t offset) {
  if (m0 >= m1 || n0 >= n1) return;
  const size_t k_blocks = (a.k + block_k - 1) / block_k;
  const size_t group_bytes = k_blocks * block_bytes;
  for (size_t i0 = m0; i0 < m1; i0 += T) {
    const size_t count = m1 - i0 < static_cast<size_t>(T) ? m1 - i0 : static_cast<size_t>(T);
    const int8_t* q[T];
    for (int t = 0; t < T; ++t) q[t] = a.q + (i0 + (static_cast<size_t>(t) < count ? t : count - 1)) * a.q_stride;
    for (size_t g = n0 / 4; g * 4 < n1; ++g) {
      int32_t sums[T][4] = {};
      Tile::Run(a.w + g * group_bytes, k_blocks, q, sums);
      for (size_t t = 0; t < count; ++t) {
        const size_t i = i0 + t;
        for (size_t r = 0; r < 4; ++r) {
          const size_t j = g * 4 + r;
          if (j < n0 || j >= n1) continue;
          const int32_t v = sums[t][r] - offset * a.q_sum[i];
          if (a.y_int != nullptr) a.y_int[i * a.y_int_stride + j] = v;
          if (a.y != nullptr) {
            const float alpha = a.alpha[a.alpha_per_row ? j : 0];
            const float bias = a.bias != nullptr ? a.bias[j] : 0.0f;
            a.y[i * a.y_stride + j] = IntGemmOutput(v, alpha, a.q_dequant[i], bias);
          }
        }
      }
    }
  }
}

}  // namespace qc
