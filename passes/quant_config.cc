#include "passes/quant_config.h"

#include <cmath>
#include <regex>

namespace qc::passes {

Expected<QuantConfig> DefaultQuantConfig(int bits) {
  QuantConfig config;
  switch (bits) {
    case 2: config.linear_bits = ir::WeightBits::kTernary; break;
    case 4: config.linear_bits = ir::WeightBits::kInt4; break;
    case 8: config.linear_bits = ir::WeightBits::kInt8; break;
    default: return InvalidArgument("weight bits must be 2, 4 or 8, got " + std::to_string(bits));
  }
  return config;
}

std::string_view OverrideMatchName(OverrideMatch match) {
  switch (match) {
    case OverrideMatch::kName: return "name";
    case OverrideMatch::kRegex: return "regex";
    case OverrideMatch::kOp: return "op";
  }
  return "invalid";
}

namespace {
Status CheckClip(const std::optional<double>& clip, const std::string& owner) {
  if (clip && !(std::isfinite(*clip) && *clip > 0)) return InvalidArgument(owner + ": clip must be finite and > 0");
  return Status::Ok();
}
}  // namespace

Status ValidateQuantConfig(const QuantConfig& config) {
  QC_RETURN_IF_ERROR(CheckClip(config.act_clip, "quantization config"));
  if (config.act_groups < 1 || config.act_groups > ir::kMaxActGroups) {
    return InvalidArgument("quantization config: act_groups must be in [1, " + std::to_string(ir::kMaxActGroups) +
                           "], got " + std::to_string(config.act_groups));
  }
  if (config.act_groups > 1 && config.act_mode == ir::ActivationMode::kStatic) {
    return InvalidArgument("quantization config: act_groups " + std::to_string(config.act_groups) +
                           " needs dynamic activation scales (a static scale is one calibrated amax)");
  }
  for (size_t i = 0; i < config.overrides.size(); ++i) {
    const LayerOverride& o = config.overrides[i];
    const std::string owner = "override #" + std::to_string(i) + " (" + std::string(OverrideMatchName(o.match)) +
                              " '" + o.pattern + "')";
    if (o.pattern.empty()) return InvalidArgument(owner + ": empty pattern");
    if (!o.bits && !o.keep_float && !o.act_mode && !o.act_clip) {
      return InvalidArgument(owner + ": sets nothing (give bits, keep_float, act_granularity or clip)");
    }
    QC_RETURN_IF_ERROR(CheckClip(o.act_clip, owner));
    if (o.match == OverrideMatch::kRegex) {
      try {
        std::regex re(o.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return InvalidArgument(owner + ": invalid regular expression: " + e.what());
      }
    }
    if (o.match == OverrideMatch::kOp && o.pattern != "Linear" && o.pattern != "Embedding" &&
        o.pattern != "Attention") {
      return InvalidArgument(owner + ": op must be Linear, Embedding or Attention");
    }
  }
  return Status::Ok();
}

}  // namespace qc::passes
