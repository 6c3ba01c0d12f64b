// importers/onnx/tensor_convert.h: ONNX TensorProto -> ir::Tensor without copying the bytes where possible.
//
// Overview
//   Initializers and Constant-node values become ir::Tensors. `raw_data`, `float_data` and `int64_data` are viewed in
//   place (the owner handle keeps the parsed ModelProto alive); external data is viewed inside an mmapped file
//   (importers/onnx/external_data.h); narrow types stored widened in `int32_data` (int8/16, uint8, bool, float16) are
//   repacked. Element types without an IR dtype (double, string, complex, uint16/32/64) are kUnsupported.
//
// Usage
//   auto model = std::make_shared<onnx::ModelProto>(...);
//   ExternalDataResolver ext(dir);
//   QC_ASSIGN_OR_RETURN(ir::Tensor t, TensorFromProto(model->graph().initializer(0), model, &ext, "initializer 'w'"));
#pragma once

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "importers/onnx/external_data.h"
#include "ir/dtype.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

/// The IR dtype of an ONNX TensorProto.DataType; kUnsupported names the type.
Expected<ir::DType> IrDTypeFromOnnx(int32_t onnx_type);
/// The ONNX TensorProto.DataType of an IR dtype (0 for t2 / i4, which ONNX cannot hold).
int32_t OnnxTypeFromIr(ir::DType dtype);

/// Converts `proto`. `owner` keeps `proto`'s storage alive for views; `external` may be null (then EXTERNAL data is
/// an error). `what` names the tensor in errors.
Expected<ir::Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::shared_ptr<const void>& owner,
                                     ExternalDataResolver* external, const std::string& what);

}  // namespace qc::onnx_import
