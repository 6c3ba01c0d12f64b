// importers/hf/json_util.h: strict JSON reading for the Hugging Face importer (internal to importers/hf/).
//
// Overview
//   ParseJson() wraps nlohmann::json with the checks hostile files need and plain parsing lacks: duplicate keys in an
//   object are an error (nlohmann would silently keep the last), nesting is bounded, and no exception escapes (parse
//   errors become CorruptData naming the file and nlohmann's byte position). ReadJsonFile() adds a size cap.
//
//   The field getters read one member of an object and produce errors that name the file and the dotted field path:
//     "config.json: field 'hidden_size' is a string, expected an integer".
//   Optional getters return std::nullopt for an absent member and for JSON null (HF writes null for "unset").
//   Integers accept integral JSON floats (64.0) within int64 range; floats accept integers.
//
// Usage
//   QC_ASSIGN_OR_RETURN(nlohmann::json doc, ReadJsonFile(dir + "/config.json"));
//   JsonObject config(doc, "config.json");
//   QC_RETURN_IF_ERROR(config.CheckIsObject());
//   QC_ASSIGN_OR_RETURN(int64_t hidden, config.RequireInt("hidden_size"));
//   QC_ASSIGN_OR_RETURN(std::optional<double> eps, config.OptionalFloat("layer_norm_eps"));
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf {

/// JSON files the importer reads are small; anything bigger than this is refused before reading (tokenizer.json of
/// large multilingual models is ~20 MB).
inline constexpr uint64_t kMaxJsonFileBytes = uint64_t{256} << 20;

/// Parses `text` (the whole document; trailing whitespace allowed) with unique keys and nesting <= max_depth.
/// `where` names the source in errors (a path, or "model.safetensors header").
Expected<nlohmann::json> ParseJson(std::string_view text, const std::string& where, int max_depth = 64);

/// Reads and parses a file (NotFound if missing, IoError if unreadable, CorruptData if too big or malformed).
Expected<nlohmann::json> ReadJsonFile(const std::string& path, int max_depth = 64);

/// Reads a whole (small) file as bytes, refusing files over `max_bytes`.
Expected<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes);

/// "string", "integer", "float", "boolean", "array", "object", "null".
std::string JsonTypeName(const nlohmann::json& value);

/// A JSON object plus where it came from, with typed member access.
class JsonObject {
 public:
  /// `file` names the document, `prefix` the object's path inside it ("" for the root, "normalizer" for a member).
  JsonObject(const nlohmann::json& value, std::string file, std::string prefix = "");

  /// CorruptData unless the wrapped value is an object.
  Status CheckIsObject() const;

  bool Has(std::string_view key) const;
  /// Present and not null.
  bool HasNonNull(std::string_view key) const;
  /// nullptr when absent.
  const nlohmann::json* Find(std::string_view key) const;

  Expected<int64_t> RequireInt(std::string_view key) const;
  Expected<std::optional<int64_t>> OptionalInt(std::string_view key) const;
  Expected<double> RequireFloat(std::string_view key) const;
  Expected<std::optional<double>> OptionalFloat(std::string_view key) const;
  Expected<bool> RequireBool(std::string_view key) const;
  Expected<std::optional<bool>> OptionalBool(std::string_view key) const;
  Expected<std::string> RequireString(std::string_view key) const;
  Expected<std::optional<std::string>> OptionalString(std::string_view key) const;
  /// A member that must be an object; the result's prefix extends this one.
  Expected<JsonObject> RequireObject(std::string_view key) const;
  Expected<std::optional<JsonObject>> OptionalObject(std::string_view key) const;
  /// A member that must be an array; returns the raw array.
  Expected<const nlohmann::json*> RequireArray(std::string_view key) const;

  /// "config.json: field 'normalizer.lowercase'" for messages.
  std::string Describe(std::string_view key) const;
  /// Error helpers that prefix Describe(key).
  Status Missing(std::string_view key) const;
  Status WrongType(std::string_view key, std::string_view expected) const;
  Status BadValue(std::string_view key, const std::string& why) const;

  const nlohmann::json& value() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string Path(std::string_view key) const;

  const nlohmann::json* value_;
  std::string file_;
  std::string prefix_;
};

/// The value as int64 if it is an integer or an integral float in range.
std::optional<int64_t> JsonToInt(const nlohmann::json& value);
/// "0".."999999999" (plain decimal digits, as JSON object keys for ids are written) to an int.
std::optional<int64_t> ParseDecimalId(std::string_view text);
/// The value as double if it is a number.
std::optional<double> JsonToFloat(const nlohmann::json& value);

}  // namespace qc::hf
