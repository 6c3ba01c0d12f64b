// tests/qat/packed_run.h: the packed side of the fake-quant-vs-runtime tests: an annotated graph lowered
// (passes/lower_quantized), exported to a temporary .qm, loaded and run by the runtime on a BERT-style batch.
//
// Usage
//   REQUIRE(qc::qat::AnnotateQuantization(*student, recipe, graph).ok());
//   auto packed = qc::qat::test::RunPacked(graph, ids, mask, batch, seq, "qc_my_test.qm");   // first output
//   REQUIRE_MESSAGE(packed.ok(), packed.status().ToString());
//   double worst = qc::qat::test::MaxAbsDiffOf(*packed, fake_logits, &scale);
#pragma once

// clang-format off
#include <torch/torch.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "passes/lower_quantized.h"
#include "qcompress/runtime.h"

namespace qc::qat::test {

/// A [batch, seq] batch over the synthetic encoder's 100-word vocabulary; the last `masked` tokens of row 0 are
/// padding (attention_mask 0).
struct TestBatch {
  int64_t batch = 0, seq = 0;
  std::vector<int64_t> ids, mask;
  /// input_ids and attention_mask as TorchModel::Forward takes them.
  std::map<std::string, torch::Tensor> Inputs() const {
    return {{"input_ids", torch::tensor(ids).reshape({batch, seq})},
            {"attention_mask", torch::tensor(mask).reshape({batch, seq})}};
  }
};
inline TestBatch MakeTestBatch(int64_t batch, int64_t seq, int64_t masked = 1) {
  TestBatch t{batch, seq, std::vector<int64_t>(static_cast<size_t>(batch * seq)),
              std::vector<int64_t>(static_cast<size_t>(batch * seq), 1)};
  for (size_t i = 0; i < t.ids.size(); ++i) t.ids[i] = static_cast<int64_t>((i * 37 + 11) % 100);
  for (int64_t j = 1; j <= masked; ++j) t.mask[static_cast<size_t>(seq - j)] = 0;
  return t;
}

/// Lowers `graph` in place, exports it to `file_name` in the temp directory (removed afterwards) and returns the
/// runtime's first output for input_ids / attention_mask of shape [batch, seq].
inline Expected<std::vector<float>> RunPacked(ir::Graph& graph, const std::vector<int64_t>& ids,
                                              const std::vector<int64_t>& mask, int64_t batch, int64_t seq,
                                              const std::string& file_name) {
  passes::PassContext context;
  QC_RETURN_IF_ERROR(passes::MakeLowerQuantizedPass()->Run(graph, context).status());
  const std::string path = (std::filesystem::temp_directory_path() / file_name).string();
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress";
  provenance.producer_version = "0.1.0";
  QC_RETURN_IF_ERROR(ExportQm(graph, provenance, path));
  QC_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::Load(path));
  std::filesystem::remove(path);  // the model keeps its mapping
  QC_ASSIGN_OR_RETURN(Session session, Session::Create(model));
  QC_ASSIGN_OR_RETURN(auto out, session.Run({{"input_ids", HostTensor::Int64({batch, seq}, ids)},
                                             {"attention_mask", HostTensor::Int64({batch, seq}, mask)}}));
  return out[0].tensor.floats;
}
inline Expected<std::vector<float>> RunPacked(ir::Graph& graph, const TestBatch& b, const std::string& file_name) {
  return RunPacked(graph, b.ids, b.mask, b.batch, b.seq, file_name);
}

/// max |packed − fake| over all elements (fake: a float32 tensor of the same element count); `scale` gets max |packed|.
inline double MaxAbsDiffOf(const std::vector<float>& packed, const torch::Tensor& fake, double* scale) {
  const torch::Tensor f = fake.detach().contiguous();
  double worst = 0.0;
  *scale = 0.0;
  for (size_t i = 0; i < packed.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(packed[i]) - f.data_ptr<float>()[i]));
    *scale = std::max(*scale, std::fabs(static_cast<double>(packed[i])));
  }
  return worst;
}

}  // namespace qc::qat::test
