// Calibration for static activation scales: runs the float model through the runtime on text and keeps, per
// requested activation, the running max |x| (passes/calibrate.h's ActivationObserver).
//
// The float graph (annotations stripped) is exported with the requested activations as extra graph outputs to a
// temporary .qm, loaded, and fed one text at a time (no padding rows in the statistics). Memory is one float per
// requested activation plus one inference, whatever the number of lines. The file holds one text per line; for TSV
// the first column is the text; empty lines are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "passes/calibrate.h"

namespace qc::tools {

class RuntimeCalibrationObserver final : public passes::ActivationObserver {
 public:
  explicit RuntimeCalibrationObserver(std::string text_path) : text_path_(std::move(text_path)) {}
  Expected<std::vector<float>> ObserveAbsMax(const ir::Graph& graph, const std::vector<ir::ValueId>& values) override;
  /// Texts run by the last ObserveAbsMax call.
  size_t samples() const { return samples_; }

 private:
  std::string text_path_;
  size_t samples_ = 0;
};

}  // namespace qc::tools
