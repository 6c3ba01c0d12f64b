#include "qcompress/quant_config_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace qc::tools {
namespace {

using json = nlohmann::json;

Expected<ir::WeightBits> BitsFromJson(const json& v, const std::string& where, bool allow_float) {
  if (!v.is_number_integer()) return InvalidArgument(where + " must be an integer");
  const int64_t bits = v.get<int64_t>();
  if (bits == 2) return ir::WeightBits::kTernary;
  if (bits == 4) return ir::WeightBits::kInt4;
  if (bits == 8) return ir::WeightBits::kInt8;
  if (bits == 32 && allow_float) return ir::WeightBits::kFloat32;
  return InvalidArgument(where + " must be 2, 4, 8" + std::string(allow_float ? " or 32" : "") + ", got " +
                         std::to_string(bits));
}

Expected<ir::ActivationMode> ActModeFromJson(const json& v, const std::string& where) {
  if (!v.is_string()) return InvalidArgument(where + " must be a string");
  const std::string s = v.get<std::string>();
  if (s == "per_token") return ir::ActivationMode::kDynamicPerToken;
  if (s == "per_tensor") return ir::ActivationMode::kDynamicPerTensor;
  if (s == "static") return ir::ActivationMode::kStatic;
  return InvalidArgument(where + " must be per_token, per_tensor or static, got '" + s + "'");
}

Expected<double> ClipFromJson(const json& v, const std::string& where) {
  if (!v.is_number()) return InvalidArgument(where + " must be a number");
  const double c = v.get<double>();
  if (!(c > 0) || !std::isfinite(c)) return InvalidArgument(where + " must be finite and > 0");
  return c;
}

Expected<bool> BoolFromJson(const json& v, const std::string& where) {
  if (!v.is_boolean()) return InvalidArgument(where + " must be true or false");
  return v.get<bool>();
}

Expected<passes::LayerOverride> OverrideFromJson(const json& o, const std::string& where) {
  if (!o.is_object()) return InvalidArgument(where + " must be an object");
  passes::LayerOverride out;
  int match_keys = 0;
  for (const auto& [key, value] : o.items()) {
    const std::string at = where + "." + key;
    if (key == "name" || key == "regex" || key == "op") {
      if (!value.is_string()) return InvalidArgument(at + " must be a string");
      ++match_keys;
      out.match = key == "name" ? passes::OverrideMatch::kName
                  : key == "regex" ? passes::OverrideMatch::kRegex
                                   : passes::OverrideMatch::kOp;
      out.pattern = value.get<std::string>();
    } else if (key == "bits") {
      QC_ASSIGN_OR_RETURN(ir::WeightBits bits, BitsFromJson(value, at, true));
      out.bits = bits;
    } else if (key == "keep_float") {
      QC_ASSIGN_OR_RETURN(out.keep_float, BoolFromJson(value, at));
    } else if (key == "act_granularity") {
      QC_ASSIGN_OR_RETURN(ir::ActivationMode mode, ActModeFromJson(value, at));
      out.act_mode = mode;
    } else if (key == "act_clip") {
      QC_ASSIGN_OR_RETURN(double clip, ClipFromJson(value, at));
      out.act_clip = clip;
    } else {
      return InvalidArgument(at + ": unknown key (expected name|regex|op, bits, keep_float, act_granularity, "
                             "act_clip)");
    }
  }
  if (match_keys != 1) return InvalidArgument(where + " needs exactly one of \"name\", \"regex\", \"op\"");
  return out;
}

}  // namespace

Expected<ParsedQuantConfig> ParseQuantConfigJson(const std::string& text, const std::string& origin) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument(origin + ": not valid JSON");
  if (!root.is_object()) return InvalidArgument(origin + ": the config must be a JSON object");
  ParsedQuantConfig parsed;
  passes::QuantConfig& c = parsed.config;
  for (const auto& [key, value] : root.items()) {
    const std::string at = origin + ": " + key;
    if (key == "bits") {
      QC_ASSIGN_OR_RETURN(ir::WeightBits bits, BitsFromJson(value, at, false));
      c.linear_bits = bits;
      parsed.bits = static_cast<int>(bits);
    } else if (key == "embedding_bits") {
      QC_ASSIGN_OR_RETURN(ir::WeightBits bits, BitsFromJson(value, at, true));
      c.embedding_bits = bits;
    } else if (key == "weight_granularity") {
      if (!value.is_string()) return InvalidArgument(at + " must be a string");
      const std::string g = value.get<std::string>();
      if (g == "per_tensor") {
        c.linear_granularity = ir::WeightGranularity::kPerTensor;
      } else if (g == "per_row") {
        c.linear_granularity = ir::WeightGranularity::kPerRow;
      } else {
        return InvalidArgument(at + " must be per_tensor or per_row, got '" + g + "'");
      }
    } else if (key == "act_granularity") {
      QC_ASSIGN_OR_RETURN(c.act_mode, ActModeFromJson(value, at));
      parsed.act_granularity_given = true;
    } else if (key == "act_clip") {
      QC_ASSIGN_OR_RETURN(double clip, ClipFromJson(value, at));
      c.act_clip = clip;
    } else if (key == "act_groups") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > ir::kMaxActGroups) {
        return InvalidArgument(at + " must be an integer in [1, " + std::to_string(ir::kMaxActGroups) + "]");
      }
      c.act_groups = value.get<int64_t>();
    } else if (key == "keep_classifier_float") {
      QC_ASSIGN_OR_RETURN(c.keep_classifier_float, BoolFromJson(value, at));
    } else if (key == "quantize_attention") {
      QC_ASSIGN_OR_RETURN(c.quantize_attention, BoolFromJson(value, at));
    } else if (key == "keep_float") {
      if (!value.is_array()) return InvalidArgument(at + " must be an array of node names");
      for (const json& name : value) {
        if (!name.is_string()) return InvalidArgument(at + " must be an array of node names");
        c.keep_float.push_back(name.get<std::string>());
      }
    } else if (key == "overrides") {
      if (!value.is_array()) return InvalidArgument(at + " must be an array");
      for (size_t i = 0; i < value.size(); ++i) {
        QC_ASSIGN_OR_RETURN(passes::LayerOverride o,
                            OverrideFromJson(value[i], origin + ": overrides[" + std::to_string(i) + "]"));
        c.overrides.push_back(std::move(o));
      }
    } else {
      return InvalidArgument(at + ": unknown key (expected bits, embedding_bits, weight_granularity, "
                             "act_granularity, act_clip, act_groups, keep_classifier_float, quantize_attention, "
                             "keep_float, "
                             "overrides)");
    }
  }
  QC_RETURN_IF_ERROR(passes::ValidateQuantConfig(c).WithContext(origin));
  return parsed;
}

}  // namespace qc::tools
