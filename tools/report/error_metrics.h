// report/error_metrics.h: how far a compressed layer's output is from the float model's, as SQNR and cosine.
//
// Overview
//   SQNR (dB) = 10 log10( sum ref^2 / sum (ref - test)^2 ); cosine = <ref, test> / (|ref| |test|). Sums are kept
//   in float64 so that millions of eval activations do not lose the small error term. ErrorAccumulator adds
//   batches one at a time and gives the statistic over their concatenation (not the mean of per-batch values).
//   Edge cases, chosen so that the result is always a finite number the JSON report can carry:
//     * no error at all (test == ref, including both all-zero): sqnr_db = kMaxSqnrDb, cosine = 1
//     * ref all zero but test not: sqnr_db = -kMaxSqnrDb; |ref| or |test| zero (not both): cosine = 0
//     * SQNR is clamped to [-kMaxSqnrDb, kMaxSqnrDb]; cosine to [-1, 1] (rounding can overshoot by an ulp)
//
// Usage
//   qc::report::ErrorAccumulator acc;
//   for (const Batch& b : eval) acc.Add(float_out(b).data(), quant_out(b).data(), n);   // returns a Status
//   QC_ASSIGN_OR_RETURN(qc::report::ErrorStats s, acc.Result());
//   row.sqnr_db = s.sqnr_db; row.cosine = s.cosine;
#pragma once

#include <cstddef>

#include "qcompress/status.h"

namespace qc::report {

/// SQNR reported for an exact match; float64 round-off alone sits near 300 dB, so 200 dB means "no error".
inline constexpr double kMaxSqnrDb = 200.0;

struct ErrorStats {
  double sqnr_db = 0;
  double cosine = 0;
  double max_abs_error = 0;
  size_t count = 0;  ///< elements compared
};

class ErrorAccumulator {
 public:
  /// Adds n pairs; fails (and adds nothing) when a value is NaN or infinite, naming its index.
  Status Add(const float* reference, const float* test, size_t n);
  /// The statistics over everything added; fails when nothing was added.
  Expected<ErrorStats> Result() const;

 private:
  double ref_sq_ = 0, test_sq_ = 0, dot_ = 0, err_sq_ = 0, max_abs_ = 0;
  size_t count_ = 0;
};

/// One-shot form of ErrorAccumulator.
Expected<ErrorStats> CompareOutputs(const float* reference, const float* test, size_t n);

}  // namespace qc::report
