// ir/dtype.h: element types of IR values and constant tensors.
//
// Overview
//   `DType` is generated from the X-macro list in ir/dtypes.inc, so enum, names and bit widths come from one place.
//   Names are the short lower-case forms the printer and the CLI use ("f32", "i64", "t2"). Sub-byte types (t2 =
//   ternary 2-bit codes, i4 = int4) are stored packed; PackedByteSize() gives the storage size of n elements.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::ir::DType dtype, qc::ir::ParseDType("bf16"));
//   int bits = qc::ir::DTypeBits(dtype);                              // 16
//   QC_ASSIGN_OR_RETURN(uint64_t bytes, qc::ir::PackedByteSize(qc::ir::DType::kT2, 10));  // 3
//   static_assert(qc::ir::DTypeOf<float>::value == qc::ir::DType::kF32);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qcompress/status.h"

namespace qc::ir {

enum class DType : uint8_t {
#define QC_IR_DTYPE(name, text, bits) name,
#include "ir/dtypes.inc"
#undef QC_IR_DTYPE
};

/// Number of DType values; they are 0..kNumDTypes-1.
inline constexpr size_t kNumDTypes = 0
#define QC_IR_DTYPE(name, text, bits) +1
#include "ir/dtypes.inc"
#undef QC_IR_DTYPE
    ;

/// Short name: "f32", "i64", "t2". "invalid" for a value outside the enum (e.g. a corrupt cast).
std::string_view DTypeName(DType dtype);

/// Inverse of DTypeName; the error quotes the text and lists the valid names.
Expected<DType> ParseDType(std::string_view text);

/// Bits per element: 32 for f32, 2 for t2, 8 for bool (one byte per element). 0 for an invalid value.
int DTypeBits(DType dtype);

/// f32, f16, bf16.
bool IsFloatDType(DType dtype);
/// Signed or unsigned integers, including packed i4 (not bool, not the t2 code type).
bool IsIntegerDType(DType dtype);
/// Types with fewer than 8 bits per element, stored several to a byte.
bool IsPackedDType(DType dtype);

/// Storage bytes of `elements` elements: ceil(elements * bits / 8). Errors for negative counts and overflow.
Expected<uint64_t> PackedByteSize(DType dtype, int64_t elements);

/// Maps a C++ element type to its DType; only byte-addressable types with a native representation have one
/// (f16, bf16, t2 and i4 are reached through raw bytes).
template <typename T>
struct DTypeOf;  // undefined for unsupported types: a compile error names the type
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kF32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kI64;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kI32;
};
template <>
struct DTypeOf<int16_t> {
  static constexpr DType value = DType::kI16;
};
template <>
struct DTypeOf<int8_t> {
  static constexpr DType value = DType::kI8;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kU8;
};
template <>
struct DTypeOf<bool> {
  static_assert(sizeof(bool) == 1, "the IR stores bool as one byte per element");
  static constexpr DType value = DType::kBool;
};

}  // namespace qc::ir
