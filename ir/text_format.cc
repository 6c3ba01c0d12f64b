#include "ir/text_format.h"

#include <charconv>
#include <cmath>

namespace qc::ir {
namespace {

bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string FormatFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string QuoteString(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      quoted += "\\x";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0xF];
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

std::string FormatName(std::string_view name) {
  if (name.empty()) return QuoteString(name);
  const char first = name.front();
  bool plain = IsLetter(first) || first == '_' || first == '/' || first == '.';
  for (char c : name) {
    plain = plain && (IsLetter(c) || IsDigit(c) || c == '_' || c == '.' || c == '/' || c == ':' || c == '-');
  }
  return plain ? std::string(name) : QuoteString(name);
}

}  // namespace qc::ir
