// Calibration for static activation scales: runs the float model through the runtime on text and keeps, per
// requested activation, the running max |x| (passes/calibrate.h's ActivationObserver).
//
// The float graph (annotations stripped) is exported with the requested activations as extra graph outputs to a
// temporary .qm, loaded, and fed one text at a time (no padding rows in the statistics). Memory is one float per
// requested activation plus one inference, whatever the number of lines. A .tsv file is GLUE-style: the text
// column(s) come from the header (sentence, sentence1 + sentence2, question + sentence, #1/#2 String, premise +
// hypothesis, text), CoLA's header-less 4 columns, --text-col, or else column 0 of a header-less file; pairs run as
// pairs. Any other file holds one text
// per line. Empty texts are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "passes/calibrate.h"

namespace qc::tools {

class RuntimeCalibrationObserver final : public passes::ActivationObserver {
 public:
  /// `text_columns`: 0-based columns (1 or 2; --text-col), empty = detect; `has_header` applies to them.
  explicit RuntimeCalibrationObserver(std::string text_path, std::vector<int> text_columns = {}, bool has_header = true)
      : text_path_(std::move(text_path)), columns_(std::move(text_columns)), has_header_(has_header) {}
  Expected<std::vector<float>> ObserveAbsMax(const ir::Graph& graph, const std::vector<ir::ValueId>& values) override;
  /// Texts run by the last ObserveAbsMax call.
  size_t samples() const { return samples_; }

 private:
  // Decides the text columns from the first line; *first_is_header when that line is to be skipped.
  Status DetectColumns(const std::string& first_line, bool* first_is_header);

  std::string text_path_;
  std::vector<int> columns_;  ///< {-1}: the whole line
  bool has_header_ = true;
  size_t samples_ = 0;
};

}  // namespace qc::tools
