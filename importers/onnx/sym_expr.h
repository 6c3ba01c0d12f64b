// importers/onnx/sym_expr.h: integer polynomials over named dimension symbols, for ONNX shape arithmetic.
//
// Overview
//   Real exports compute reshape targets at run time: `Shape(x) -> Gather(1) -> Unsqueeze -> Concat(.., 4, 16)`.
//   The importer evaluates those chains symbolically: every dimension and every element of a small integer "shape
//   tensor" is a SymExpr, a polynomial with int64 coefficients over symbols taken from the graph inputs'
//   dim_params ("batch", "sequence"). Sums, products and exact divisions stay exact ("batch*sequence*64 / 16");
//   anything else (a division that does not come out even, min/max of unrelated symbols) is "unknown" (nullopt at
//   the call site), never a guess. Symbols stand for sizes >= 1, which decides comparisons such as `batch == -1`.
//
// Usage
//   SymExpr b = SymExpr::Symbol("batch"), s = SymExpr::Symbol("sequence");
//   SymExpr n = b * s * SymExpr(64);                    // "64*batch*sequence"
//   std::optional<SymExpr> h = n.DivExact(b * s * SymExpr(16));   // 4
//   std::optional<int64_t> v = n.Evaluate({{"batch", 2}, {"sequence", 5}});   // 640
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qc::onnx_import {

class SymExpr {
 public:
  /// The constant `value` (implicit: SymExpr(4)).
  SymExpr(int64_t value = 0);  // NOLINT: implicit by design
  static SymExpr Symbol(const std::string& name);

  bool IsConstant() const;
  /// The value of a constant expression; 0 for non-constants (check IsConstant first).
  int64_t ConstantValue() const;
  /// The symbol's name when the expression is exactly one symbol with coefficient 1.
  std::optional<std::string> AsSymbol() const;
  /// True when every coefficient is >= 0, so the value is >= 0 for any symbol values >= 1 (and > 0 unless zero).
  bool IsNonNegative() const;
  /// Symbols that occur in the expression.
  std::vector<std::string> Symbols() const;

  /// Exact quotient when `divisor` is a non-zero constant or a single term dividing every term; nullopt otherwise.
  std::optional<SymExpr> DivExact(const SymExpr& divisor) const;
  /// Value with every symbol bound; nullopt when a symbol is unbound or on int64 overflow.
  std::optional<int64_t> Evaluate(const std::map<std::string, int64_t>& bindings) const;

  /// "64", "batch", "batch*sequence", "sequence+1", "2*batch-3".
  std::string ToString() const;

  friend SymExpr operator+(const SymExpr& a, const SymExpr& b);
  friend SymExpr operator-(const SymExpr& a, const SymExpr& b);
  friend SymExpr operator*(const SymExpr& a, const SymExpr& b);
  friend bool operator==(const SymExpr& a, const SymExpr& b) { return a.terms_ == b.terms_; }
  friend bool operator!=(const SymExpr& a, const SymExpr& b) { return !(a == b); }

 private:
  using Monomial = std::vector<std::string>;  // sorted symbol names, repeated for powers; empty = constant term
  void AddTerm(const Monomial& m, int64_t coefficient);
  std::map<Monomial, int64_t> terms_;  // no zero coefficients
};

/// A dimension or shape-tensor element: known expression or unknown.
using SymDim = std::optional<SymExpr>;
/// A shape of known rank whose dims may be unknown.
using SymShape = std::vector<SymDim>;

/// "[batch, sequence, 64]" with "?" for unknown dims.
std::string ToString(const SymShape& shape);
/// True when both shapes have the same rank and every dim is known and equal.
bool SameShape(const SymShape& a, const SymShape& b);
/// Product of the dims; nullopt if any is unknown.
SymDim ShapeProduct(const SymShape& shape, size_t begin = 0, size_t end = SIZE_MAX);
/// The fixed sizes when every dim is a known constant.
std::optional<std::vector<int64_t>> StaticDims(const SymShape& shape);
/// Dims evaluated under `bindings`; nullopt if any dim is unknown or unbound.
std::optional<std::vector<int64_t>> EvaluateShape(const SymShape& shape,
                                                  const std::map<std::string, int64_t>& bindings);

}  // namespace qc::onnx_import
