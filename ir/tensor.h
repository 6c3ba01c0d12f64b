// ir/tensor.h: constant tensor data (weights, embedding tables, position tables) without copies.
//
// Overview
//   A `Tensor` is a dtype, static dims and a read-only byte range. The bytes are kept alive by a type-erased
//   `std::shared_ptr<const void>` owner, so one class covers data that lives in an mmapped checkpoint, inside a
//   protobuf message, or in a vector the tensor owns. Copying a Tensor copies the handle, never the bytes.
//   Every factory checks that the byte count equals the element count times the dtype size (packed sub-byte types:
//   rounded up to whole bytes) and that bool bytes are 0 or 1, so a Tensor that exists is well-formed.
//
//   Typed access is checked: data<T>() fails if T does not match the dtype or if the bytes are not aligned for T
//   (views into safetensors files need not be aligned); ToVector<T>() copies and works at any alignment.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::ir::Tensor w, qc::ir::Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
//   QC_ASSIGN_OR_RETURN(const float* p, w.data<float>());
//
//   auto file = std::make_shared<MappedFile>(...);               // whatever owns the mapping
//   QC_ASSIGN_OR_RETURN(qc::ir::Tensor view, qc::ir::Tensor::View(qc::ir::DType::kF32, {768, 768},
//                                                               file->data() + offset, 768 * 768 * 4, file));
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ir/dtype.h"
#include "ir/shape.h"
#include "qcompress/status.h"

namespace qc::ir {

class Tensor {
 public:
  /// Takes ownership of `values` (no copy of the elements; bool is repacked to one byte per element).
  template <typename T>
  static Expected<Tensor> FromVector(std::vector<int64_t> dims, std::vector<T> values);

  /// Takes ownership of raw bytes in the layout of `dtype` (the way to build f16, bf16, t2 and i4 tensors).
  static Expected<Tensor> FromBytes(DType dtype, std::vector<int64_t> dims, std::vector<uint8_t> bytes);

  /// Refers to `byte_size` bytes at `data` kept alive by `owner` (which may be null only if the caller guarantees
  /// the bytes outlive every copy of the Tensor, e.g. static storage).
  static Expected<Tensor> View(DType dtype, std::vector<int64_t> dims, const void* data, size_t byte_size,
                               std::shared_ptr<const void> owner);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  /// The dims as an IR shape (always static).
  Shape shape() const { return ShapeFromDims(dims_); }
  int64_t element_count() const { return element_count_; }
  size_t byte_size() const { return byte_size_; }
  const uint8_t* raw_data() const { return data_; }
  const std::shared_ptr<const void>& owner() const { return owner_; }

  /// Typed pointer to the elements. Errors when T's DType differs from dtype() or the data is misaligned for T.
  template <typename T>
  Expected<const T*> data() const;

  /// A copy of the elements as T (T's DType must equal dtype()); works at any alignment.
  template <typename T>
  Expected<std::vector<T>> ToVector() const;

  /// FNV-1a 64 over the bytes (ir/content_hash.h): equal for equal content on every platform.
  uint64_t ContentHash() const;

  /// "f32[2, 3]".
  std::string TypeString() const;

 private:
  Tensor(DType dtype, std::vector<int64_t> dims, int64_t element_count, const uint8_t* data, size_t byte_size,
         std::shared_ptr<const void> owner)
      : dtype_(dtype),
        dims_(std::move(dims)),
        element_count_(element_count),
        data_(data),
        byte_size_(byte_size),
        owner_(std::move(owner)) {}

  Status CheckElementType(DType requested) const;

  DType dtype_;
  std::vector<int64_t> dims_;
  int64_t element_count_;
  const uint8_t* data_;
  size_t byte_size_;
  std::shared_ptr<const void> owner_;
};

template <typename T>
Expected<Tensor> Tensor::FromVector(std::vector<int64_t> dims, std::vector<T> values) {
  static_assert(std::is_arithmetic_v<T>, "Tensor::FromVector takes arithmetic element types");
  if constexpr (std::is_same_v<T, bool>) {
    // std::vector<bool> is a bitset: repack to the IR's one-byte-per-element layout.
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return FromBytes(DType::kBool, std::move(dims), std::move(bytes));
  } else {
    auto storage = std::make_shared<std::vector<T>>(std::move(values));
    const void* data = storage->data();
    const size_t byte_size = storage->size() * sizeof(T);
    return View(DTypeOf<T>::value, std::move(dims), data, byte_size, std::move(storage));
  }
}

template <typename T>
Expected<const T*> Tensor::data() const {
  QC_RETURN_IF_ERROR(CheckElementType(DTypeOf<T>::value));
  if (reinterpret_cast<uintptr_t>(data_) % alignof(T) != 0) {
    return FailedPrecondition("tensor " + TypeString() + ": data is not aligned to " + std::to_string(alignof(T)) +
                              " bytes; use ToVector() to copy it");
  }
  return reinterpret_cast<const T*>(data_);
}

template <typename T>
Expected<std::vector<T>> Tensor::ToVector() const {
  QC_RETURN_IF_ERROR(CheckElementType(DTypeOf<T>::value));
  if constexpr (std::is_same_v<T, bool>) {
    return std::vector<bool>(data_, data_ + byte_size_);  // bytes are 0/1, checked at construction
  } else {
    std::vector<T> values(static_cast<size_t>(element_count_));
    if (byte_size_ > 0) std::memcpy(values.data(), data_, byte_size_);
    return values;
  }
}

}  // namespace qc::ir
