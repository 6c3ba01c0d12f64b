// The compress command: MODEL (ONNX file or Hugging Face directory) in, a verified .qm file out.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace qc::tools {

struct CompressOptions {
  std::string model_path;
  std::string output_path;
  int bits = 32;          ///< 32 = float export; 2, 4, 8 = post-training quantization (passes/pipeline.h)
  bool bits_given = false;  ///< --bits was on the command line (it then wins over the config's "bits")
  std::string distill = "none";  ///< QAT distillation mode; only "none" in builds without QAT
  std::string calib_path;        ///< --calib: text lines (TSV: first column) for static activation scales
  std::string config_path;       ///< --config: JSON quantization config (qcompress/quant_config_json.h)
  std::vector<std::string> disabled_passes;  ///< --disable-pass, repeatable
  std::string dump_ir_path;      ///< --dump-ir: the graph after every pass that changed it
  bool verify_passes = false;    ///< --verify-passes: run the IR verifier after every pass (always on in debug)
  int64_t num_heads = 0;  ///< ONNX only: override the inferred head count
  std::string tokenizer_path;  ///< ONNX only: tokenizer directory or file to embed ("" = next to the model)
  bool quiet = false;
  std::vector<std::string> argv;  ///< the command line, recorded (with basenames) as provenance
};

/// Runs the command; returns the process exit code (docs/cli.md): 0 ok, 1 bad input or I/O error, 2 usage error.
int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
