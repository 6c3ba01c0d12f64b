// format/qm_types.h: the .qm schema's enums (from qm.fbs) and the rules on them that writer and reader share.
//
// Overview
//   The enums are the generated FlatBuffers ones (qc::qm::fb::DType, OpType, AttrKey, QuantGranularity, Datum),
//   re-exported as qc::qm::DType etc. so callers need not spell the `fb` namespace. Besides, this header knows each
//   dtype's bit width, the byte size of a tensor (overflow-checked), which enum values this build understands, and
//   printable names ("op type 42" for an unknown value). Header-only; needs the FlatBuffers headers (no library).
//
// Usage
//   uint64_t bytes = 0;
//   if (!qc::qm::TensorByteSize(qc::qm::DType::T2, dims, &bytes)) { /* overflow or negative dim */ }
//   if (!qc::qm::IsKnownOpType(op_type)) return qc::Unsupported("op type " + qc::qm::OpTypeName(op_type) + " ...");
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qm_generated.h"
#include "qm_layout.h"

namespace qc::qm {

using fb::AttrKey;
using fb::DType;
using fb::OpType;
using fb::QuantGranularity;

/// Kind of a typed datum (operator attribute or metadata value); numbers equal the schema's Datum union tags.
enum class DatumKind : uint8_t {
  kInt = static_cast<uint8_t>(fb::Datum::IntDatum),
  kFloat = static_cast<uint8_t>(fb::Datum::FloatDatum),
  kString = static_cast<uint8_t>(fb::Datum::StringDatum),
  kIntList = static_cast<uint8_t>(fb::Datum::IntListDatum),
  kFloatList = static_cast<uint8_t>(fb::Datum::FloatListDatum),
  kStringList = static_cast<uint8_t>(fb::Datum::StringListDatum),
  kBytes = static_cast<uint8_t>(fb::Datum::BytesDatum),
};

inline const char* DatumKindName(DatumKind kind) {
  switch (kind) {
    case DatumKind::kInt:
      return "int";
    case DatumKind::kFloat:
      return "float";
    case DatumKind::kString:
      return "string";
    case DatumKind::kIntList:
      return "int list";
    case DatumKind::kFloatList:
      return "float list";
    case DatumKind::kStringList:
      return "string list";
    case DatumKind::kBytes:
      return "bytes";
  }
  return "invalid";
}

/// "an int", "a string list", "a byte string": for messages like "is a string, not an int".
inline std::string DatumKindPhrase(DatumKind kind) {
  if (kind == DatumKind::kBytes) return "a byte string";
  const std::string name = DatumKindName(kind);
  return (name[0] == 'i' ? "an " : "a ") + name;
}

/// Bits per element; 0 for Invalid and for values this build does not know.
inline int DTypeBits(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 32;
    case DType::F16:
      return 16;
    case DType::BF16:
      return 16;
    case DType::I64:
      return 64;
    case DType::I32:
      return 32;
    case DType::I16:
      return 16;
    case DType::I8:
      return 8;
    case DType::U8:
      return 8;
    case DType::Bool:
      return 8;
    case DType::T2:
      return 2;
    case DType::I4:
      return 4;
    case DType::Invalid:
      return 0;
  }
  return 0;
}

inline bool IsKnownDType(DType dtype) {
  return DTypeBits(dtype) != 0;
}
inline bool IsKnownOpType(OpType type) {
  return type >= OpType::Embedding && type <= OpType::MAX;
}
inline bool IsKnownAttrKey(AttrKey key) {
  return key >= AttrKey::epsilon && key <= AttrKey::MAX;
}
inline bool IsKnownGranularity(QuantGranularity g) {
  return g >= QuantGranularity::PerTensor && g <= QuantGranularity::MAX;
}
inline bool IsKnownDatumTag(uint8_t tag) {
  return tag >= static_cast<uint8_t>(fb::Datum::IntDatum) && tag <= static_cast<uint8_t>(fb::Datum::MAX);
}

namespace internal {
inline std::string EnumText(const char* name, unsigned value) {
  if (name != nullptr && *name != '\0') return name;
  return "<unknown " + std::to_string(value) + ">";
}
}  // namespace internal

/// "F32", "T2"; "<unknown 200>" for a value outside the enum.
inline std::string DTypeName(DType v) {
  return internal::EnumText(IsKnownDType(v) ? fb::EnumNameDType(v) : nullptr, static_cast<unsigned>(v));
}
/// "Attention"; "<unknown 42>" for a value outside the enum.
inline std::string OpTypeName(OpType v) {
  return internal::EnumText(IsKnownOpType(v) ? fb::EnumNameOpType(v) : nullptr, static_cast<unsigned>(v));
}
/// "epsilon"; "<unknown 42>" for a value outside the enum.
inline std::string AttrKeyName(AttrKey v) {
  return internal::EnumText(IsKnownAttrKey(v) ? fb::EnumNameAttrKey(v) : nullptr, static_cast<unsigned>(v));
}

/// Storage bytes of a tensor with these fixed dims: ceil(elements * bits / 8). False for a negative or too large
/// dim (> kMaxDimSize), an unknown dtype, or overflow. A rank-0 tensor has one element.
inline bool TensorByteSize(DType dtype, const int64_t* dims, size_t rank, uint64_t* bytes) {
  const int bits = DTypeBits(dtype);
  if (bits == 0) return false;
  uint64_t elements = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0 || dims[i] > kMaxDimSize) return false;
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dims[i]), &elements)) return false;
  }
  uint64_t total_bits = 0;
  if (__builtin_mul_overflow(elements, static_cast<uint64_t>(bits), &total_bits)) return false;
  *bytes = total_bits / 8 + (total_bits % 8 != 0 ? 1 : 0);
  return true;
}
inline bool TensorByteSize(DType dtype, const std::vector<int64_t>& dims, uint64_t* bytes) {
  return TensorByteSize(dtype, dims.data(), dims.size(), bytes);
}

}  // namespace qc::qm
