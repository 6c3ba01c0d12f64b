// AVX-512 VNNI ternary × int8 GEMM: one packed row group (4 output channels) × up to 16 activation rows.
//
// Register layout: each 128-bit lane of a zmm belongs to one ACTIVATION row. The driver packs the tile's activation
// rows into a panel (tiling.h) where the 16-byte chunks of 4 consecutive rows are adjacent, so one aligned 64-byte
// load gives [row 4g | 4g+1 | 4g+2 | 4g+3] × 16 columns. A weight row's 16 packed bytes are broadcast to all four
// lanes straight from the T2Block (vbroadcasti32x4 m128, a pure load) and turned into codes for 16 consecutive
// columns with one shift and one AND per bit plane. vpdpbusd (codes u8 × activations s8 → int32, no saturation
// possible) then accumulates into acc[row][g]: 4 weight rows × 4 groups of 4 activation rows = 16 accumulators,
// + 4 broadcast weights + 4 codes + 1 activation + mask = 26 of the 32 zmm. Per 128-column block and 16 activation
// rows: 128 vpdpbusd, 32 activation loads (each shared by 4 weight rows), 8 weight loads, 56 shift/AND.
// (The transposed layout, lanes = weight rows with activations broadcast, needs one 16-byte broadcast load per
// vpdpbusd and measured 55-62 % of peak against 83-87 % for this one on Zen 5: tests/kernels_t2/t2_gemm_bench.cc.)
//
// With more than one row tile the driver decodes the codes once per N block (tiling.h) and the tile only loads
// them: on Intel cores the shifts and ANDs share the two 512-bit ports with vpdpbusd (8 of them per 16 vpdpbusd cap
// the loop at 2/3 of peak), while the 4 extra broadcast loads per 16 vpdpbusd go to the load ports. The full-tile
// loop of that path is inline asm (see DecodedLoop16). Measured on the Xeon test machine, M = 128, 1 thread:
// 49-62 % of peak before, 59-66 % after (t2_gemm_bench, docs/results/bench-vs-ort.md).
//
// At the end, acc[0..3][g] are reduced with in-lane unpacks (a 4×4 transpose-and-add per lane) into lane l =
// [Σ row 0 .. Σ row 3] of activation row 4g + l; the Σq correction and the float epilogue (cvtdq2ps, α·d, vfmadd)
// run on 16 outputs at once and reproduce T2Output exactly. Partial row groups use masked stores.
// Compiled with the AVX-512 flags (incl. VNNI); called only after a CPUID check (configs/t2_gemm_config.cc).

#include "kernels/avx512_common.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/t2-i8-gemm/kernels.h"
#include "kernels/t2-i8-gemm/tiling.h"
#include "quant/t2_pack.h"

namespace qc {
namespace {

constexpr int kMaxTokens = 16;

// a_r holds row r's partial sums: lane l = 4 dwords of activation row l. Returns lane l = [Σ row 0 .. Σ row 3] of
// activation row l: a 4×4 transpose-and-add inside each 128-bit lane.
inline __m512i ReduceFour(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
  const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
}

// Stores 128-bit lane J of v to dst, all 4 values or only the `rows` lanes. For the masked case the lane is first
// extracted to a register and hidden from the optimiser: GCC would otherwise fuse extract + masked store into a
// masked vextracti32x4 to memory, which on the Zen 5 test machine does NOT suppress the fault of a masked-out lane
// on an unmapped page (the guard-page tests crashed); a masked vmovdqu32 / vmovups does.
template <int J>
inline void StoreLaneF(float* dst, __m512 v, __mmask8 rows, bool full) {
  __m128 x = _mm512_extractf32x4_ps(v, J);
  if (full) {
    _mm_storeu_ps(dst, x);
  } else {
    __asm__("" : "+v"(x));
    _mm_mask_storeu_ps(dst, rows, x);
  }
}

template <int J>
inline void StoreLaneI(int32_t* dst, __m512i v, __mmask8 rows, bool full) {
  __m128i x = _mm512_extracti32x4_epi32(v, J);
  if (full) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), x);
  } else {
    __asm__("" : "+v"(x));
    _mm_mask_storeu_epi32(dst, rows, x);
  }
}

