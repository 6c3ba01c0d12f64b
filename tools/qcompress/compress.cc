#include "qcompress/compress.h"

#include <filesystem>

#include "core/version.h"
#include "exporters/qm/from_ir.h"
#include "qcompress/import_model.h"

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

// Provenance never records absolute paths (they leak machine details and break byte-identical output).
std::string PortableCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (i == 0 || arg.find('/') != std::string::npos) arg = fs::path(arg).filename().string();
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

}  // namespace

int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err) {
  if (options.bits != 32) {
    err << "qcompress: error: --bits " << options.bits
        << " is not available in this version: only --bits 32 (float export) is implemented so far\n";
    return kExitUsage;
  }
  ImportModelOptions import_options;
  import_options.num_heads = options.num_heads;
  import_options.tokenizer_path = options.tokenizer_path;
  auto model = ImportModel(options.model_path, import_options);
  if (!model.ok()) {
    err << "qcompress: error: " << model.status().ToString() << "\n";
    return kExitBadInput;
  }
  for (const std::string& w : model->warnings) err << "qcompress: warning: " << w << "\n";
  if (!options.quiet) out << model->report;

  qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress";
  provenance.producer_version = kRuntimeVersionString;
  provenance.command_line = PortableCommandLine(options.argv);
  provenance.source_model_name = fs::path(options.model_path).filename().string();
  provenance.source_model_hash = model->source_hash;
  const Status status = ExportQm(model->graph, provenance, options.output_path);
  if (!status.ok()) {
    err << "qcompress: error: " << status.ToString() << "\n";
    return kExitBadInput;
  }
  if (!options.quiet) {
    std::error_code ec;
    out << "wrote " << options.output_path << " (" << fs::file_size(options.output_path, ec) << " bytes, float32)\n";
  }
  return kExitOk;
}

}  // namespace qc::tools
