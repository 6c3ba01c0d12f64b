#include "importers/onnx/tensor_convert.h"

#include <vector>

#include "importers/onnx/model_file.h"

namespace qc::onnx_import {
namespace {

template <typename Field>
Status CheckCount(const Field& field, int64_t count, const char* field_name, const std::string& what) {
  if (field.size() != count) {
    return CorruptData(what + ": " + field_name + " holds " + std::to_string(field.size()) + " values, shape needs " +
                       std::to_string(count));
  }
  return Status::Ok();
}

// Narrow element types that TensorProto stores one per int32_data entry.
Expected<ir::Tensor> FromInt32Field(const onnx::TensorProto& proto, ir::DType dtype, std::vector<int64_t> dims,
                                    int64_t count, const std::string& what) {
  QC_RETURN_IF_ERROR(CheckCount(proto.int32_data(), count, "int32_data", what));
  const int bytes_per = ir::DTypeBits(dtype) / 8;
  std::vector<uint8_t> bytes(static_cast<size_t>(count) * static_cast<size_t>(bytes_per));
  for (int64_t i = 0; i < count; ++i) {
    const auto v = static_cast<uint32_t>(proto.int32_data(static_cast<int>(i)));
    for (int b = 0; b < bytes_per; ++b)
      bytes[static_cast<size_t>(i * bytes_per + b)] = static_cast<uint8_t>(v >> (8 * b));
  }
  return ir::Tensor::FromBytes(dtype, std::move(dims), std::move(bytes));
}

}  // namespace

Expected<ir::DType> IrDTypeFromOnnx(int32_t onnx_type) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT:
      return ir::DType::kF32;
    case onnx::TensorProto::FLOAT16:
      return ir::DType::kF16;
    case onnx::TensorProto::BFLOAT16:
      return ir::DType::kBF16;
    case onnx::TensorProto::INT64:
      return ir::DType::kI64;
    case onnx::TensorProto::INT32:
      return ir::DType::kI32;
    case onnx::TensorProto::INT16:
      return ir::DType::kI16;
    case onnx::TensorProto::INT8:
      return ir::DType::kI8;
    case onnx::TensorProto::UINT8:
      return ir::DType::kU8;
    case onnx::TensorProto::BOOL:
      return ir::DType::kBool;
    default:
      return Unsupported("element type " + DataTypeName(onnx_type) + " has no IR dtype");
  }
}

int32_t OnnxTypeFromIr(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return onnx::TensorProto::FLOAT;
    case ir::DType::kF16:
      return onnx::TensorProto::FLOAT16;
    case ir::DType::kBF16:
      return onnx::TensorProto::BFLOAT16;
    case ir::DType::kI64:
      return onnx::TensorProto::INT64;
    case ir::DType::kI32:
      return onnx::TensorProto::INT32;
    case ir::DType::kI16:
      return onnx::TensorProto::INT16;
    case ir::DType::kI8:
      return onnx::TensorProto::INT8;
    case ir::DType::kU8:
      return onnx::TensorProto::UINT8;
    case ir::DType::kBool:
      return onnx::TensorProto::BOOL;
    case ir::DType::kT2:
    case ir::DType::kI4:
      return 0;
  }
  return 0;
}

Expected<ir::Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::shared_ptr<const void>& owner,
                                     ExternalDataResolver* external, const std::string& what) {
  if (proto.has_segment()) return Unsupported(what + ": segmented tensors are not supported");
  Expected<ir::DType> dtype = IrDTypeFromOnnx(proto.data_type());
  if (!dtype.ok()) return dtype.status().WithContext(what);
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  QC_ASSIGN_OR_RETURN(int64_t count, ElementCount(proto));
  QC_ASSIGN_OR_RETURN(uint64_t byte_size, ir::PackedByteSize(*dtype, count));

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    if (external == nullptr) return Unsupported(what + ": external data is not available here");
    QC_ASSIGN_OR_RETURN(ExternalBytes bytes, external->Resolve(proto, byte_size, what));
    return ir::Tensor::View(*dtype, std::move(dims), bytes.data, bytes.size, bytes.owner);
  }
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != byte_size) {
      return CorruptData(what + ": raw_data holds " + std::to_string(raw.size()) + " bytes, shape needs " +
                         std::to_string(byte_size));
    }
    // ONNX raw_data is little-endian, as is every host qcompress supports.
    return ir::Tensor::View(*dtype, std::move(dims), raw.data(), raw.size(), owner);
  }
  switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT:
      QC_RETURN_IF_ERROR(CheckCount(proto.float_data(), count, "float_data", what));
      return ir::Tensor::View(*dtype, std::move(dims), proto.float_data().data(), byte_size, owner);
    case onnx::TensorProto::INT64:
      QC_RETURN_IF_ERROR(CheckCount(proto.int64_data(), count, "int64_data", what));
      return ir::Tensor::View(*dtype, std::move(dims), proto.int64_data().data(), byte_size, owner);
    case onnx::TensorProto::INT32:
      QC_RETURN_IF_ERROR(CheckCount(proto.int32_data(), count, "int32_data", what));
      return ir::Tensor::View(*dtype, std::move(dims), proto.int32_data().data(), byte_size, owner);
    default:
      return FromInt32Field(proto, *dtype, std::move(dims), count, what);
  }
}

}  // namespace qc::onnx_import