template <int T>
struct Avx512Tile {
  static_assert(T >= 1 && T <= kMaxTokens, "tile shape");
  static constexpr bool kPanel = true;
  static constexpr int kGroups = (T + 3) / 4;  // zmm of 4 activation rows
  static constexpr int kTp = 4 * kGroups;      // panel rows

  static constexpr bool kDecodedCodes = true;

  // The group's codes in the driver's decoded layout (tiling.h): per block, chunk s of rows 0..3 is 64 contiguous
  // bytes. A block's 128 bytes load as [r0 h0 | r0 h1 | r1 h0 | r1 h1] and [r2 h0 | ...]; regrouping the 16-byte
  // lanes by h gives rows 0..3 of the chunks s = 2·plane + h, one shift and AND per plane.
  static void DecodeGroup(const uint8_t* w, size_t kb, uint8_t* codes) {
    const __m512i mask = _mm512_set1_epi8(3);
    for (size_t b = 0; b < kb; ++b, w += kT2BlockBytes, codes += kT2BlockK * kT2RowGroup) {
      const __m512i rows01 = _mm512_loadu_si512(w);
      const __m512i rows23 = _mm512_loadu_si512(w + 64);
      const __m512i h0 = _mm512_shuffle_i64x2(rows01, rows23, 0x88);  // lanes 0, 2 of each: [r0 | r1 | r2 | r3] h=0
      const __m512i h1 = _mm512_shuffle_i64x2(rows01, rows23, 0xDD);  // lanes 1, 3: h=1
      for (int plane = 0; plane < 4; ++plane) {
        const __m128i shift = _mm_cvtsi32_si128(6 - 2 * plane);
        _mm512_store_si512(codes + (2 * plane) * 64, _mm512_and_si512(_mm512_srl_epi16(h0, shift), mask));
        _mm512_store_si512(codes + (2 * plane + 1) * 64, _mm512_and_si512(_mm512_srl_epi16(h1, shift), mask));
      }
    }
  }

  static void Run(const T2GemmTile& t) {
    if (t.codes != nullptr) {
      RunDecoded(t);
    } else {
      RunPacked(t);
    }
  }

