// qcompress: the command users run. This entry point grows with the pipeline; today it inspects ONNX models.
//
//   qcompress inspect bert.onnx           # producer, opsets, I/O signature, parameter count, op census
//   qcompress inspect bert.onnx --json    # the same as JSON
//
// Exit codes (docs/cli.md): 0 success, 1 bad input or I/O error, 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "core/cpu_features.h"
#include "core/version.h"
#include "importers/onnx/model_file.h"
#include "importers/onnx/summary.h"

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
  app.require_subcommand(1);

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
  if (inspect->parsed()) return RunInspect(inspect_path, inspect_json);
  if (cpu->parsed()) {
    std::cout << "hardware: " << qc::HardwareCpuFeatures().ToString() << "\n"
              << "dispatch: " << qc::DetectCpuFeatures().ToString() << "\n";
    return kExitOk;
  }
  return kExitUsage;
}
