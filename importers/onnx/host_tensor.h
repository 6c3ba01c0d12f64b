// importers/onnx/host_tensor.h: small concrete tensors the importer computes with (constant folding, probes).
//
// Overview
//   A HostTensor is an ONNX element type, dims and the elements widened to double (float types) or int64 (integer
//   types and bool). Float results are rounded to float32 after every operation, so folding `Sqrt(1/Sqrt(16))` gives
//   the float32 value the exporter's runtime would. Only shape arithmetic, masks, scales and position ids go through
//   here; weights stay ir::Tensor views. Conversions to and from ir::Tensor check the element type.
//
// Usage
//   QC_ASSIGN_OR_RETURN(HostTensor t, HostTensor::FromIr(tensor));
//   if (t.size() == 1) scale = t.AsDouble(0);
//   HostTensor ids = HostTensor::Ints(onnx::TensorProto::INT64, {2, 5}, values);
//   QC_ASSIGN_OR_RETURN(ir::Tensor back, ids.ToIr());
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

/// FLOAT, DOUBLE, FLOAT16, BFLOAT16.
bool IsOnnxFloatType(int32_t onnx_type);

struct HostTensor {
  int32_t dtype = onnx::TensorProto::FLOAT;  ///< ONNX TensorProto.DataType
  std::vector<int64_t> dims;
  std::vector<double> f;   ///< elements when IsOnnxFloatType(dtype)
  std::vector<int64_t> i;  ///< elements otherwise (bool as 0/1)

  static HostTensor Floats(int32_t dtype, std::vector<int64_t> dims, std::vector<double> values);
  static HostTensor Ints(int32_t dtype, std::vector<int64_t> dims, std::vector<int64_t> values);
  /// A zero-filled tensor; `count` must equal the product of dims.
  static HostTensor Zeros(int32_t dtype, std::vector<int64_t> dims, size_t count);

  bool is_float() const { return IsOnnxFloatType(dtype); }
  size_t size() const { return is_float() ? f.size() : i.size(); }
  double AsDouble(size_t k) const { return is_float() ? f[k] : static_cast<double>(i[k]); }
  int64_t AsInt(size_t k) const { return is_float() ? static_cast<int64_t>(f[k]) : i[k]; }
  /// Stores `v` converted to this tensor's type (float rounding, integer truncation, bool != 0).
  void Set(size_t k, double v);
  void SetInt(size_t k, int64_t v);

  /// Copies an IR tensor (f32, f16 unsupported here, i64, i32, i16, i8, u8, bool).
  static Expected<HostTensor> FromIr(const ir::Tensor& tensor);
  /// Builds an IR tensor holding these elements (FLOAT -> f32, INT64/INT32/BOOL/...).
  Expected<ir::Tensor> ToIr() const;
  /// "f32[2, 3]{1, 2, ...}" for messages (at most 8 elements).
  std::string DebugString() const;
};

/// Rounds to the element type: float32 rounding for FLOAT, wrap-free truncation for integer types, 0/1 for BOOL.
double RoundToType(int32_t dtype, double v);
int64_t WrapToType(int32_t dtype, int64_t v);

}  // namespace qc::onnx_import