  // Codes decoded by the driver: one broadcast load per (row, chunk), no shift or AND competing with the vpdpbusd
  // for the vector ports.
  static void RunDecoded(const T2GemmTile& t) {
    __m512i acc[kT2RowGroup][kGroups];  // [row][g]: lane l = partial sums of activation row 4g + l
    if constexpr (kGroups == 4) {
      DecodedLoop16(t.codes, t.panel, 8 * t.k_blocks, acc);
    } else {
      for (size_t r = 0; r < kT2RowGroup; ++r) {
        for (int g = 0; g < kGroups; ++g) acc[r][g] = _mm512_setzero_si512();
      }
      const int8_t* panel = t.panel;
      const uint8_t* codes = t.codes;
      for (size_t s = 0; s < 8 * t.k_blocks; ++s, codes += 64, panel += kTp * 16) {
        __m512i c[kT2RowGroup];
        for (size_t r = 0; r < kT2RowGroup; ++r) {
          c[r] = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(codes + 16 * r)));
        }
        for (int g = 0; g < kGroups; ++g) {
          const __m512i x = _mm512_load_si512(panel + 4 * g * 16);
          for (size_t r = 0; r < kT2RowGroup; ++r) acc[r][g] = Dpbusd(acc[r][g], c[r], x);
        }
      }
    }
    if (!(t.slice_first && t.slice_last)) {  // K in slices: carry the running sums to the next one
      __m512i* partial = reinterpret_cast<__m512i*>(t.partial);
      for (size_t r = 0; r < kT2RowGroup; ++r) {
        for (int g = 0; g < kGroups; ++g) {
          __m512i& p = partial[r * kGroups + static_cast<size_t>(g)];
          if (!t.slice_first) acc[r][g] = _mm512_add_epi32(acc[r][g], _mm512_load_si512(&p));
          if (!t.slice_last) _mm512_store_si512(&p, acc[r][g]);
        }
      }
      if (!t.slice_last) return;
    }
    Store(t, acc);
  }

  // The full-tile loop (16 rows: 16 accumulators, 4 codes, 1 activation register) in asm: GCC 12 allocates this
  // loop with register copies (or spills) around the vpdpbusd that cost as much as the multiply-accumulates. The
  // accumulators are zeroed inside, so they are outputs only (asm allows 30 operands; in-out ones count twice).
  static void DecodedLoop16(const uint8_t* codes, const int8_t* panel, size_t chunks,
                            __m512i (&acc)[kT2RowGroup][kGroups]) {
// clang-format off
#define QC_T2_DP(g, off)                               \
  "vmovdqa64 " #off "(%[panel]), %%zmm20\n\t"          \
  "vpdpbusd %%zmm20, %%zmm16, %[a0" #g "]\n\t"          \
  "vpdpbusd %%zmm20, %%zmm17, %[a1" #g "]\n\t"          \
  "vpdpbusd %%zmm20, %%zmm18, %[a2" #g "]\n\t"          \
  "vpdpbusd %%zmm20, %%zmm19, %[a3" #g "]\n\t"
// clang-format on
#define QC_T2_ZERO(r, g) "vpxord %[a" #r #g "], %[a" #r #g "], %[a" #r #g "]\n\t"
    __asm__(QC_T2_ZERO(0, 0) QC_T2_ZERO(0, 1) QC_T2_ZERO(0, 2) QC_T2_ZERO(0, 3)  //
            QC_T2_ZERO(1, 0) QC_T2_ZERO(1, 1) QC_T2_ZERO(1, 2) QC_T2_ZERO(1, 3)  //
            QC_T2_ZERO(2, 0) QC_T2_ZERO(2, 1) QC_T2_ZERO(2, 2) QC_T2_ZERO(2, 3)  //
            QC_T2_ZERO(3, 0) QC_T2_ZERO(3, 1) QC_T2_ZERO(3, 2) QC_T2_ZERO(3, 3)  //
            "test %[n], %[n]\n\t"
            "jz 2f\n\t"
            "1:\n\t"
            "vbroadcasti32x4 0(%[codes]), %%zmm16\n\t"
            "vbroadcasti32x4 16(%[codes]), %%zmm17\n\t"
            "vbroadcasti32x4 32(%[codes]), %%zmm18\n\t"
            "vbroadcasti32x4 48(%[codes]), %%zmm19\n\t"                       //
            QC_T2_DP(0, 0) QC_T2_DP(1, 64) QC_T2_DP(2, 128) QC_T2_DP(3, 192)  //
            "add $64, %[codes]\n\t"
            "add $256, %[panel]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            "2:"
            : [a00] "=v"(acc[0][0]), [a01] "=v"(acc[0][1]), [a02] "=v"(acc[0][2]), [a03] "=v"(acc[0][3]),
              [a10] "=v"(acc[1][0]), [a11] "=v"(acc[1][1]), [a12] "=v"(acc[1][2]), [a13] "=v"(acc[1][3]),
              [a20] "=v"(acc[2][0]), [a21] "=v"(acc[2][1]), [a22] "=v"(acc[2][2]), [a23] "=v"(acc[2][3]),
              [a30] "=v"(acc[3][0]), [a31] "=v"(acc[3][1]), [a32] "=v"(acc[3][2]), [a33] "=v"(acc[3][3]),
              [codes] "+r"(codes), [panel] "+r"(panel), [n] "+r"(chunks)
            :
            : "cc", "memory", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20");
#undef QC_T2_ZERO
#undef QC_T2_DP
  }

  static void RunPacked(const T2GemmTile& t) {
    __m512i acc[kT2RowGroup][kGroups];  // [row][g]: lane l = partial sums of activation row 4g + l
    for (size_t r = 0; r < kT2RowGroup; ++r) {
      for (int g = 0; g < kGroups; ++g) acc[r][g] = _mm512_setzero_si512();
    }
    const __m512i mask = _mm512_set1_epi8(3);
    const int8_t* panel = t.panel;
    const uint8_t* w = t.w;
    for (size_t b = 0; b < t.k_blocks; ++b, w += kT2BlockBytes, panel += kTp * kT2BlockK) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {  // bytes 16h .. 16h+15 of each row: columns 16h + 32·plane + (0..15)
        __m512i p[kT2RowGroup];
        for (size_t r = 0; r < kT2RowGroup; ++r) {
          p[r] =
              _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + r * kT2RowBytes + 16 * h)));
        }
