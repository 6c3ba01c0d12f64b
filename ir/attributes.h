// ir/attributes.h: typed node attributes keyed by an enum.
//
// Overview
//   Keys come from the X-macro list ir/attr_names.inc (`AttrName`), each with one fixed `AttrKind`. Values are a
//   variant of int64, double, string, int64 list and double list. Enumerated attributes (Gelu's `approximate`) are
//   stored as int64 holding the enum value, never as strings, and read back through a typed getter that range-checks.
//   `Attributes` keeps keys in enum order, so iteration and printing are deterministic.
//
//   Getters return Expected<T>; the caller passes an `owner` description (e.g. Node::Describe(): "node 'ln'
//   (LayerNorm)") that the error message starts with, so a missing or mistyped attribute names its node and key.
//
// Usage
//   qc::ir::Attributes attrs{{qc::ir::AttrName::kEpsilon, 1e-12}, {qc::ir::AttrName::kAxis, int64_t{-1}}};
//   attrs.Set(qc::ir::AttrName::kApproximate, qc::ir::GeluApproximation::kTanh);
//   QC_ASSIGN_OR_RETURN(double eps, attrs.GetFloat(qc::ir::AttrName::kEpsilon, node.Describe()));
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "qcompress/status.h"

namespace qc::ir {

enum class AttrName : uint16_t {
#define QC_IR_ATTR(name, text, kind) name,
#include "ir/attr_names.inc"
#undef QC_IR_ATTR
};

inline constexpr size_t kNumAttrNames = 0
#define QC_IR_ATTR(name, text, kind) +1
#include "ir/attr_names.inc"
#undef QC_IR_ATTR
    ;

/// What a key holds. kGeluApproximation is stored as an int64 GeluApproximation value.
enum class AttrKind : uint8_t { kInt, kFloat, kString, kInts, kFloats, kGeluApproximation };

/// Gelu's formula: exact 0.5*x*(1+erf(x/sqrt 2)), or the tanh approximation. Different functions, kept distinct.
enum class GeluApproximation : int64_t { kNone = 0, kTanh = 1 };

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

/// "epsilon"; "invalid" outside the enum.
std::string_view AttrNameText(AttrName name);
Expected<AttrName> ParseAttrName(std::string_view text);
AttrKind GetAttrKind(AttrName name);
/// "int", "float", "string", "ints", "floats", "gelu_approximation".
std::string_view AttrKindName(AttrKind kind);

/// "none" / "tanh" (the ONNX Gelu attribute spelling), and back.
std::string_view GeluApproximationName(GeluApproximation approximation);
Expected<GeluApproximation> ParseGeluApproximation(std::string_view text);

/// Checks that `value` has the kind `name` requires (and, for enums, a valid enum value).
/// Errors read "<owner>: attribute 'axis' is float, expected int".
Status CheckAttrValue(AttrName name, const AttrValue& value, std::string_view owner);

/// The attribute's value as text: "-1", "1e-12", "\"text\"", "[1, 2]", "tanh". Floats use the shortest text that
/// reads back to the same double, so output is identical on every platform.
std::string AttrValueToString(AttrName name, const AttrValue& value);

class Attributes {
 public:
  using Map = std::map<AttrName, AttrValue>;

  Attributes() = default;
  Attributes(std::initializer_list<std::pair<const AttrName, AttrValue>> values) : values_(values) {}

  /// Adds or replaces. The kind is checked by the builder and the verifier, which know the node.
  void Set(AttrName name, AttrValue value) { values_[name] = std::move(value); }
  void Set(AttrName name, GeluApproximation value) { values_[name] = static_cast<int64_t>(value); }
  void Erase(AttrName name) { values_.erase(name); }

  bool Has(AttrName name) const { return values_.count(name) != 0; }
  /// nullptr when absent.
  const AttrValue* Find(AttrName name) const;

  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  Map::const_iterator begin() const { return values_.begin(); }
  Map::const_iterator end() const { return values_.end(); }

  Expected<int64_t> GetInt(AttrName name, std::string_view owner) const;
  Expected<double> GetFloat(AttrName name, std::string_view owner) const;
  Expected<std::string> GetString(AttrName name, std::string_view owner) const;
  Expected<std::vector<int64_t>> GetInts(AttrName name, std::string_view owner) const;
  Expected<std::vector<double>> GetFloats(AttrName name, std::string_view owner) const;
  Expected<GeluApproximation> GetGeluApproximation(AttrName name, std::string_view owner) const;

  friend bool operator==(const Attributes& a, const Attributes& b) { return a.values_ == b.values_; }
  friend bool operator!=(const Attributes& a, const Attributes& b) { return !(a == b); }

 private:
  template <typename T>
  Expected<T> Get(AttrName name, AttrKind kind, std::string_view owner) const;

  Map values_;
};

}  // namespace qc::ir
