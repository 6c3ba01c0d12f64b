#include "exec/op_profile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace qc::exec {

OpProfile::OpProfile() {
  const char* v = std::getenv("QC_PROFILE");
  enabled_ = v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

OpProfile::~OpProfile() {
  if (enabled_ && !entries_.empty()) std::fputs(Table().c_str(), stderr);
}

void OpProfile::Add(const std::string& op_type, double seconds) {
  Entry& e = entries_[op_type];
  ++e.calls;
  e.seconds += seconds;
}

std::string OpProfile::Table() const {
  std::vector<std::pair<std::string, Entry>> rows(entries_.begin(), entries_.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  double total = 0.0;
  uint64_t calls = 0;
  for (const auto& r : rows) {
    total += r.second.seconds;
    calls += r.second.calls;
  }
  std::string out = "qcompress runtime profile (QC_PROFILE): time per op type over this session's runs\n";
  char line[160];
  std::snprintf(line, sizeof(line), "  %-20s %10s %12s %12s %7s\n", "op", "calls", "total ms", "mean ms", "share");
  out += line;
  for (const auto& [name, e] : rows) {
    std::snprintf(line, sizeof(line), "  %-20s %10llu %12.3f %12.4f %6.1f%%\n", name.c_str(),
                  static_cast<unsigned long long>(e.calls), e.seconds * 1e3,
                  e.seconds * 1e3 / static_cast<double>(e.calls), total > 0 ? 100.0 * e.seconds / total : 0.0);
    out += line;
  }
  std::snprintf(line, sizeof(line), "  %-20s %10llu %12.3f\n", "total", static_cast<unsigned long long>(calls),
                total * 1e3);
  out += line;
  return out;
}

}  // namespace qc::exec
