#include "ir/dtype.h"

#include <limits>
#include <string>

namespace qc::ir {
namespace {

struct DTypeInfo {
  std::string_view name;
  int bits;
};

constexpr DTypeInfo kDTypeInfo[] = {
#define QC_IR_DTYPE(name, text, bits) {text, bits},
#include "ir/dtypes.inc"
#undef QC_IR_DTYPE
};
static_assert(sizeof(kDTypeInfo) / sizeof(kDTypeInfo[0]) == kNumDTypes);

bool IsValid(DType dtype) {
  return static_cast<size_t>(dtype) < kNumDTypes;
}

}  // namespace

std::string_view DTypeName(DType dtype) {
  return IsValid(dtype) ? kDTypeInfo[static_cast<size_t>(dtype)].name : std::string_view("invalid");
}

Expected<DType> ParseDType(std::string_view text) {
  for (size_t i = 0; i < kNumDTypes; ++i) {
    if (kDTypeInfo[i].name == text) return static_cast<DType>(i);
  }
  std::string message = "unknown dtype '" + std::string(text) + "' (valid:";
  for (const DTypeInfo& info : kDTypeInfo) {
    message += ' ';
    message += info.name;
  }
  message += ')';
  return InvalidArgument(std::move(message));
}

int DTypeBits(DType dtype) {
  return IsValid(dtype) ? kDTypeInfo[static_cast<size_t>(dtype)].bits : 0;
}

bool IsFloatDType(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

bool IsIntegerDType(DType dtype) {
  switch (dtype) {
    case DType::kI64:
    case DType::kI32:
    case DType::kI16:
    case DType::kI8:
    case DType::kU8:
    case DType::kI4:
      return true;
    default:
      return false;
  }
}

bool IsPackedDType(DType dtype) {
  return IsValid(dtype) && DTypeBits(dtype) < 8;
}

Expected<uint64_t> PackedByteSize(DType dtype, int64_t elements) {
  if (!IsValid(dtype)) return InvalidArgument("invalid dtype value " + std::to_string(static_cast<int>(dtype)));
  if (elements < 0) return InvalidArgument("negative element count " + std::to_string(elements));
  const auto bits = static_cast<uint64_t>(DTypeBits(dtype));
  const auto count = static_cast<uint64_t>(elements);
  if (count > std::numeric_limits<uint64_t>::max() / bits) {
    return OutOfRange(std::to_string(elements) + " elements of " + std::string(DTypeName(dtype)) +
                      " overflow a 64-bit byte size");
  }
  const uint64_t total_bits = count * bits;
  return total_bits / 8 + (total_bits % 8 != 0 ? 1 : 0);
}

}  // namespace qc::ir
