// qcompress: the command users run.
//
//   qcompress MODEL -o OUT.qm [--bits 32]  # ONNX file or Hugging Face directory -> verified .qm
//   qcompress MODEL --bits 2 --distill none [--calib FILE] [--config FILE] -o OUT.qm   # post-training quantization
//   qcompress inspect MODEL.onnx [--json]  # producer, opsets, I/O signature, parameter count, op census
//   qcompress cpu                          # the CPU features the runtime dispatches on
//
// Exit codes (docs/cli.md): 0 success, 1 bad input or I/O error, 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "core/cpu_features.h"
#include "core/version.h"
#include "importers/onnx/model_file.h"
#include "importers/onnx/summary.h"
#include "qcompress/compress.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

int RunInspect(const std::string& path, bool json) {
  auto model = qc::onnx_import::ReadModelFile(path);
  if (!model.ok()) {
    std::cerr << "qcompress: error: " << model.status().ToString() << "\n";
    return kExitBadInput;
  }
  const auto summary = qc::onnx_import::SummarizeModel(*model);
  std::cout << (json ? qc::onnx_import::FormatSummaryJson(summary) : qc::onnx_import::FormatSummaryText(summary));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qcompress: compress BERT and ViT checkpoints into ultra-low-bit .qm models", "qcompress"};
  app.set_version_flag("--version", std::string("qcompress ") + qc::kRuntimeVersionString);
  app.require_subcommand(0, 1);

  qc::tools::CompressOptions compress;
  for (int i = 0; i < argc; ++i) compress.argv.emplace_back(argv[i]);
  app.add_option("MODEL", compress.model_path, "ONNX file or Hugging Face model directory to compress");
  app.add_option("-o,--output", compress.output_path, "Where to write the .qm model (written atomically)");
  CLI::Option* bits = app.add_option("--bits", compress.bits, "Weight bit width: 2 (ternary), 4, 8; 32 exports float")
                          ->check(CLI::IsMember({2, 4, 8, 32}));
  app.add_option("--distill", compress.distill,
                 "Distillation for quantization-aware training; 'none' = post-training quantization");
  app.add_option("--calib", compress.calib_path,
                 "Calibration texts (one per line; TSV: first column) for static activation scales")
      ->check(CLI::ExistingFile);
  app.add_option("--config", compress.config_path, "JSON quantization config (docs/cli.md)")->check(CLI::ExistingFile);
  app.add_option("--disable-pass", compress.disabled_passes, "Skip a compression pass by name (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--dump-ir", compress.dump_ir_path, "Write the IR after every pass that changed it to this file");
  app.add_flag("--verify-passes", compress.verify_passes, "Run the IR verifier after every pass");
  app.add_option("--num-heads", compress.num_heads, "ONNX: attention head count when it cannot be inferred");
  app.add_option("--tokenizer", compress.tokenizer_path,
                 "ONNX: tokenizer.json / vocab.txt (or their folder) to embed; default: the model's folder");
  app.add_flag("-q,--quiet", compress.quiet, "Print errors only");

  std::string inspect_path;
  bool inspect_json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "Print the structure of an ONNX model (I/O, opsets, op census)");
  inspect->add_option("MODEL", inspect_path, "ONNX model file")->required()->check(CLI::ExistingFile);
  inspect->add_flag("--json", inspect_json, "Print JSON instead of text");

  CLI::App* cpu = app.add_subcommand("cpu", "Print the CPU features the runtime dispatches on");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  compress.bits_given = bits->count() > 0;
  if (inspect->parsed()) return RunInspect(inspect_path, inspect_json);
  if (cpu->parsed()) {
    std::cout << "hardware: " << qc::HardwareCpuFeatures().ToString() << "\n"
              << "dispatch: " << qc::DetectCpuFeatures().ToString() << "\n";
    return kExitOk;
  }
  if (compress.model_path.empty() || compress.output_path.empty()) {
    std::cerr << "qcompress: error: give a MODEL and -o OUT.qm (see qcompress --help)\n";
    return kExitUsage;
  }
  return qc::tools::RunCompress(compress, std::cout, std::cerr);
}
