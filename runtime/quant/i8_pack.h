// quant/i8_pack.h: symmetric int8 weights and the packed layout the i8-i8-gemm kernels read ("I8 R4/K128").
//
// Overview
//   QuantizeIntWeights turns a float W [n, k] into symmetric integer codes w ∈ [-qmax, qmax] with one dequantization
//   scale d per output row (or per tensor): amax = max|W_row|, s = fl(qmax/amax), d = fl(amax/qmax), w = clamp(
//   RoundHalfEven(W·s), ±qmax); amax = 0 (or s not finite) gives codes 0 and d = 0. This is qat/fake_quant.cc's
//   QuantizeSymmetric with no clip, bit for bit (qmax = 127 for int8, 7 for int4).
//
//   Packed form (docs/quantization.md §7.1): a weight is stored as the unsigned byte c = w + 128 ∈ [1, 255], so the
//   VNNI instruction vpdpbusd (unsigned × signed bytes) multiplies it with signed int8 activations, and the kernels
//   subtract 128·Σq (the activation row sums QuantizeActivations already returns), exactly as T2 does with w + 1.
//   Rows are grouped by 4 and K cut into blocks of 128 (the activation padding T2PaddedK already uses): block (g, b)
//   holds rows 4g..4g+3, columns 128b..128b+127, row r's 128 bytes at byte 128·r, block at byte (g·KB + b)·512.
//   Padding rows / columns hold code 128 (weight 0).
//
// Usage
//   std::vector<int8_t> w8(n * k); std::vector<float> d(n);
//   QC_RETURN_IF_ERROR(qc::QuantizeIntWeights(w, n, k, k, 127, /*per_row=*/true, w8.data(), k, d.data()));
//   std::vector<uint8_t> packed(qc::I8PackedBytes(n, k));
//   QC_RETURN_IF_ERROR(qc::PackI8(w8.data(), n, k, k, packed.data(), packed.size()));
#pragma once

#include <cstddef>
#include <cstdint>

#include "qcompress/status.h"

namespace qc {

inline constexpr size_t kI8BlockK = 128;                            ///< weights per row in one block
inline constexpr size_t kI8RowGroup = 4;                            ///< rows in one block
inline constexpr size_t kI8BlockBytes = kI8RowGroup * kI8BlockK;    ///< 512
inline constexpr uint8_t kI8CodeOffset = 128;                       ///< c = w + 128; also the padding code
inline constexpr int kI8Max = 127;                                  ///< codes in [-127, 127]
/// Largest K: Σ c·q with c <= 255, |q| <= 128 stays within int32 (255 · 128 · 2^16 < 2^31).
inline constexpr size_t kI8MaxK = size_t{1} << 16;

/// One block: 4 rows × 128 weights at 8 bits/weight.
struct I8Block {
  uint8_t rows[kI8RowGroup][kI8BlockK];
};
static_assert(sizeof(I8Block) == 512, "I8Block is 4 rows x 128 weights at 8 bits/weight = 512 bytes");

constexpr size_t I8KBlocks(size_t k) { return (k + kI8BlockK - 1) / kI8BlockK; }
constexpr size_t I8RowGroups(size_t n) { return (n + kI8RowGroup - 1) / kI8RowGroup; }
/// Bytes of a packed [n, k] matrix: ceil(n/4) · ceil(k/128) · 512.
constexpr size_t I8PackedBytes(size_t n, size_t k) { return I8RowGroups(n) * I8KBlocks(k) * kI8BlockBytes; }
constexpr size_t I8PackedByteIndex(size_t k, size_t row, size_t col) {
  return ((row / kI8RowGroup) * I8KBlocks(k) + col / kI8BlockK) * kI8BlockBytes + (row % kI8RowGroup) * kI8BlockK +
         col % kI8BlockK;
}
/// The weight (not the code) at (row, col); padding reads 0.
inline int32_t I8PackedWeight(const uint8_t* packed, size_t k, size_t row, size_t col) {
  return static_cast<int32_t>(packed[I8PackedByteIndex(k, row, col)]) - kI8CodeOffset;
}

/// Symmetric quantization of W [n, k] (row stride w_stride) to codes in [-qmax, qmax] (row stride q_stride) and
/// scales d ([n] when per_row, else [1]). Fails on NaN / ±inf weights (naming the element) or qmax outside 1..127.
Status QuantizeIntWeights(const float* w, size_t n, size_t k, size_t w_stride, int qmax, bool per_row, int8_t* q,
                          size_t q_stride, float* scales);

/// Packs codes [n, k] in [-127, 127] into `packed` (I8PackedBytes(n, k) bytes). Fails on -128, k > kI8MaxK or a short
/// buffer.
Status PackI8(const int8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes);

/// Inverse of PackI8.
void UnpackI8(const uint8_t* packed, size_t n, size_t k, int8_t* codes, size_t codes_stride);

}  // namespace qc
