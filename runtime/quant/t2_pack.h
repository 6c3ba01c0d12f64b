// quant/t2_pack.h: the packed ternary weight layout the t2-i8-gemm kernels read ("T2 R4/K128").
//
// Overview
//   A ternary weight w ∈ {-1, 0, +1} is stored as the 2-bit code c = w + 1 ∈ {0, 1, 2} (3 is never written and is
//   rejected by PackT2). A weight matrix W [n, k] (row n = output channel, PyTorch Linear layout) is cut into row
//   groups of 4 consecutive rows and, along K, into blocks of 128 weights. One block (T2Block, 128 bytes) holds 4
//   rows × 128 weights; row r's 32 bytes start at byte 32·r, and byte j of a row holds the weights at block columns
//   j, j+32, j+64, j+96 at bit shifts 6, 4, 2, 0 (the I2_S / TQ2_0 "4 sub-blocks of 32" interleave, per row):
//
//     byte j of row r:   bit 7 6 | 5 4 | 3 2 | 1 0
//                        c[j]    | c[j+32] | c[j+64] | c[j+96]        (columns relative to the block start)
//
//   so one 32-byte load, three shifts and four ANDs give the codes of 4 × 32 consecutive columns. Blocks are stored
//   row group by row group, K blocks in order inside a group: block (g, b) starts at byte (g·KB + b)·128 with
//   KB = ceil(k / 128). K is padded to KB·128 and N to a multiple of 4 with code 1 (weight 0), so padding contributes
//   nothing to Σ w·x. docs/quantization.md §4 has the byte diagram and the exact contract.
//
//   The .qm "T2" dtype (docs/qm-format.md §5) stores the same codes densely (element i in bits 2·(i%4) of byte i/4);
//   PackT2FromDense / UnpackT2ToDense convert between that storage form and this kernel form.
//
// Usage
//   std::vector<uint8_t> packed(qc::T2PackedBytes(n, k));
//   QC_RETURN_IF_ERROR(qc::PackT2(codes, n, k, /*codes_stride=*/k, packed.data(), packed.size()));
//   uint8_t c = qc::T2PackedCode(packed.data(), k, row, col);      // one code back, for reference loops
//   qc::UnpackT2(packed.data(), n, k, codes_out, k);                // the inverse of PackT2
#pragma once

#include <cstddef>
#include <cstdint>

#include "qcompress/status.h"

namespace qc {

inline constexpr size_t kT2BlockK = 128;                            ///< weights per row in one block
inline constexpr size_t kT2RowGroup = 4;                            ///< rows interleaved in one block (R = 4)
inline constexpr size_t kT2SubBlock = 32;                           ///< columns per bit plane of a row's 32 bytes
inline constexpr size_t kT2RowBytes = kT2BlockK / 4;                ///< 32: 128 weights at 2 bits
inline constexpr size_t kT2BlockBytes = kT2RowGroup * kT2RowBytes;  ///< 128
inline constexpr uint8_t kT2CodeZero = 1;                           ///< the code of weight 0, also used for all padding
inline constexpr uint8_t kT2PaddingByte = 0x55;                     ///< four codes 1: a byte of padding weights
/// Largest K the kernels accept: Σ c·q over K columns stays within int32 (254 · 2^23 < 2^31).
inline constexpr size_t kT2MaxK = size_t{1} << 23;

/// One block: 4 rows × 128 weights, 2 bits per weight.
struct T2Block {
  uint8_t rows[kT2RowGroup][kT2RowBytes];
};
static_assert(sizeof(T2Block) == 128, "T2Block is 4 rows x 128 weights at 2 bits/weight = 128 bytes");
static_assert(kT2RowBytes * 8 == kT2BlockK * 2, "a row's bytes hold its 128 weights at 2 bits/weight");
static_assert(kT2SubBlock * 4 == kT2BlockK, "four bit planes of 32 columns make a block");

/// K rounded up to a multiple of 128 (the activation row length the kernels read).
constexpr size_t T2PaddedK(size_t k) {
  return (k + kT2BlockK - 1) / kT2BlockK * kT2BlockK;
}
/// K blocks per row.
constexpr size_t T2KBlocks(size_t k) {
  return (k + kT2BlockK - 1) / kT2BlockK;
}
/// Row groups (N rounded up to a multiple of 4, divided by 4).
constexpr size_t T2RowGroups(size_t n) {
  return (n + kT2RowGroup - 1) / kT2RowGroup;
}
/// Bytes of a packed [n, k] matrix: ceil(n/4) · ceil(k/128) · 128.
constexpr size_t T2PackedBytes(size_t n, size_t k) {
  return T2RowGroups(n) * T2KBlocks(k) * kT2BlockBytes;
}

/// Byte offset and bit shift of element (row, col) in a packed matrix with `k` columns.
constexpr size_t T2PackedByteIndex(size_t k, size_t row, size_t col) {
  return ((row / kT2RowGroup) * T2KBlocks(k) + col / kT2BlockK) * kT2BlockBytes + (row % kT2RowGroup) * kT2RowBytes +
         col % kT2SubBlock;
}
constexpr unsigned T2PackedShift(size_t col) {
  return 6u - 2u * static_cast<unsigned>((col % kT2BlockK) / kT2SubBlock);
}

/// The code of (row, col); rows >= n and cols >= k read the padding (code 1).
inline uint8_t T2PackedCode(const uint8_t* packed, size_t k, size_t row, size_t col) {
  return static_cast<uint8_t>((packed[T2PackedByteIndex(k, row, col)] >> T2PackedShift(col)) & 3u);
}

/// Packs codes [n, k] (one code 0..2 per byte, row stride `codes_stride` >= k) into `packed`, which must hold
/// T2PackedBytes(n, k) bytes; padding rows and columns get code 1. Fails (and leaves `packed` unspecified) on a code
/// > 2, k > kT2MaxK or a short output buffer, naming the offending element.
Status PackT2(const uint8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes);

/// Inverse of PackT2: writes codes [n, k] (row stride `codes_stride` >= k), one per byte.
void UnpackT2(const uint8_t* packed, size_t n, size_t k, uint8_t* codes, size_t codes_stride);

/// Bytes of a dense .qm T2 tensor of n·k elements: ceil(n·k / 4).
constexpr size_t T2DenseBytes(size_t n, size_t k) {
  return (n * k + 3) / 4;
}

/// Packs a dense .qm T2 tensor [n, k] (element i = row·k + col in bits 2·(i%4) of byte i/4). Fails on code 3, a short
/// input or output buffer, or k > kT2MaxK.
Status PackT2FromDense(const uint8_t* dense, size_t dense_bytes, size_t n, size_t k, uint8_t* packed,
                       size_t packed_bytes);

/// Inverse of PackT2FromDense: writes T2DenseBytes(n, k) bytes (unused high bits of the last byte are 0).
void UnpackT2ToDense(const uint8_t* packed, size_t n, size_t k, uint8_t* dense);

}  // namespace qc
