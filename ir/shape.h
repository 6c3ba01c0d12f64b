// ir/shape.h: dimensions that are either fixed sizes or named symbols, and shapes built from them.
//
// Overview
//   A `Dim` is a fixed non-negative size (64) or a symbol ("batch", "sequence"). Equal symbols denote the same run-time
//   size everywhere in a graph; shape inference propagates them and derives new ones for arithmetic on symbols
//   ("sequence+1", "height/16*width/16"). A `Shape` is a plain vector of Dims; rank 0 is a scalar.
//   Constant tensors always have static shapes (ir/tensor.h keeps them as vector<int64_t>).
//
// Usage
//   qc::ir::Shape shape{"batch", "sequence", 768};
//   qc::ir::ToString(shape);                                  // "[batch, sequence, 768]"
//   qc::ir::IsStatic(shape);                                  // false
//   QC_ASSIGN_OR_RETURN(int64_t n, qc::ir::StaticElementCount(qc::ir::Shape{2, 3}));  // 6
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "qcompress/status.h"

namespace qc::ir {

class Dim {
 public:
  /// A fixed size. Implicit so shapes read naturally: Shape{"batch", 64}. Negative sizes are representable only so
  /// that a bad importer input can be reported by ValidateShape() instead of being silently clamped.
  template <typename Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  Dim(Int size) : size_(static_cast<int64_t>(size)) {}  // NOLINT: implicit by design
  /// A symbolic size. Implicit for the same reason.
  Dim(std::string symbol) : symbolic_(true), symbol_(std::move(symbol)) {}  // NOLINT
  Dim(const char* symbol) : Dim(std::string(symbol)) {}                     // NOLINT

  bool is_static() const { return !symbolic_; }
  /// The fixed size; only meaningful when is_static().
  int64_t size() const { return size_; }
  /// The symbol; empty when is_static().
  const std::string& symbol() const { return symbol_; }

  /// "64" or "batch".
  std::string ToString() const { return is_static() ? std::to_string(size_) : symbol_; }

  friend bool operator==(const Dim& a, const Dim& b) {
    return a.symbolic_ == b.symbolic_ && a.size_ == b.size_ && a.symbol_ == b.symbol_;
  }
  friend bool operator!=(const Dim& a, const Dim& b) { return !(a == b); }

 private:
  bool symbolic_ = false;
  int64_t size_ = 0;
  std::string symbol_;
};

using Shape = std::vector<Dim>;

/// True when every dimension is fixed.
bool IsStatic(const Shape& shape);

/// "[batch, sequence, 64]"; "[]" for a scalar.
std::string ToString(const Shape& shape);

/// Checks fixed sizes are >= 0 and symbols are well-formed: non-empty, not starting with a digit or '-', printable
/// ASCII without spaces, commas or brackets (so printed shapes stay unambiguous). `what` names the value in errors.
Status ValidateShape(const Shape& shape, std::string_view what);

/// Product of the dimensions of a static shape; errors for symbolic or negative dimensions and int64 overflow.
Expected<int64_t> StaticElementCount(const Shape& shape);
/// The same for plain dimension lists (constant tensors).
Expected<int64_t> ElementCount(const std::vector<int64_t>& dims);

/// Shape{d0, d1, ...} from fixed sizes.
Shape ShapeFromDims(const std::vector<int64_t>& dims);
/// The fixed sizes of a static shape; an error naming the first symbolic dimension otherwise.
Expected<std::vector<int64_t>> StaticDims(const Shape& shape);

}  // namespace qc::ir
