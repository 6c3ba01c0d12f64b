#include "report/error_metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace qc::report {

Status ErrorAccumulator::Add(const float* reference, const float* test, size_t n) {
  // Validate first so that a rejected batch leaves the sums untouched.
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(reference[i])) {
      return InvalidArgument("error metrics: reference value " + std::to_string(i) + " is not finite");
    }
    if (!std::isfinite(test[i])) {
      return InvalidArgument("error metrics: test value " + std::to_string(i) + " is not finite");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const double r = reference[i], t = test[i], e = r - t;
    ref_sq_ += r * r;
    test_sq_ += t * t;
    dot_ += r * t;
    err_sq_ += e * e;
    max_abs_ = std::max(max_abs_, std::fabs(e));
  }
  count_ += n;
  return Status::Ok();
}

Expected<ErrorStats> ErrorAccumulator::Result() const {
  if (count_ == 0) return FailedPrecondition("error metrics: no values were added");
  ErrorStats s;
  s.count = count_;
  s.max_abs_error = max_abs_;
  if (err_sq_ == 0) {
    s.sqnr_db = kMaxSqnrDb;
  } else if (ref_sq_ == 0) {
    s.sqnr_db = -kMaxSqnrDb;
  } else {
    s.sqnr_db = std::clamp(10.0 * std::log10(ref_sq_ / err_sq_), -kMaxSqnrDb, kMaxSqnrDb);
  }
  if (err_sq_ == 0) {
    s.cosine = 1;  // identical (including both all-zero); the division below could round to 1 - ulp
  } else if (ref_sq_ == 0 || test_sq_ == 0) {
    s.cosine = 0;
  } else {
    s.cosine = std::clamp(dot_ / std::sqrt(ref_sq_ * test_sq_), -1.0, 1.0);
  }
  return s;
}

Expected<ErrorStats> CompareOutputs(const float* reference, const float* test, size_t n) {
  ErrorAccumulator acc;
  QC_RETURN_IF_ERROR(acc.Add(reference, test, n));
  return acc.Result();
}

}  // namespace qc::report
