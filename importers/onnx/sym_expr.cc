#include "importers/onnx/sym_expr.h"

#include <algorithm>
#include <limits>

namespace qc::onnx_import {
namespace {

// Overflow-checked helpers; overflow turns the whole expression into "unknown" at the caller via nullopt.
bool MulOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}
bool AddOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_add_overflow(a, b, out);
}

}  // namespace

SymExpr::SymExpr(int64_t value) {
  if (value != 0) terms_[{}] = value;
}

SymExpr SymExpr::Symbol(const std::string& name) {
  SymExpr e;
  e.terms_[{name}] = 1;
  return e;
}

void SymExpr::AddTerm(const Monomial& m, int64_t coefficient) {
  // Coefficients of real shape arithmetic are tiny; wrap-around here would need products near 2^63.
  int64_t& c = terms_[m];
  c = static_cast<int64_t>(static_cast<uint64_t>(c) + static_cast<uint64_t>(coefficient));
  if (c == 0) terms_.erase(m);
}

bool SymExpr::IsConstant() const {
  return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty());
}

int64_t SymExpr::ConstantValue() const {
  if (!IsConstant() || terms_.empty()) return 0;
  return terms_.begin()->second;
}

std::optional<std::string> SymExpr::AsSymbol() const {
  if (terms_.size() != 1) return std::nullopt;
  const auto& [m, c] = *terms_.begin();
  if (m.size() != 1 || c != 1) return std::nullopt;
  return m[0];
}

bool SymExpr::IsNonNegative() const {
  return std::all_of(terms_.begin(), terms_.end(), [](const auto& t) { return t.second >= 0; });
}

std::vector<std::string> SymExpr::Symbols() const {
  std::vector<std::string> out;
  for (const auto& [m, c] : terms_) {
    for (const std::string& s : m) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

std::optional<SymExpr> SymExpr::DivExact(const SymExpr& divisor) const {
  if (divisor.terms_.size() != 1) {
    if (*this == divisor && !terms_.empty()) return SymExpr(1);
    return std::nullopt;
  }
  const auto& [dm, dc] = *divisor.terms_.begin();
  if (dc == 0) return std::nullopt;
  SymExpr out;
  for (const auto& [m, c] : terms_) {
    if (c % dc != 0) return std::nullopt;
    // Remove dm's symbols (a multiset) from m.
    Monomial rest = m;
    for (const std::string& s : dm) {
      auto it = std::find(rest.begin(), rest.end(), s);
      if (it == rest.end()) return std::nullopt;
      rest.erase(it);
    }
    out.AddTerm(rest, c / dc);
  }
  return out;
}

std::optional<int64_t> SymExpr::Evaluate(const std::map<std::string, int64_t>& bindings) const {
  int64_t total = 0;
  for (const auto& [m, c] : terms_) {
    int64_t term = c;
    for (const std::string& s : m) {
      auto it = bindings.find(s);
      if (it == bindings.end() || MulOverflows(term, it->second, &term)) return std::nullopt;
    }
    if (AddOverflows(total, term, &total)) return std::nullopt;
  }
  return total;
}

std::string SymExpr::ToString() const {
  if (terms_.empty()) return "0";
  // Highest-degree terms first, the constant last: "batch*sequence+2".
  std::vector<std::pair<Monomial, int64_t>> ordered(terms_.begin(), terms_.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::string text;
  for (const auto& [m, c] : ordered) {
    int64_t magnitude = c;
    if (c < 0) {
      text += "-";
      magnitude = c == std::numeric_limits<int64_t>::min() ? c : -c;
    } else if (!text.empty()) {
      text += "+";
    }
    std::string term;
    if (m.empty() || magnitude != 1) term = std::to_string(magnitude);
    for (const std::string& s : m) term += (term.empty() ? "" : "*") + s;
    text += term;
  }
  return text;
}

SymExpr operator+(const SymExpr& a, const SymExpr& b) {
  SymExpr out = a;
  for (const auto& [m, c] : b.terms_) out.AddTerm(m, c);
  return out;
}

SymExpr operator-(const SymExpr& a, const SymExpr& b) {
  SymExpr out = a;
  for (const auto& [m, c] : b.terms_) out.AddTerm(m, static_cast<int64_t>(0ULL - static_cast<uint64_t>(c)));
  return out;
}

SymExpr operator*(const SymExpr& a, const SymExpr& b) {
  SymExpr out;
  for (const auto& [ma, ca] : a.terms_) {
    for (const auto& [mb, cb] : b.terms_) {
      SymExpr::Monomial m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      std::sort(m.begin(), m.end());
      out.AddTerm(m, static_cast<int64_t>(static_cast<uint64_t>(ca) * static_cast<uint64_t>(cb)));
    }
  }
  return out;
}

std::string ToString(const SymShape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += shape[i] ? shape[i]->ToString() : "?";
  }
  return text + "]";
}

bool SameShape(const SymShape& a, const SymShape& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i] || !b[i] || *a[i] != *b[i]) return false;
  }
  return true;
}

SymDim ShapeProduct(const SymShape& shape, size_t begin, size_t end) {
  SymExpr product(1);
  end = std::min(end, shape.size());
  for (size_t i = begin; i < end; ++i) {
    if (!shape[i]) return std::nullopt;
    product = product * *shape[i];
  }
  return product;
}

std::optional<std::vector<int64_t>> StaticDims(const SymShape& shape) {
  std::vector<int64_t> dims;
  for (const SymDim& d : shape) {
    if (!d || !d->IsConstant()) return std::nullopt;
    dims.push_back(d->ConstantValue());
  }
  return dims;
}

std::optional<std::vector<int64_t>> EvaluateShape(const SymShape& shape,
                                                  const std::map<std::string, int64_t>& bindings) {
  std::vector<int64_t> dims;
  for (const SymDim& d : shape) {
    if (!d) return std::nullopt;
    std::optional<int64_t> v = d->Evaluate(bindings);
    if (!v || *v < 0) return std::nullopt;
    dims.push_back(*v);
  }
  return dims;
}

}  // namespace qc::onnx_import
