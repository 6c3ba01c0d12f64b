// Progress for long steps (calibration, training). On a terminal: one self-redrawing bar with rate and ETA. Elsewhere
// (CI logs, pipes): one plain line per update, so logs stay greppable and free of control characters.
//
//   ProgressBar bar(std::cerr, "train", 600, ProgressBar::StreamIsTerminal(stderr));
//   for (...) bar.Update(step, "loss 0.412");
//   bar.Finish("done");
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>

namespace qc::tools {

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, std::string label, int64_t total, bool terminal);
  /// `done` of `total` units finished; `detail` follows the counters ("loss 0.41, dev 0.874").
  void Update(int64_t done, const std::string& detail = "");
  /// Ends the bar's line (terminal) and prints `detail` with the elapsed time.
  void Finish(const std::string& detail = "");

  static bool StreamIsTerminal(std::FILE* stream);
  /// "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);

 private:
  std::ostream& out_;
  std::string label_;
  int64_t total_;
  bool terminal_;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace qc::tools
