#include "ir/tensor.h"

#include "ir/content_hash.h"

namespace qc::ir {

Expected<Tensor> Tensor::FromBytes(DType dtype, std::vector<int64_t> dims, std::vector<uint8_t> bytes) {
  auto storage = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  const void* data = storage->data();
  const size_t byte_size = storage->size();
  return View(dtype, std::move(dims), data, byte_size, std::move(storage));
}

Expected<Tensor> Tensor::View(DType dtype, std::vector<int64_t> dims, const void* data, size_t byte_size,
                              std::shared_ptr<const void> owner) {
  const std::string what = "tensor " + std::string(DTypeName(dtype)) + ToString(ShapeFromDims(dims));
  if (DTypeBits(dtype) == 0) return InvalidArgument(what + ": invalid dtype");
  Expected<int64_t> elements = ElementCount(dims);
  if (!elements.ok()) return elements.status().WithContext(what);
  Expected<uint64_t> expected_bytes = PackedByteSize(dtype, *elements);
  if (!expected_bytes.ok()) return expected_bytes.status().WithContext(what);
  if (*expected_bytes != byte_size) {
    return InvalidArgument(what + ": has " + std::to_string(byte_size) + " bytes, its shape needs " +
                           std::to_string(*expected_bytes));
  }
  if (data == nullptr && byte_size > 0) return InvalidArgument(what + ": null data pointer");
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (dtype == DType::kBool) {
    // Reading a byte other than 0 or 1 as bool is undefined behaviour, so reject it here once.
    for (size_t i = 0; i < byte_size; ++i) {
      if (bytes[i] > 1) {
        return InvalidArgument(what + ": bool element " + std::to_string(i) + " has byte value " +
                               std::to_string(bytes[i]) + " (must be 0 or 1)");
      }
    }
  }
  return Tensor(dtype, std::move(dims), *elements, bytes, byte_size, std::move(owner));
}

Status Tensor::CheckElementType(DType requested) const {
  if (requested == dtype_) return Status::Ok();
  return InvalidArgument("tensor " + TypeString() + ": requested as " + std::string(DTypeName(requested)));
}

uint64_t Tensor::ContentHash() const {
  return Fnv1a64(data_, byte_size_);
}

std::string Tensor::TypeString() const {
  return std::string(DTypeName(dtype_)) + ToString(ShapeFromDims(dims_));
}

}  // namespace qc::ir
