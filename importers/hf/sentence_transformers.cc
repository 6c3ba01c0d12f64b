#include "importers/hf/sentence_transformers.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A module path from modules.json must stay inside the model directory.
Status CheckRelativePath(const JsonObject& module, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory()) {
    return CorruptData(module.Describe("path") + " = '" + path + "' is absolute; module paths must be relative");
  }
  for (const fs::path& part : p) {
    if (part == "..") {
      return CorruptData(module.Describe("path") + " = '" + path + "' leaves the model directory ('..')");
    }
  }
  return Status::Ok();
}

struct Module {
  std::string kind;  // last component of the type: Transformer, Pooling, Normalize, ...
  std::string type;
  std::string path;
};

Expected<HfPoolingMode> ParsePoolingConfig(const std::string& file, HfPoolingSpec& spec) {
  QC_ASSIGN_OR_RETURN(json doc, ReadJsonFile(file));
  const JsonObject c(doc, file);
  QC_RETURN_IF_ERROR(c.CheckIsObject());
  QC_ASSIGN_OR_RETURN(spec.word_embedding_dimension, c.OptionalInt("word_embedding_dimension"));
  QC_ASSIGN_OR_RETURN(std::optional<bool> include_prompt, c.OptionalBool("include_prompt"));
  spec.include_prompt = include_prompt.value_or(true);

  static const std::pair<const char*, HfPoolingMode> kFlags[] = {
      {"pooling_mode_cls_token", HfPoolingMode::kCls},
      {"pooling_mode_mean_tokens", HfPoolingMode::kMean},
      {"pooling_mode_max_tokens", HfPoolingMode::kMax},
      {"pooling_mode_mean_sqrt_len_tokens", HfPoolingMode::kMeanSqrtLen},
      {"pooling_mode_weightedmean_tokens", HfPoolingMode::kWeightedMean},
      {"pooling_mode_lasttoken", HfPoolingMode::kLastToken},
  };
  QC_ASSIGN_OR_RETURN(std::optional<std::string> named, c.OptionalString("pooling_mode"));
  std::vector<HfPoolingMode> modes;
  if (named) {
    static const std::pair<const char*, HfPoolingMode> kNames[] = {
        {"cls", HfPoolingMode::kCls},
        {"mean", HfPoolingMode::kMean},
        {"max", HfPoolingMode::kMax},
        {"mean_sqrt_len_tokens", HfPoolingMode::kMeanSqrtLen},
        {"weightedmean", HfPoolingMode::kWeightedMean},
        {"lasttoken", HfPoolingMode::kLastToken},
    };
    for (const auto& [name, mode] : kNames) {
      if (*named == name) modes.push_back(mode);
    }
    if (modes.empty()) return c.BadValue("pooling_mode", "= '" + *named + "' is not a known pooling mode");
  } else {
    for (const auto& [key, mode] : kFlags) {
      QC_ASSIGN_OR_RETURN(std::optional<bool> on, c.OptionalBool(key));
      if (on.value_or(false)) modes.push_back(mode);
    }
  }
  if (modes.empty()) return CorruptData(file + ": no pooling mode is enabled");
  if (modes.size() > 1) {
    return Unsupported(file + ": " + std::to_string(modes.size()) +
                       " pooling modes are enabled (their outputs are concatenated); only a single mode is supported");
  }
  return modes[0];
}

}  // namespace

std::string_view HfPoolingModeName(HfPoolingMode mode) {
  switch (mode) {
    case HfPoolingMode::kCls:
      return "cls";
    case HfPoolingMode::kMean:
      return "mean";
    case HfPoolingMode::kMax:
      return "max";
    case HfPoolingMode::kMeanSqrtLen:
      return "mean_sqrt_len_tokens";
    case HfPoolingMode::kWeightedMean:
      return "weightedmean";
    case HfPoolingMode::kLastToken:
      return "lasttoken";
  }
  return "invalid";
}

Expected<std::optional<HfPoolingSpec>> ReadSentenceTransformersConfig(const std::string& dir) {
  const fs::path root(dir);
  const std::string modules_file = (root / "modules.json").string();
  std::error_code ec;
  if (!fs::exists(modules_file, ec)) return std::optional<HfPoolingSpec>();
  QC_ASSIGN_OR_RETURN(json doc, ReadJsonFile(modules_file));
  if (!doc.is_array())
    return CorruptData(modules_file + ": expected a JSON array of modules, got " + JsonTypeName(doc));

  std::vector<Module> modules;
  for (size_t i = 0; i < doc.size(); ++i) {
    const JsonObject m(doc[i], modules_file, "[" + std::to_string(i) + "]");
    QC_RETURN_IF_ERROR(m.CheckIsObject());
    Module module;
    QC_ASSIGN_OR_RETURN(module.type, m.RequireString("type"));
    QC_ASSIGN_OR_RETURN(std::optional<std::string> path, m.OptionalString("path"));
    module.path = path.value_or("");
    QC_RETURN_IF_ERROR(CheckRelativePath(m, module.path));
    const size_t dot = module.type.rfind('.');
    if (module.type.rfind("sentence_transformers.", 0) != 0 || dot == std::string::npos) {
      return Unsupported(m.Describe("type") + " = '" + module.type + "' is not a sentence-transformers module");
    }
    module.kind = module.type.substr(dot + 1);
    modules.push_back(std::move(module));
  }

  HfPoolingSpec spec;
  spec.modules_path = modules_file;
  if (modules.size() < 2 || modules[0].kind != "Transformer" || modules[1].kind != "Pooling") {
    return Unsupported(modules_file + ": only the pipeline Transformer -> Pooling [-> Normalize] is supported (found " +
                       std::to_string(modules.size()) + " modules" +
                       (modules.empty() ? std::string() : ", the first is '" + modules[0].type + "'") + ")");
  }
  for (size_t i = 2; i < modules.size(); ++i) {
    if (modules[i].kind != "Normalize" || i != modules.size() - 1) {
      return Unsupported(modules_file + ": module " + std::to_string(i) + " '" + modules[i].type +
                         "' is not supported (only a final Normalize may follow Pooling)");
    }
    spec.normalize = true;
  }
  spec.transformer_path = modules[0].path;
  QC_ASSIGN_OR_RETURN(spec.mode, ParsePoolingConfig((root / modules[1].path / "config.json").string(), spec));

  const std::string sbert = (root / spec.transformer_path / "sentence_bert_config.json").string();
  if (fs::exists(sbert, ec)) {
    QC_ASSIGN_OR_RETURN(json sdoc, ReadJsonFile(sbert));
    const JsonObject s(sdoc, sbert);
    QC_RETURN_IF_ERROR(s.CheckIsObject());
    QC_ASSIGN_OR_RETURN(spec.max_seq_length, s.OptionalInt("max_seq_length"));
    if (spec.max_seq_length && *spec.max_seq_length <= 0) return s.BadValue("max_seq_length", "must be > 0");
    QC_ASSIGN_OR_RETURN(spec.do_lower_case, s.OptionalBool("do_lower_case"));
  }
  return std::optional<HfPoolingSpec>(std::move(spec));
}

}  // namespace qc::hf
