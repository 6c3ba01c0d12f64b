// tests/quantized/stage_parity.h: every quantized op of a compressed .qm checked against the independent scalar
// simulation (quant_sim.h) on the activations the runtime actually feeds it.
//
// Overview
//   The model is re-imported with its quantized ops (exporters/qm/to_ir.h, allow_quantized), the inputs and output
//   of every QLinear / QAttention / QAttentionQkv (checked on its q, k, v column ranges) / QEmbedding are made graph
//   outputs, and the result is run by the runtime. Each op is then recomputed from the runtime's own inputs to it:
//   weights decoded from the documented packed layout, activations quantized with §3's formulas, exact int64
//   products, §7's float epilogue. Checking op by op (rather than one simulated forward against another) is what
//   makes bit equality meaningful for a deep model: a float LayerNorm summed in another order may move one
//   activation across a rounding boundary, and everything after it would differ for a reason that is not a kernel
//   error.
//
//   Per op the check counts
//     - bit mismatches: runtime output != the contract formula evaluated in float32 (docs/quantization.md §7), i.e.
//       the integer part (Y_int, S_int, O_int, codes) and its float epilogue are identical;
//     - fake-quant violations (QLinear only): |y − y_fq| > 1e-5·(Σ|ŵ x̂| + |b|) (+ GELU's own error budget when
//       there is an epilogue), where y_fq is the float64 fake-quant forward Σ ŵ x̂ + b;
//     - the largest relative deviation |y − y_fq| / (Σ|ŵ x̂| + |b|).
//
// Usage
//   QC_ASSIGN_OR_RETURN(auto checker, qc::test::StageParityChecker::Open("student.qm"));
//   QC_ASSIGN_OR_RETURN(auto inputs, checker.Tokenize({"a gripping film", "dull"}));
//   QC_RETURN_IF_ERROR(checker.Check(inputs, &totals));   // accumulates into totals (one entry per op type)
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qcompress/runtime.h"

namespace qc::test {

struct StageTotals {
  size_t ops = 0;              ///< op instances checked (summed over batches)
  size_t elements = 0;         ///< output elements compared
  size_t bit_mismatches = 0;   ///< elements whose float32 bits differ from the contract formula
  size_t fq_violations = 0;    ///< QLinear elements outside the fake-quant bound
  double max_fq_relative = 0;  ///< max |y − y_fq| / magnitude (QLinear)
  std::string first_mismatch;  ///< where the first bit mismatch was seen ("" when none)
};

class StageParityChecker {
 public:
  /// Loads `qm_path` and a copy of it with the quantized ops' inputs and outputs exposed. `threads` sets the
  /// runtime session's thread count (results must not depend on it).
  static Expected<StageParityChecker> Open(const std::string& qm_path, int threads = 1);

  /// The model's inputs for texts (pairs when non-empty) via its embedded tokenizer.
  Expected<std::vector<NamedTensor>> Tokenize(const std::vector<std::string>& texts,
                                              const std::vector<std::string>& pairs = {}) const;

  /// Runs one batch and checks every quantized op; totals are keyed by op type name ("QLinear", ...).
  Status Check(const std::vector<NamedTensor>& inputs, std::map<std::string, StageTotals>* totals);

  /// Quantized op instances found in the model.
  size_t num_stages() const;

  StageParityChecker(StageParityChecker&&) noexcept;
  StageParityChecker& operator=(StageParityChecker&&) noexcept;
  ~StageParityChecker();

  struct State;

 private:
  explicit StageParityChecker(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace qc::test
