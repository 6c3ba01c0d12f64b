#include "importers/onnx/host_tensor.h"

#include <cmath>
#include <sstream>

#include "importers/onnx/model_file.h"
#include "importers/onnx/tensor_convert.h"

namespace qc::onnx_import {

bool IsOnnxFloatType(int32_t t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE || t == onnx::TensorProto::FLOAT16 ||
         t == onnx::TensorProto::BFLOAT16;
}

double RoundToType(int32_t dtype, double v) {
  if (dtype == onnx::TensorProto::FLOAT) return static_cast<double>(static_cast<float>(v));
  return v;
}

int64_t WrapToType(int32_t dtype, int64_t v) {
  switch (dtype) {
    case onnx::TensorProto::BOOL:
      return v != 0 ? 1 : 0;
    case onnx::TensorProto::INT32:
      return static_cast<int32_t>(v);
    case onnx::TensorProto::INT16:
      return static_cast<int16_t>(v);
    case onnx::TensorProto::INT8:
      return static_cast<int8_t>(v);
    case onnx::TensorProto::UINT8:
      return static_cast<uint8_t>(v);
    default:
      return v;
  }
}

HostTensor HostTensor::Floats(int32_t dtype, std::vector<int64_t> dims, std::vector<double> values) {
  HostTensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.f = std::move(values);
  return t;
}

HostTensor HostTensor::Ints(int32_t dtype, std::vector<int64_t> dims, std::vector<int64_t> values) {
  HostTensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.i = std::move(values);
  return t;
}

HostTensor HostTensor::Zeros(int32_t dtype, std::vector<int64_t> dims, size_t count) {
  HostTensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  if (t.is_float()) {
    t.f.assign(count, 0.0);
  } else {
    t.i.assign(count, 0);
  }
  return t;
}

void HostTensor::Set(size_t k, double v) {
  if (is_float()) {
    f[k] = RoundToType(dtype, v);
  } else if (dtype == onnx::TensorProto::BOOL) {
    i[k] = v != 0.0 ? 1 : 0;
  } else {
    // Float -> int casts truncate toward zero (ONNX Cast); NaN/inf map to 0 rather than undefined behaviour.
    i[k] = std::isfinite(v) && std::fabs(v) < 9.2e18 ? WrapToType(dtype, static_cast<int64_t>(v)) : 0;
  }
}

void HostTensor::SetInt(size_t k, int64_t v) {
  if (is_float()) {
    f[k] = RoundToType(dtype, static_cast<double>(v));
  } else {
    i[k] = WrapToType(dtype, v);
  }
}

Expected<HostTensor> HostTensor::FromIr(const ir::Tensor& tensor) {
  HostTensor t;
  t.dtype = OnnxTypeFromIr(tensor.dtype());
  t.dims = tensor.dims();
  const size_t n = static_cast<size_t>(tensor.element_count());
  switch (tensor.dtype()) {
    case ir::DType::kF32: {
      QC_ASSIGN_OR_RETURN(std::vector<float> v, tensor.ToVector<float>());
      t.f.assign(v.begin(), v.end());
      return t;
    }
    case ir::DType::kI64: {
      QC_ASSIGN_OR_RETURN(t.i, tensor.ToVector<int64_t>());
      return t;
    }
    case ir::DType::kI32: {
      QC_ASSIGN_OR_RETURN(std::vector<int32_t> v, tensor.ToVector<int32_t>());
      t.i.assign(v.begin(), v.end());
      return t;
    }
    case ir::DType::kI16: {
      QC_ASSIGN_OR_RETURN(std::vector<int16_t> v, tensor.ToVector<int16_t>());
      t.i.assign(v.begin(), v.end());
      return t;
    }
    case ir::DType::kI8: {
      QC_ASSIGN_OR_RETURN(std::vector<int8_t> v, tensor.ToVector<int8_t>());
      t.i.assign(v.begin(), v.end());
      return t;
    }
    case ir::DType::kU8:
    case ir::DType::kBool: {
      t.i.resize(n);
      for (size_t k = 0; k < n; ++k) t.i[k] = tensor.raw_data()[k];
      return t;
    }
    default:
      return Unsupported("tensor " + tensor.TypeString() + " cannot be evaluated at import time");
  }
}

Expected<ir::Tensor> HostTensor::ToIr() const {
  switch (dtype) {
    case onnx::TensorProto::FLOAT: {
      std::vector<float> v(f.begin(), f.end());
      return ir::Tensor::FromVector<float>(dims, std::move(v));
    }
    case onnx::TensorProto::INT64:
      return ir::Tensor::FromVector<int64_t>(dims, i);
    case onnx::TensorProto::INT32: {
      std::vector<int32_t> v(i.begin(), i.end());
      return ir::Tensor::FromVector<int32_t>(dims, std::move(v));
    }
    case onnx::TensorProto::INT16: {
      std::vector<int16_t> v(i.begin(), i.end());
      return ir::Tensor::FromVector<int16_t>(dims, std::move(v));
    }
    case onnx::TensorProto::INT8: {
      std::vector<int8_t> v(i.begin(), i.end());
      return ir::Tensor::FromVector<int8_t>(dims, std::move(v));
    }
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      std::vector<uint8_t> v(i.begin(), i.end());
      return ir::Tensor::FromBytes(dtype == onnx::TensorProto::BOOL ? ir::DType::kBool : ir::DType::kU8, dims,
                                   std::move(v));
    }
    default:
      return Unsupported("a computed " + DataTypeName(dtype) + " constant has no IR dtype");
  }
}

std::string HostTensor::DebugString() const {
  std::ostringstream out;
  out << DataTypeName(dtype) << "[";
  for (size_t k = 0; k < dims.size(); ++k) out << (k ? ", " : "") << dims[k];
  out << "]{";
  for (size_t k = 0; k < size() && k < 8; ++k) {
    out << (k ? ", " : "");
    if (is_float()) {
      out << f[k];
    } else {
      out << i[k];
    }
  }
  if (size() > 8) out << ", ...";
  out << "}";
  return out.str();
}

}  // namespace qc::onnx_import
