// tests/qat/qat_test_util.h: fixture loading and tensor comparison for the qat/ tests. Includes LibTorch, so include
// this before doctest (c10 defines CHECK).
//
// Usage
//   auto inputs = qc::qat::test::ReadTensorDir(dir / "reference", "input_").value();   // name -> tensor
//   auto outputs = qc::qat::test::ReadTensorDir(dir / "reference", "output_").value();
//   double diff = qc::qat::test::MaxAbsDiff(result.outputs[0], outputs.at("logits"));
#pragma once

// clang-format off
#include <torch/torch.h>
// clang-format on

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "importers/onnx/model_file.h"
#include "qcompress/status.h"
#include "tests/support/test_paths.h"

namespace qc::qat::test {

/// Reads `<dir>/<prefix>0.pb`, `<prefix>1.pb`, ... (ONNX TensorProto, FLOAT or INT64) until one is missing; the map is
/// keyed by each tensor's name.
inline Expected<std::map<std::string, torch::Tensor>> ReadTensorDir(const std::filesystem::path& dir,
                                                                    const std::string& prefix) {
  std::map<std::string, torch::Tensor> tensors;
  for (int i = 0;; ++i) {
    const std::filesystem::path path = dir / (prefix + std::to_string(i) + ".pb");
    if (!std::filesystem::exists(path)) break;
    QC_ASSIGN_OR_RETURN(onnx::TensorProto proto, qc::onnx_import::ReadTensorFile(path.string()));
    std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
    torch::Tensor t;
    if (proto.data_type() == onnx::TensorProto::FLOAT) {
      QC_ASSIGN_OR_RETURN(std::vector<float> v, qc::onnx_import::TensorToFloats(proto, path.string()));
      t = torch::from_blob(v.data(), dims, torch::kFloat).clone();
    } else {
      QC_ASSIGN_OR_RETURN(std::vector<int64_t> v, qc::onnx_import::TensorToInt64s(proto, path.string()));
      t = torch::from_blob(v.data(), dims, torch::kLong).clone();
    }
    tensors[proto.name()] = t;
  }
  if (tensors.empty()) return NotFound(dir.string() + ": no " + prefix + "N.pb files");
  return tensors;
}

inline double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach().to(torch::kDouble) - b.detach().to(torch::kDouble)).abs().max().item<double>();
}

/// A float32 tensor's elements in row-major order.
inline std::vector<float> Values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

/// True when both tensors have the same shape and identical bits.
inline bool BitIdentical(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  const torch::Tensor x = a.detach().contiguous();
  const torch::Tensor y = b.detach().contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

inline std::filesystem::path FixtureDir(const std::string& relative) {
  return qc::test::FixturesDir() / relative;
}

}  // namespace qc::qat::test