#pragma GCC unroll 4
        for (int plane = 0; plane < 4; ++plane) {
          const int s = 2 * plane + h;  // 16-column chunk
          __m512i c[kT2RowGroup];
          for (size_t r = 0; r < kT2RowGroup; ++r) {
            c[r] = _mm512_and_si512(plane == 3 ? p[r] : _mm512_srli_epi16(p[r], 6 - 2 * plane), mask);
          }
#pragma GCC unroll 4
          for (int g = 0; g < kGroups; ++g) {
            const __m512i x = _mm512_load_si512(panel + (s * kTp + 4 * g) * 16);
            for (size_t r = 0; r < kT2RowGroup; ++r) acc[r][g] = Dpbusd(acc[r][g], c[r], x);
          }
        }
      }
    }
    Store(t, acc);
  }

  static void Store(const T2GemmTile& t, const __m512i (&acc)[kT2RowGroup][kGroups]) {
    alignas(16) int32_t qsum[kMaxTokens] = {};
    alignas(16) float deq[kMaxTokens] = {};
    for (int i = 0; i < T; ++i) {
      qsum[i] = t.q_sum[i];
      if (t.y != nullptr) deq[i] = t.q_dequant[i];
    }
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m512 alpha = _mm512_broadcast_f32x4(_mm_loadu_ps(t.alpha));
    const __m512 bias = _mm512_broadcast_f32x4(_mm_loadu_ps(t.bias));
    const bool full = t.row_lo == 0 && t.row_hi == 4;
    const __mmask8 rows = static_cast<__mmask8>(((1u << t.row_hi) - 1u) & ~((1u << t.row_lo) - 1u));
    for (int g = 0; g * 4 < T; ++g) {
      const int base = 4 * g;
      const __m512i sums = ReduceFour(acc[0][g], acc[1][g], acc[2][g], acc[3][g]);
      const __m128i qsum4 = _mm_load_si128(reinterpret_cast<const __m128i*>(qsum + base));
      const __m512i y = _mm512_sub_epi32(sums, _mm512_permutexvar_epi32(spread, _mm512_zextsi128_si512(qsum4)));
      const int tokens = std::min(4, T - base);
      if (t.y_int != nullptr) {
        int32_t* dst = t.y_int + base * t.y_int_stride;
        const size_t st = t.y_int_stride;
        StoreLaneI<0>(dst, y, rows, full);
        if (tokens > 1) StoreLaneI<1>(dst + st, y, rows, full);
        if (tokens > 2) StoreLaneI<2>(dst + 2 * st, y, rows, full);
        if (tokens > 3) StoreLaneI<3>(dst + 3 * st, y, rows, full);
      }
      if (t.y != nullptr) {
        const __m512 d = _mm512_permutexvar_ps(spread, _mm512_zextps128_ps512(_mm_load_ps(deq + base)));
        // fma(float(Y), α·d, b): the same three roundings as T2Output.
        const __m512 out = _mm512_fmadd_ps(_mm512_cvtepi32_ps(y), _mm512_mul_ps(alpha, d), bias);
        float* dst = t.y + base * t.y_stride;
        const size_t st = t.y_stride;
        StoreLaneF<0>(dst, out, rows, full);
        if (tokens > 1) StoreLaneF<1>(dst + st, out, rows, full);
        if (tokens > 2) StoreLaneF<2>(dst + 2 * st, out, rows, full);
        if (tokens > 3) StoreLaneF<3>(dst + 3 * st, out, rows, full);
      }
    }
  }
};

}  // namespace

void T2Gemm16x4Avx512Vnni(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunT2GemmTiles<Avx512Tile, kMaxTokens>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
