#include "qcompress/import_model.h"

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "importers/hf/hf_importer.h"
#include "importers/onnx/import.h"

namespace qc::tools {
namespace fs = std::filesystem;

Expected<std::string> HashFiles(const std::vector<std::string>& paths) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) return Internal("cannot create an XXH3 state");
  std::vector<char> buffer(1 << 20);
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(path + ": cannot open file");
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() > 0) XXH3_64bits_update(state.get(), buffer.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) return IoError(path + ": read failed");
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(state.get())));
  return std::string("xxh3:") + hex;
}

Expected<ImportedModel> ImportModel(const std::string& path, const ImportModelOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or directory");
  ImportedModel model;
  if (fs::is_directory(path, ec)) {
    QC_ASSIGN_OR_RETURN(hf::HfImportResult r, hf::ImportHfDirectory(path));
    model.kind = "huggingface";
    model.graph = std::move(r.graph);
    model.warnings = std::move(r.warnings);
    model.report = "imported Hugging Face " + (r.config.architecture.empty() ? std::string("model") : r.config.architecture) + " (" +
                   std::string(hf::HfOutputName(r.output)) + ")\n";
    std::vector<std::string> files;
    for (const char* name : {"config.json", "model.safetensors"}) {
      const fs::path p = fs::path(path) / name;
      if (fs::exists(p, ec)) files.push_back(p.string());
    }
    QC_ASSIGN_OR_RETURN(model.source_hash, HashFiles(files));
    return model;
  }
  onnx_import::ImportOptions onnx_options;
  onnx_options.num_heads = options.num_heads;
  QC_ASSIGN_OR_RETURN(onnx_import::ImportResult r, onnx_import::ImportOnnx(path, onnx_options));
  model.kind = "onnx";
  model.graph = std::move(r.graph);
  model.report = r.report.ToText();
  for (const std::string& note : r.report.notes) model.warnings.push_back(note);
  QC_ASSIGN_OR_RETURN(model.source_hash, HashFiles({path}));
  return model;
}

}  // namespace qc::tools
