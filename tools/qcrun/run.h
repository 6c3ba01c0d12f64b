// qcrun run: run a .qm model on text, token ids or image files and print its outputs.
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
  std::vector<std::string> images;  ///< PNG/JPEG files, one batch (image models)
  int64_t max_length = 0;
  int threads = 1;  ///< SessionOptions::num_threads
  bool json = false;
};

/// Returns the process exit code (0 ok, 1 bad input or I/O error, 2 usage error).
int RunModel(const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
