// The compress command: MODEL (ONNX file or Hugging Face directory) in, a verified .qm file out.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace qc::tools {

struct CompressOptions {
  std::string model_path;
  std::string output_path;
  int bits = 32;          ///< 32 = float export; lower bit widths arrive with the packed kernels
  int64_t num_heads = 0;  ///< ONNX only: override the inferred head count
  std::string tokenizer_path;  ///< ONNX only: tokenizer directory or file to embed ("" = next to the model)
  bool quiet = false;
  std::vector<std::string> argv;  ///< the command line, recorded (with basenames) as provenance
};

/// Runs the command; returns the process exit code (docs/cli.md): 0 ok, 1 bad input or I/O error, 2 usage error.
int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
