#include "importers/onnx/model_file.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace qc::onnx_import {
namespace {

constexpr int64_t kMaxProtoBytes = int64_t{2} << 30;  // protobuf's hard limit for one message

Expected<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return NotFound(path + ": cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) return IoError(path + ": cannot determine file size");
  if (size >= kMaxProtoBytes) {
    return Unsupported(path + ": " + std::to_string(size) +
                       " bytes exceeds protobuf's 2 GiB limit; export with external data (.onnx.data)");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return IoError(path + ": read failed");
  return bytes;
}

template <typename T>
Expected<std::vector<T>> RawElements(const onnx::TensorProto& tensor, int64_t count, const std::string& what) {
  const std::string& raw = tensor.raw_data();
  const uint64_t want = static_cast<uint64_t>(count) * sizeof(T);
  if (raw.size() != want) {
    return CorruptData(what + ": raw_data holds " + std::to_string(raw.size()) + " bytes, shape needs " +
                       std::to_string(want));
  }
  std::vector<T> out(static_cast<size_t>(count));
  if (count > 0) std::memcpy(out.data(), raw.data(), raw.size());  // ONNX raw_data is little-endian, as is the host
  return out;
}

}  // namespace

Expected<onnx::ModelProto> ReadModelFile(const std::string& path) {
  QC_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return CorruptData(path + ": not a valid ONNX ModelProto (protobuf parse failed)");
  if (!model.has_graph()) return CorruptData(path + ": ModelProto has no graph");
  return model;
}

Expected<onnx::TensorProto> ReadTensorFile(const std::string& path) {
  QC_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  onnx::TensorProto tensor;
  if (!tensor.ParseFromString(bytes)) return CorruptData(path + ": not a valid ONNX TensorProto (protobuf parse failed)");
  return tensor;
}

Expected<int64_t> ElementCount(const onnx::TensorProto& tensor) {
  int64_t count = 1;
  for (int i = 0; i < tensor.dims_size(); ++i) {
    const int64_t d = tensor.dims(i);
    if (d < 0) return CorruptData("tensor '" + tensor.name() + "': dimension " + std::to_string(i) + " is negative");
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
      return OutOfRange("tensor '" + tensor.name() + "': element count overflows int64");
    }
    count *= d;
  }
  return count;
}

Expected<std::vector<float>> TensorToFloats(const onnx::TensorProto& tensor, const std::string& what) {
  if (tensor.data_type() != onnx::TensorProto::FLOAT) {
    return Unsupported(what + ": expected FLOAT data, got " + DataTypeName(tensor.data_type()));
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    return Unsupported(what + ": data is stored externally; read it through the model importer");
  }
  QC_ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor));
  if (tensor.has_raw_data()) return RawElements<float>(tensor, count, what);
  if (tensor.float_data_size() != count) {
    return CorruptData(what + ": float_data holds " + std::to_string(tensor.float_data_size()) +
                       " values, shape needs " + std::to_string(count));
  }
  return std::vector<float>(tensor.float_data().begin(), tensor.float_data().end());
}

Expected<std::vector<int64_t>> TensorToInt64s(const onnx::TensorProto& tensor, const std::string& what) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    return Unsupported(what + ": data is stored externally; read it through the model importer");
  }
  QC_ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor));
  if (tensor.data_type() == onnx::TensorProto::INT64) {
    if (tensor.has_raw_data()) return RawElements<int64_t>(tensor, count, what);
    if (tensor.int64_data_size() != count) {
      return CorruptData(what + ": int64_data holds " + std::to_string(tensor.int64_data_size()) +
                         " values, shape needs " + std::to_string(count));
    }
    return std::vector<int64_t>(tensor.int64_data().begin(), tensor.int64_data().end());
  }
  if (tensor.data_type() == onnx::TensorProto::INT32) {
    if (tensor.has_raw_data()) {
      QC_ASSIGN_OR_RETURN(std::vector<int32_t> narrow, RawElements<int32_t>(tensor, count, what));
      return std::vector<int64_t>(narrow.begin(), narrow.end());
    }
    if (tensor.int32_data_size() != count) {
      return CorruptData(what + ": int32_data holds " + std::to_string(tensor.int32_data_size()) +
                         " values, shape needs " + std::to_string(count));
    }
    return std::vector<int64_t>(tensor.int32_data().begin(), tensor.int32_data().end());
  }
  return Unsupported(what + ": expected INT64 or INT32 data, got " + DataTypeName(tensor.data_type()));
}

std::string DataTypeName(int32_t data_type) {
  if (onnx::TensorProto_DataType_IsValid(data_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
  }
  return "<unknown data type " + std::to_string(data_type) + ">";
}

}  // namespace qc::onnx_import
