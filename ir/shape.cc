#include "ir/shape.h"

#include <limits>

namespace qc::ir {
namespace {

bool IsSymbolCharacter(char c) {
  // Printable ASCII except the characters that delimit a printed shape.
  return c > ' ' && c <= '~' && c != ',' && c != '[' && c != ']';
}

}  // namespace

bool IsStatic(const Shape& shape) {
  for (const Dim& dim : shape) {
    if (!dim.is_static()) return false;
  }
  return true;
}

std::string ToString(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += shape[i].ToString();
  }
  text += ']';
  return text;
}

Status ValidateShape(const Shape& shape, std::string_view what) {
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim& dim = shape[i];
    const std::string where = std::string(what) + ": dimension " + std::to_string(i) + " of " + ToString(shape);
    if (dim.is_static()) {
      if (dim.size() < 0) return InvalidArgument(where + " is negative");
      continue;
    }
    const std::string& symbol = dim.symbol();
    if (symbol.empty()) return InvalidArgument(where + " has an empty symbol name");
    const char first = symbol.front();
    if ((first >= '0' && first <= '9') || first == '-') {
      return InvalidArgument(where + ": symbol '" + symbol + "' must not start with a digit or '-'");
    }
    for (char c : symbol) {
      if (!IsSymbolCharacter(c)) {
        return InvalidArgument(where + ": symbol '" + symbol + "' contains a space, comma, bracket or non-ASCII byte");
      }
    }
  }
  return Status::Ok();
}

Expected<int64_t> ElementCount(const std::vector<int64_t>& dims) {
  int64_t count = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t dim = dims[i];
    if (dim < 0)
      return InvalidArgument("dimension " + std::to_string(i) + " is negative (" + std::to_string(dim) + ")");
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim) {
      return OutOfRange("element count of " + ToString(ShapeFromDims(dims)) + " overflows int64");
    }
    count *= dim;
  }
  return count;
}

Expected<int64_t> StaticElementCount(const Shape& shape) {
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> dims, StaticDims(shape));
  return ElementCount(dims);
}

Shape ShapeFromDims(const std::vector<int64_t>& dims) {
  return Shape(dims.begin(), dims.end());
}

Expected<std::vector<int64_t>> StaticDims(const Shape& shape) {
  std::vector<int64_t> dims;
  dims.reserve(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!shape[i].is_static()) {
      return InvalidArgument("shape " + ToString(shape) + " is not static: dimension " + std::to_string(i) + " is '" +
                             shape[i].symbol() + "'");
    }
    dims.push_back(shape[i].size());
  }
  return dims;
}

}  // namespace qc::ir
