// passes/calibrate.h: static activation ranges for nodes annotated with ActivationMode::kStatic.
//
// Overview
//   The pass lists the activation inputs that need a static scale (input 0 of every annotated Linear whose
//   activation mode is static), asks an ActivationObserver for max |x| of each over the calibration data, and stores
//   the ranges in PassContext::static_amax for lower_quantized. Running the float model is the observer's job, so
//   the passes do not depend on an executor: qcompress implements it with the runtime (tools/qcompress/calibration.h),
//   tests with a closed-form function. The observer keeps one running max per requested value, so memory is
//   O(number of quantized inputs), independent of the number of calibration samples.
//   A range of 0 (the value was always zero) cannot give a scale: that node falls back to per-token dynamic scales
//   and a warning says so.
//
// Usage
//   class MyObserver : public qc::passes::ActivationObserver { ... };
//   MyObserver observer;
//   auto pass = qc::passes::MakeCalibratePass(&observer);
#pragma once

#include <memory>
#include <vector>

#include "passes/pass.h"

namespace qc::passes {

class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  /// max |x| over all calibration samples for each of `values` (ids of `graph`, a float graph with annotations),
  /// in the same order. NaN values are an error.
  virtual Expected<std::vector<float>> ObserveAbsMax(const ir::Graph& graph, const std::vector<ir::ValueId>& values) = 0;
};

/// The values calibrate would ask the observer for: input 0 of annotated nodes with a static activation mode,
/// ascending id, each once.
std::vector<ir::ValueId> StaticActivationInputs(const ir::Graph& graph);

/// `observer` may be null: the pass then fails if any node needs a static scale (naming it).
std::unique_ptr<Pass> MakeCalibratePass(ActivationObserver* observer);

}  // namespace qc::passes
