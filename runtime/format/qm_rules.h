// format/qm_rules.h: textual rules of the .qm format shared by writer and reader: names, metadata keys, the
// standard metadata keys with their types and ranges, and required-feature strings.
//
// Overview
//   * Names (values, ops, dimension symbols) are byte strings of at most kMaxNameBytes without NUL bytes; value and
//     symbol names are non-empty. Op names may be empty.
//   * Metadata keys are lower-case dotted ASCII: segments of [a-z0-9_] starting with a letter, joined by '.'.
//   * Keys in the reserved namespaces "tokenizer.", "image." and "model." have a fixed kind and range
//     (kStandardMetadataKeys). The writer refuses unknown keys there (typos); the reader only checks the keys it
//     knows, so a newer minor version may add keys.
//   * Required features are "<area>.<name>@<version>", e.g. "op.attention@1": segments as in metadata keys, then '@'
//     and a decimal version 1..65535 without leading zeros.
//
// Usage
//   if (const char* why = qc::qm::CheckMetadataKey(key)) return qc::InvalidArgument("metadata key '" + key + "': " +
//   why); const qc::qm::StandardMetadataKey* std_key = qc::qm::FindStandardMetadataKey("tokenizer.vocab");
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qm_layout.h"
#include "qm_types.h"

namespace qc::qm {

/// nullptr when `name` is a valid value / symbol name (or op name, with allow_empty), else the reason.
inline const char* CheckName(std::string_view name, bool allow_empty = false) {
  if (name.empty() && !allow_empty) return "name is empty";
  if (name.size() > kMaxNameBytes) return "name is longer than 1024 bytes";
  if (name.find('\0') != std::string_view::npos) return "name contains a NUL byte";
  return nullptr;
}

/// Checks "seg(.seg)*" with seg = [a-z][a-z0-9_]*; nullptr when valid.
inline const char* CheckDottedIdentifier(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > kMaxNameBytes) return "is longer than 1024 bytes";
  bool segment_start = true;
  for (char c : text) {
    if (c == '.') {
      if (segment_start) return "has an empty segment";
      segment_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (segment_start && !lower) return "has a segment that does not start with a lower-case letter";
    if (!lower && !digit && c != '_') return "contains a character outside [a-z0-9_.]";
    segment_start = false;
  }
  if (segment_start) return "ends with '.'";
  return nullptr;
}

/// nullptr when `key` is a syntactically valid metadata key.
inline const char* CheckMetadataKey(std::string_view key) {
  return CheckDottedIdentifier(key);
}

/// nullptr when `feature` is "<dotted identifier>@<1..65535>".
inline const char* CheckFeatureName(std::string_view feature) {
  const size_t at = feature.rfind('@');
  if (at == std::string_view::npos) return "has no '@<version>' suffix";
  if (const char* why = CheckDottedIdentifier(feature.substr(0, at))) return why;
  const std::string_view version = feature.substr(at + 1);
  if (version.empty() || version.size() > 5 || version[0] == '0') return "has a malformed version after '@'";
  uint32_t v = 0;
  for (char c : version) {
    if (c < '0' || c > '9') return "has a malformed version after '@'";
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return "has a version above 65535";
  return nullptr;
}

/// A documented metadata key: its required kind and what it means.
struct StandardMetadataKey {
  const char* key;
  DatumKind kind;
  const char* meaning;
};

inline constexpr StandardMetadataKey kStandardMetadataKeys[] = {
    {"image.do_resize", DatumKind::kInt, "1 when images are resized to image.size first, else 0"},
    {"image.mean", DatumKind::kFloatList, "per-channel mean subtracted after rescaling (one entry per channel)"},
    {"image.resample", DatumKind::kInt, "PIL resampling filter of the resize (2 = bilinear, 3 = bicubic)"},
    {"image.rescale_factor", DatumKind::kFloat, "pixel multiplier applied first, e.g. 1/255"},
    {"image.size", DatumKind::kIntList, "[height, width] the image is resized to, both > 0"},
    {"image.std", DatumKind::kFloatList, "per-channel divisor applied after the mean, all != 0"},
    {"model.architecture", DatumKind::kString, "source architecture, e.g. \"bert\", \"vit\""},
    {"model.labels", DatumKind::kStringList, "class names, index = output class id"},
    {"model.problem_type", DatumKind::kString, "single_label_classification, multi_label_classification or regression"},
    {"tokenizer.added_token_ids", DatumKind::kIntList, "ids of tokenizer.added_tokens, same order"},
    {"tokenizer.added_tokens", DatumKind::kStringList, "tokens matched whole before WordPiece (the specials)"},
    {"tokenizer.added_tokens_normalized", DatumKind::kIntList, "per added token: 1 matched after normalization"},
    {"tokenizer.added_tokens_special", DatumKind::kIntList, "per added token: 1 when it is a special token"},
    {"tokenizer.clean_text", DatumKind::kInt, "BertNormalizer clean_text, 0 or 1"},
    {"tokenizer.cls_token", DatumKind::kString, "classification token, e.g. \"[CLS]\""},
    {"tokenizer.continuing_subword_prefix", DatumKind::kString, "WordPiece continuation prefix, e.g. \"##\""},
    {"tokenizer.handle_chinese_chars", DatumKind::kInt, "BertNormalizer handle_chinese_chars, 0 or 1"},
    {"tokenizer.lowercase", DatumKind::kInt, "BertNormalizer lowercase, 0 or 1"},
    {"tokenizer.mask_token", DatumKind::kString, "mask token, e.g. \"[MASK]\""},
    {"tokenizer.max_input_chars_per_word", DatumKind::kInt, "longer words become the unknown token, > 0"},
    {"tokenizer.model_max_length", DatumKind::kInt, "longest token sequence the model accepts, > 0"},
    {"tokenizer.pad_token", DatumKind::kString, "padding token, e.g. \"[PAD]\""},
    {"tokenizer.pad_token_type_id", DatumKind::kInt, "token type id given to padding, >= 0"},
    {"tokenizer.sep_token", DatumKind::kString, "separator token, e.g. \"[SEP]\""},
    {"tokenizer.strip_accents", DatumKind::kInt, "-1 unset (follows lowercase), 0 or 1"},
    {"tokenizer.type", DatumKind::kString, "tokenizer model; \"wordpiece\" is the one this runtime implements"},
    {"tokenizer.unk_token", DatumKind::kString, "unknown-word token, e.g. \"[UNK]\""},
    {"tokenizer.vocab", DatumKind::kStringList, "WordPiece vocabulary, index = token id, non-empty"},
};

/// True for keys in a namespace whose keys are all listed in kStandardMetadataKeys.
inline bool IsReservedMetadataNamespace(std::string_view key) {
  return key.substr(0, 10) == "tokenizer." || key.substr(0, 6) == "image." || key.substr(0, 6) == "model.";
}

inline const StandardMetadataKey* FindStandardMetadataKey(std::string_view key) {
  for (const StandardMetadataKey& k : kStandardMetadataKeys) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

/// Range rules of the standard keys, given the datum's numbers (the caller has checked the kind): `ints` holds the
/// int or int list, `floats` the float or float list, `list_size` the element count of any list. nullptr when fine.
inline const char* CheckStandardMetadataValue(std::string_view key, const int64_t* ints, size_t n_ints,
                                              const double* floats, size_t n_floats, size_t list_size) {
  const auto is01 = [&] { return n_ints == 1 && (ints[0] == 0 || ints[0] == 1); };
  if (key == "tokenizer.lowercase" || key == "tokenizer.clean_text" || key == "tokenizer.handle_chinese_chars") {
    return is01() ? nullptr : "must be 0 or 1";
  }
  if (key == "tokenizer.strip_accents") {
    return n_ints == 1 && ints[0] >= -1 && ints[0] <= 1 ? nullptr : "must be -1, 0 or 1";
  }
  if (key == "image.do_resize") return is01() ? nullptr : "must be 0 or 1";
  if (key == "tokenizer.max_input_chars_per_word") return n_ints == 1 && ints[0] > 0 ? nullptr : "must be > 0";
  if (key == "tokenizer.pad_token_type_id") return n_ints == 1 && ints[0] >= 0 ? nullptr : "must be >= 0";
  if (key == "tokenizer.model_max_length") return n_ints == 1 && ints[0] > 0 ? nullptr : "must be > 0";
  if (key == "tokenizer.vocab") return list_size > 0 ? nullptr : "must not be empty";
  if (key == "image.size") {
    return n_ints == 2 && ints[0] > 0 && ints[1] > 0 ? nullptr : "must be [height, width] with both > 0";
  }
  if (key == "image.mean" || key == "image.std") {
    if (n_floats == 0) return "must have one entry per channel";
    if (key == "image.std") {
      for (size_t i = 0; i < n_floats; ++i) {
        if (floats[i] == 0.0 || std::isnan(floats[i])) return "entries must be non-zero numbers";
      }
    }
    return nullptr;
  }
  if (key == "image.rescale_factor") return n_floats == 1 && floats[0] > 0.0 ? nullptr : "must be > 0";
  return nullptr;
}

}  // namespace qc::qm
