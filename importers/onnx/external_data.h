// importers/onnx/external_data.h: safe access to ONNX external tensor data (`model.onnx` + `model.onnx.data`).
//
// Overview
//   A TensorProto with `data_location = EXTERNAL` names its bytes by `external_data` key/values: `location` (a path
//   relative to the model's directory), `offset` and `length` (decimal byte counts; offset defaults to 0, length to
//   the tensor's size). ExternalDataResolver turns that into a read-only byte range without copying: each file is
//   mmapped once and the mapping is shared by every ir::Tensor that views it (the Tensor's owner keeps it alive).
//   Hostile files are rejected before any byte is read: absolute locations, any `..` component, backslashes, a NUL,
//   a symlink that resolves outside the model's directory, non-regular files, unparsable numbers, and ranges past
//   the end of the file (overflow-safe). `checksum` is not verified; `basepath` is ignored (writers never store it).
//
// Usage
//   ExternalDataResolver resolver("/models/bert");            // the directory holding model.onnx
//   QC_ASSIGN_OR_RETURN(ExternalBytes bytes, resolver.Resolve(tensor_proto, 64 * 64 * 4, "initializer 'w'"));
//   QC_ASSIGN_OR_RETURN(ir::Tensor t, ir::Tensor::View(ir::DType::kF32, {64, 64}, bytes.data, bytes.size,
//                                                      bytes.owner));
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "qcompress/status.h"

namespace qc::onnx_import {

/// A byte range inside a mapped external data file; `owner` keeps the mapping alive.
struct ExternalBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

class ExternalDataResolver {
 public:
  /// `base_dir`: the directory of the model file ("" = the current directory).
  explicit ExternalDataResolver(std::string base_dir);

  /// The `expected_bytes` bytes of `tensor`'s external data. `what` names the tensor in errors (the caller adds the
  /// model path). Errors: kInvalidArgument for hostile or malformed keys, kNotFound / kIoError for the file,
  /// kCorruptData for ranges outside the file or a `length` that disagrees with the tensor's shape.
  Expected<ExternalBytes> Resolve(const onnx::TensorProto& tensor, uint64_t expected_bytes, const std::string& what);

 private:
  struct Mapping;
  Expected<std::shared_ptr<Mapping>> Open(const std::string& location, const std::string& what);

  std::string base_dir_;
  std::map<std::string, std::shared_ptr<Mapping>> files_;  // by location, so each file is mapped once
};

/// Checks a `location` value: relative, no `..` component, no backslash or NUL, not empty. Exposed for tests.
Status CheckExternalLocation(const std::string& location);

}  // namespace qc::onnx_import
