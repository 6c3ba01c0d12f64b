// exec/op_profile.h: where a session's inference time goes, per op type, for QC_PROFILE=1.
//
// Overview
//   With QC_PROFILE=1 (or any value other than 0) in the environment, each Executor times every op it runs (wall
//   time of the op, including its parallel region) and, when the session ends, prints one table to stderr: op type,
//   calls, total and mean milliseconds, share of the timed total. A residual Add fused into the LayerNorm after it
//   is counted as "Add+LayerNorm". Off by default: the clock reads cost ~50 ns per op. Outputs never depend on it.
//
// Usage
//   QC_PROFILE=1 qcrun bench model.qm --threads 2      # the table follows the benchmark's own report
//
//   exec::OpProfile profile;                     // one per executor
//   if (profile.enabled()) profile.Add("QLinear", seconds);
//   std::fputs(profile.Table().c_str(), stderr);
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace qc::exec {

class OpProfile {
 public:
  /// Enabled when QC_PROFILE is set to anything but "" or "0".
  OpProfile();
  /// Prints Table() to stderr when enabled and anything was timed.
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  bool enabled() const { return enabled_; }
  void Add(const std::string& op_type, double seconds);
  /// One line per op type, slowest first, then the total.
  std::string Table() const;

 private:
  struct Entry {
    uint64_t calls = 0;
    double seconds = 0.0;
  };
  bool enabled_ = false;
  std::map<std::string, Entry> entries_;
};

}  // namespace qc::exec
