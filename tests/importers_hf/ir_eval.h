// tests/importers_hf/ir_eval.h: a slow, obviously-correct evaluator of IR graphs (docs/ir.md semantics, double
// accumulation) so the importer's graphs can be checked against PyTorch reference outputs before the runtime
// executes them. Test code only; supports the ops the Hugging Face importer emits.
//
//   std::map<std::string, EvalTensor> inputs{{"input_ids", EvalTensor::Ints({2, 16}, ids)}, ...};
//   QC_ASSIGN_OR_RETURN(auto outputs, EvaluateGraph(graph, inputs));
//   const EvalTensor& logits = outputs.at("logits");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::hf::test {

/// A concrete tensor: f32 (values) or integer (ints), row-major.
struct EvalTensor {
  std::vector<int64_t> dims;
  std::vector<float> values;
  std::vector<int64_t> ints;
  bool is_int = false;

  static EvalTensor Floats(std::vector<int64_t> dims, std::vector<float> values);
  static EvalTensor Ints(std::vector<int64_t> dims, std::vector<int64_t> ints);
  int64_t size() const;
  /// Element i as double (either kind).
  double At(int64_t i) const {
    return is_int ? static_cast<double>(ints[static_cast<size_t>(i)]) : values[static_cast<size_t>(i)];
  }
};

/// Runs the graph on `inputs` (by graph input name) and returns every graph output by name.
Expected<std::map<std::string, EvalTensor>> EvaluateGraph(const ir::Graph& graph,
                                                          const std::map<std::string, EvalTensor>& inputs);

}  // namespace qc::hf::test
