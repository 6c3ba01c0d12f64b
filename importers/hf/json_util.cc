#include "importers/hf/json_util.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <utility>

namespace qc::hf {
namespace {

using nlohmann::json;

// Thrown from the parser callback to abort parsing; caught in ParseJson and never escapes it.
struct JsonRejected {
  std::string message;
};

}  // namespace

Expected<json> ParseJson(std::string_view text, const std::string& where, int max_depth) {
  // nlohmann's lexer stops at a NUL byte as if the input ended, silently ignoring whatever follows. Valid JSON never
  // contains a raw NUL (inside strings it must be escaped), so reject it outright.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return CorruptData(where + ": invalid JSON: NUL byte at offset " + std::to_string(nul));
  }
  std::vector<std::set<std::string>> keys_per_object;  // one set per currently open object
  int depth = 0;
  const json::parser_callback_t check = [&](int /*parser_depth*/, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_per_object.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (++depth > max_depth) {
          throw JsonRejected{"nesting deeper than " + std::to_string(max_depth) + " levels"};
        }
        break;
      case json::parse_event_t::object_end:
        if (!keys_per_object.empty()) keys_per_object.pop_back();
        [[fallthrough]];
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key:
        if (!keys_per_object.empty() && parsed.is_string()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!keys_per_object.back().insert(key).second) throw JsonRejected{"duplicate key '" + key + "'"};
        }
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const JsonRejected& rejected) {
    return CorruptData(where + ": invalid JSON: " + rejected.message);
  } catch (const json::exception& e) {
    return CorruptData(where + ": invalid JSON: " + e.what());
  } catch (const std::bad_alloc&) {
    return CorruptData(where + ": JSON document too large to parse");
  }
}

Expected<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) return NotFound(path + ": no such file");
  // Directories, FIFOs and devices would fail oddly or block: only plain files are read.
  if (!ec && st.type() != std::filesystem::file_type::regular) return IoError(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    if (errno == ENOENT) return NotFound(path + ": no such file");
    return IoError(path + ": cannot open file: " + std::strerror(errno));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) return IoError(path + ": cannot determine file size (is it a directory?)");
  if (static_cast<uint64_t>(size) > max_bytes) {
    return CorruptData(path + ": " + std::to_string(size) + " bytes exceeds the " + std::to_string(max_bytes) +
                       "-byte limit for this file");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size)) return IoError(path + ": read failed");
  return bytes;
}

Expected<json> ReadJsonFile(const std::string& path, int max_depth) {
  QC_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxJsonFileBytes));
  return ParseJson(text, path, max_depth);
}

std::string JsonTypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "float";
    case json::value_t::binary:
      return "binary";
    case json::value_t::discarded:
      return "discarded";
  }
  return "unknown";
}

std::optional<int64_t> JsonToInt(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    // 2^63 is exactly representable; anything >= it does not fit.
    if (!std::isfinite(d) || d != std::floor(d) || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::optional<int64_t> ParseDecimalId(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<double> JsonToFloat(const json& value) {
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

JsonObject::JsonObject(const json& value, std::string file, std::string prefix)
    : value_(&value), file_(std::move(file)), prefix_(std::move(prefix)) {}

Status JsonObject::CheckIsObject() const {
  if (value_->is_object()) return Status::Ok();
  if (prefix_.empty()) return CorruptData(file_ + ": expected a JSON object, got " + JsonTypeName(*value_));
  return CorruptData(file_ + ": field '" + prefix_ + "' is " + JsonTypeName(*value_) + ", expected an object");
}

std::string JsonObject::Path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

std::string JsonObject::Describe(std::string_view key) const {
  return file_ + ": field '" + Path(key) + "'";
}

Status JsonObject::Missing(std::string_view key) const {
  return CorruptData(Describe(key) + " is missing");
}

Status JsonObject::WrongType(std::string_view key, std::string_view expected) const {
  const json* found = Find(key);
  return CorruptData(Describe(key) + " is " + (found ? JsonTypeName(*found) : std::string("missing")) + ", expected " +
                     std::string(expected));
}

Status JsonObject::BadValue(std::string_view key, const std::string& why) const {
  return CorruptData(Describe(key) + " " + why);
}

const json* JsonObject::Find(std::string_view key) const {
  if (!value_->is_object()) return nullptr;
  const auto it = value_->find(key);
  return it == value_->end() ? nullptr : &*it;
}

bool JsonObject::Has(std::string_view key) const {
  return Find(key) != nullptr;
}

bool JsonObject::HasNonNull(std::string_view key) const {
  const json* found = Find(key);
  return found != nullptr && !found->is_null();
}

Expected<std::optional<int64_t>> JsonObject::OptionalInt(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr || found->is_null()) return std::optional<int64_t>();
  if (std::optional<int64_t> v = JsonToInt(*found)) return v;
  if (found->is_number()) return BadValue(key, "is not an integer in int64 range");
  return WrongType(key, "an integer");
}

Expected<int64_t> JsonObject::RequireInt(std::string_view key) const {
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> v, OptionalInt(key));
  if (!v) return Has(key) ? WrongType(key, "an integer") : Missing(key);
  return *v;
}

Expected<std::optional<double>> JsonObject::OptionalFloat(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr || found->is_null()) return std::optional<double>();
  if (std::optional<double> v = JsonToFloat(*found)) return v;
  return WrongType(key, "a number");
}

Expected<double> JsonObject::RequireFloat(std::string_view key) const {
  QC_ASSIGN_OR_RETURN(std::optional<double> v, OptionalFloat(key));
  if (!v) return Has(key) ? WrongType(key, "a number") : Missing(key);
  return *v;
}

Expected<std::optional<bool>> JsonObject::OptionalBool(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr || found->is_null()) return std::optional<bool>();
  if (found->is_boolean()) return std::optional<bool>(found->get<bool>());
  return WrongType(key, "a boolean");
}

Expected<bool> JsonObject::RequireBool(std::string_view key) const {
  QC_ASSIGN_OR_RETURN(std::optional<bool> v, OptionalBool(key));
  if (!v) return Has(key) ? WrongType(key, "a boolean") : Missing(key);
  return *v;
}

Expected<std::optional<std::string>> JsonObject::OptionalString(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr || found->is_null()) return std::optional<std::string>();
  if (found->is_string()) return std::optional<std::string>(found->get<std::string>());
  return WrongType(key, "a string");
}

Expected<std::string> JsonObject::RequireString(std::string_view key) const {
  QC_ASSIGN_OR_RETURN(std::optional<std::string> v, OptionalString(key));
  if (!v) return Has(key) ? WrongType(key, "a string") : Missing(key);
  return *v;
}

Expected<std::optional<JsonObject>> JsonObject::OptionalObject(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr || found->is_null()) return std::optional<JsonObject>();
  if (!found->is_object()) return WrongType(key, "an object");
  return std::optional<JsonObject>(JsonObject(*found, file_, Path(key)));
}

Expected<JsonObject> JsonObject::RequireObject(std::string_view key) const {
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> v, OptionalObject(key));
  if (!v) return Has(key) ? WrongType(key, "an object") : Missing(key);
  return *std::move(v);
}

Expected<const json*> JsonObject::RequireArray(std::string_view key) const {
  const json* found = Find(key);
  if (found == nullptr) return Missing(key);
  if (!found->is_array()) return WrongType(key, "an array");
  return found;
}

}  // namespace qc::hf
