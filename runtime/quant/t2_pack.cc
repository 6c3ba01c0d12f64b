#include "quant/t2_pack.h"

#include <cstring>
#include <string>

namespace qc {
namespace {

std::string Where(size_t n, size_t k) {
  return "[" + std::to_string(n) + ", " + std::to_string(k) + "]";
}

Status CheckShape(const char* what, size_t n, size_t k, size_t packed_bytes) {
  if (k > kT2MaxK) {
    return OutOfRange(std::string(what) + ": K = " + std::to_string(k) + " exceeds the kernel limit " +
                      std::to_string(kT2MaxK) + " (int32 accumulation)");
  }
  if (packed_bytes < T2PackedBytes(n, k)) {
    return InvalidArgument(std::string(what) + ": output of " + std::to_string(packed_bytes) + " bytes, " +
                           Where(n, k) + " needs " + std::to_string(T2PackedBytes(n, k)));
  }
  return Status::Ok();
}

// An empty packed matrix may be a null pointer, which memset must not see.
void FillPadding(uint8_t* packed, size_t bytes) {
  if (bytes > 0) std::memset(packed, kT2PaddingByte, bytes);
}

// Packs one row of codes into its 32-byte slots, block by block. `code_at(col)` returns the code (0..2) of a
// column < k; padding columns get code 1.
template <typename CodeAt>
void PackRow(size_t row, size_t k, uint8_t* packed, CodeAt code_at) {
  const size_t kb = T2KBlocks(k);
  uint8_t* first = packed + (row / kT2RowGroup) * kb * kT2BlockBytes + (row % kT2RowGroup) * kT2RowBytes;
  for (size_t b = 0; b < kb; ++b) {
    uint8_t* dst = first + b * kT2BlockBytes;
    const size_t base = b * kT2BlockK;
    for (size_t j = 0; j < kT2RowBytes; ++j) {
      unsigned byte = 0;
      for (size_t s = 0; s < 4; ++s) {
        const size_t col = base + j + s * kT2SubBlock;
        const unsigned c = col < k ? code_at(col) : kT2CodeZero;
        byte |= c << (6 - 2 * s);
      }
      dst[j] = static_cast<uint8_t>(byte);
    }
  }
}

}  // namespace

Status PackT2(const uint8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes) {
  QC_RETURN_IF_ERROR(CheckShape("PackT2", n, k, packed_bytes));
  if (n > 0 && k > 0 && codes_stride < k) {
    return InvalidArgument("PackT2: codes row stride " + std::to_string(codes_stride) + " < k = " + std::to_string(k));
  }
  for (size_t row = 0; row < n; ++row) {
    for (size_t col = 0; col < k; ++col) {
      if (codes[row * codes_stride + col] > 2) {
        return InvalidArgument("PackT2: code " + std::to_string(codes[row * codes_stride + col]) + " at (row " +
                               std::to_string(row) + ", col " + std::to_string(col) + ") of " + Where(n, k) +
                               " is not a ternary code 0..2");
      }
    }
  }
  FillPadding(packed, T2PackedBytes(n, k));  // padding rows of the last group
  for (size_t row = 0; row < n; ++row) {
    const uint8_t* src = codes + row * codes_stride;
    PackRow(row, k, packed, [src](size_t col) { return static_cast<unsigned>(src[col]); });
  }
  return Status::Ok();
}

void UnpackT2(const uint8_t* packed, size_t n, size_t k, uint8_t* codes, size_t codes_stride) {
  for (size_t row = 0; row < n; ++row) {
    for (size_t col = 0; col < k; ++col) codes[row * codes_stride + col] = T2PackedCode(packed, k, row, col);
  }
}

Status PackT2FromDense(const uint8_t* dense, size_t dense_bytes, size_t n, size_t k, uint8_t* packed,
                       size_t packed_bytes) {
  QC_RETURN_IF_ERROR(CheckShape("PackT2FromDense", n, k, packed_bytes));
  if (dense_bytes < T2DenseBytes(n, k)) {
    return InvalidArgument("PackT2FromDense: dense T2 input of " + std::to_string(dense_bytes) + " bytes, " +
                           Where(n, k) + " needs " + std::to_string(T2DenseBytes(n, k)));
  }
  auto dense_code = [dense](size_t i) { return static_cast<unsigned>((dense[i / 4] >> (2 * (i % 4))) & 3u); };
  for (size_t i = 0; i < n * k; ++i) {
    if (dense_code(i) == 3) {
      return InvalidArgument("PackT2FromDense: code 3 at (row " + std::to_string(i / k) + ", col " +
                             std::to_string(i % k) + ") of " + Where(n, k) + " is not a ternary code 0..2");
    }
  }
  FillPadding(packed, T2PackedBytes(n, k));
  for (size_t row = 0; row < n; ++row) {
    PackRow(row, k, packed, [&dense_code, row, k](size_t col) { return dense_code(row * k + col); });
  }
  return Status::Ok();
}

void UnpackT2ToDense(const uint8_t* packed, size_t n, size_t k, uint8_t* dense) {
  if (n * k > 0) std::memset(dense, 0, T2DenseBytes(n, k));
  for (size_t row = 0; row < n; ++row) {
    for (size_t col = 0; col < k; ++col) {
      const size_t i = row * k + col;
      dense[i / 4] = static_cast<uint8_t>(dense[i / 4] | (T2PackedCode(packed, k, row, col) << (2 * (i % 4))));
    }
  }
}

}  // namespace qc
