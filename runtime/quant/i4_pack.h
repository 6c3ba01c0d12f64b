// quant/i4_pack.h: the packed int4 weight layout the i4-i8-gemm kernels read ("I4 R4/K128").
//
// Overview
//   Codes w ∈ [-7, 7] come from QuantizeIntWeights (quant/i8_pack.h) with qmax = 7 (per row or per tensor). A weight
//   is stored as the nibble c = w + 8 ∈ [1, 15] (8 = weight 0, also all padding); the kernels subtract 8·Σq, as T2
//   does with w + 1, so unsigned × signed byte products (vpmaddubsw / vpdpbusd) never saturate (15·128·2 < 2^15).
//   Rows are grouped by 4 and K cut into blocks of 128: block (g, b) (256 bytes) holds rows 4g..4g+3, row r's 64
//   bytes at byte 64·r; byte j of a row holds block column j in its low nibble and column j + 64 in its high nibble,
//   so one AND and one shift give two runs of 64 consecutive columns. Blocks are stored row group by row group.
//
// Usage
//   std::vector<uint8_t> packed(qc::I4PackedBytes(n, k));
//   QC_RETURN_IF_ERROR(qc::PackI4(codes, n, k, k, packed.data(), packed.size()));
#pragma once

#include <cstddef>
#include <cstdint>

#include "qcompress/status.h"

namespace qc {

inline constexpr size_t kI4BlockK = 128;
inline constexpr size_t kI4RowGroup = 4;
inline constexpr size_t kI4RowBytes = kI4BlockK / 2;               ///< 64
inline constexpr size_t kI4BlockBytes = kI4RowGroup * kI4RowBytes;  ///< 256
inline constexpr uint8_t kI4CodeOffset = 8;
inline constexpr uint8_t kI4PaddingByte = 0x88;
inline constexpr int kI4Max = 7;
/// Largest K: Σ c·q with c <= 15, |q| <= 128 stays within int32 (15 · 128 · 2^20 < 2^31).
inline constexpr size_t kI4MaxK = size_t{1} << 20;

/// One block: 4 rows × 128 weights at 4 bits/weight.
struct I4Block {
  uint8_t rows[kI4RowGroup][kI4RowBytes];
};
static_assert(sizeof(I4Block) == 256, "I4Block is 4 rows x 128 weights at 4 bits/weight = 256 bytes");

constexpr size_t I4KBlocks(size_t k) { return (k + kI4BlockK - 1) / kI4BlockK; }
constexpr size_t I4RowGroups(size_t n) { return (n + kI4RowGroup - 1) / kI4RowGroup; }
/// Bytes of a packed [n, k] matrix: ceil(n/4) · ceil(k/128) · 256.
constexpr size_t I4PackedBytes(size_t n, size_t k) { return I4RowGroups(n) * I4KBlocks(k) * kI4BlockBytes; }
constexpr size_t I4PackedByteIndex(size_t k, size_t row, size_t col) {
  return ((row / kI4RowGroup) * I4KBlocks(k) + col / kI4BlockK) * kI4BlockBytes + (row % kI4RowGroup) * kI4RowBytes +
         col % kI4RowBytes;
}
constexpr unsigned I4PackedShift(size_t col) { return (col % kI4BlockK) < kI4RowBytes ? 0u : 4u; }
/// The code c = w + 8 at (row, col); padding reads 8.
inline uint8_t I4PackedCode(const uint8_t* packed, size_t k, size_t row, size_t col) {
  return static_cast<uint8_t>((packed[I4PackedByteIndex(k, row, col)] >> I4PackedShift(col)) & 0xFu);
}

/// Packs codes [n, k] in [-7, 7] into `packed` (I4PackedBytes(n, k) bytes). Fails on a code outside [-7, 7],
/// k > kI4MaxK or a short buffer, naming the element.
Status PackI4(const int8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes);

/// Inverse of PackI4.
void UnpackI4(const uint8_t* packed, size_t n, size_t k, int8_t* codes, size_t codes_stride);

}  // namespace qc
