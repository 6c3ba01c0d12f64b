// qcrun run: run a .qm model on text or token ids and print its outputs.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace qc::tools {

struct RunOptions {
  std::string path;
  std::vector<std::string> texts;
  std::vector<std::string> pairs;
  std::vector<int64_t> ids;
  int64_t max_length = 0;
  int threads = 1;  ///< SessionOptions::num_threads
  bool json = false;
};

/// Returns the process exit code (0 ok, 1 bad input or I/O error, 2 usage error).
int RunModel(const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
