#include "qcompress/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace qc::tools {

ProgressBar::ProgressBar(std::ostream& out, std::string label, int64_t total, bool terminal)
    : out_(out), label_(std::move(label)), total_(std::max<int64_t>(total, 1)), terminal_(terminal),
      start_(std::chrono::steady_clock::now()) {}

bool ProgressBar::StreamIsTerminal(std::FILE* stream) { return isatty(fileno(stream)) == 1; }

std::string ProgressBar::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  std::ostringstream o;
  o << std::setfill('0');
  if (s >= 3600) {
    o << s / 3600 << "h" << std::setw(2) << (s % 3600) / 60 << "m";
  } else if (s >= 60) {
    o << s / 60 << "m" << std::setw(2) << s % 60 << "s";
  } else {
    o << s << "s";
  }
  return o.str();
}

void ProgressBar::Update(int64_t done, const std::string& detail) {
  done_ = std::clamp<int64_t>(done, 0, total_);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  std::ostringstream line;
  line << label_ << " " << done_ << "/" << total_;
  if (terminal_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * done_ / total_);
    line.str("");
    line << label_ << " [" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] " << done_ << "/" << total_;
  }
  line << std::fixed << std::setprecision(rate < 10 ? 2 : 1) << "  " << rate << "/s  ETA " << FormatDuration(eta);
  if (!detail.empty()) line << "  " << detail;
  if (terminal_) {
    out_ << "\r\033[K" << line.str() << std::flush;  // redraw in place, clearing the old tail
  } else {
    out_ << line.str() << "\n";
  }
}

void ProgressBar::Finish(const std::string& detail) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (terminal_) out_ << "\r\033[K";
  out_ << label_ << ": " << done_ << "/" << total_ << " in " << FormatDuration(elapsed);
  if (!detail.empty()) out_ << ", " << detail;
  out_ << "\n" << std::flush;
}

}  // namespace qc::tools
