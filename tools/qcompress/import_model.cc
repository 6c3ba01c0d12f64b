#include "qcompress/import_model.h"

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "importers/hf/config.h"
#include "importers/hf/hf_importer.h"
#include "importers/hf/tokenizer_metadata.h"
#include "exporters/qm/to_ir.h"
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

namespace {

// The longest sequence the graph accepts: the rows of its position table (BERT), or 0 when it has none.
int64_t PositionTableRows(const ir::Graph& graph) {
  for (const ir::Node& node : graph.nodes()) {
    if (node.erased || node.op != ir::OpType::kAddPositionEmbedding || node.inputs.size() < 2) continue;
    const ir::Value& table = graph.value(node.inputs[1]);
    if (table.constant && !table.constant->dims().empty()) return table.constant->dims()[0];
  }
  return 0;
}

// ONNX files carry no tokenizer or label names. Exporters (optimum, save_pretrained next to torch.onnx.export) put
// tokenizer.json / vocab.txt and config.json beside the model; embed what is there so the .qm takes raw text.
Status AttachSidecarFiles(const std::string& model_path, const ImportModelOptions& options, ImportedModel& model) {
  const bool explicit_tokenizer = !options.tokenizer_path.empty();
  fs::path dir = explicit_tokenizer ? fs::path(options.tokenizer_path) : fs::path(model_path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (explicit_tokenizer && !fs::is_directory(dir, ec)) dir = dir.parent_path();  // a tokenizer.json or vocab.txt
  auto spec = hf::ReadHfTokenizer(dir.string());
  if (spec.ok()) {
    int64_t max_length = spec->model_max_length.value_or(512);
    if (const int64_t rows = PositionTableRows(model.graph); rows > 0 && max_length > rows) max_length = rows;
    for (auto& [key, value] : hf::TokenizerMetadata(*spec, max_length)) model.graph.mutable_metadata()[key] = value;
    for (const std::string& w : spec->warnings) model.warnings.push_back(w);
    model.report += "tokenizer: embedded from " + spec->source + " (" + std::to_string(spec->vocab.size()) +
                    " tokens)\n";
  } else if (explicit_tokenizer || spec.status().code() != StatusCode::kNotFound) {
    return spec.status().WithContext("--tokenizer");
  } else {
    model.warnings.push_back("no tokenizer.json or vocab.txt next to " + model_path +
                             ": the .qm takes token ids only (use --tokenizer DIR to embed one)");
  }
  const fs::path config = fs::path(model_path).parent_path() / "config.json";
  if (fs::exists(config, ec)) {
    auto parsed = hf::ReadHfConfig(config.string());
    if (parsed.ok() && !parsed->labels.names.empty()) {
      model.graph.mutable_metadata()["model.labels"] = parsed->labels.names;
    } else if (!parsed.ok()) {
      model.warnings.push_back(parsed.status().message() + "; label names not embedded");
    }
  }
  return Status::Ok();
}

}  // namespace

Expected<ImportedModel> ImportModel(const std::string& path, const ImportModelOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or directory");
  ImportedModel model;
  if (fs::is_directory(path, ec)) {
    hf::HfImportOptions hf_options;
    if (options.hf_last_hidden_state) hf_options.output = hf::HfOutput::kLastHiddenState;
    QC_ASSIGN_OR_RETURN(hf::HfImportResult r, hf::ImportHfDirectory(path, hf_options));
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
  if (fs::path(path).extension() == ".qm") {
    // A float model written by qcompress (e.g. a --finetune teacher): graph, tokenizer and labels are inside.
    QC_ASSIGN_OR_RETURN(QmImport q, ImportQmFile(path));
    model.kind = "qm";
    model.graph = std::move(q.graph);
    model.report = "imported qcompress .qm (producer " + q.provenance.producer_name + " " +
                   q.provenance.producer_version +
                   (q.provenance.source_model_name.empty() ? "" : ", source " + q.provenance.source_model_name) +
                   ")\n";
    QC_ASSIGN_OR_RETURN(model.source_hash, HashFiles({path}));
    return model;
  }
  onnx_import::ImportOptions onnx_options;
  onnx_options.num_heads = options.num_heads;
  QC_ASSIGN_OR_RETURN(onnx_import::ImportResult r, onnx_import::ImportOnnx(path, onnx_options));
  model.kind = "onnx";
  model.graph = std::move(r.graph);
  model.report = r.report.ToText();
  QC_RETURN_IF_ERROR(AttachSidecarFiles(path, options, model));
  QC_ASSIGN_OR_RETURN(model.source_hash, HashFiles({path}));
  return model;
}

}  // namespace qc::tools
