// ir/text_format.h: the small text conventions shared by the printer and attribute formatting.
//
// Overview
//   Floats print as the shortest text that reads back to the same double (std::to_chars), always with a '.' or an
//   exponent so they never look like integers: "1.0", "1e-12", "-10000.0". Names that are plain identifiers print as
//   they are; anything else is quoted so that a numeric ONNX name ("365") never reads like a value id (%365).
//   Output depends only on the input, never on locale or platform.
//
// Usage
//   qc::ir::FormatFloat(0.5);                 // "0.5"
//   qc::ir::FormatName("/bert/pooler/Tanh");  // "/bert/pooler/Tanh"
//   qc::ir::FormatName("365");                // "\"365\""
#pragma once

#include <string>
#include <string_view>

namespace qc::ir {

/// Shortest round-trip text of `value`; "nan", "inf", "-inf" for non-finite values.
std::string FormatFloat(double value);

/// `text` in double quotes with '"' and '\\' escaped and control bytes as \xNN.
std::string QuoteString(std::string_view text);

/// `name` unchanged if it starts with a letter, '_', '/' or '.' and contains only letters, digits and "_./:-";
/// otherwise QuoteString(name). The empty name is quoted as "".
std::string FormatName(std::string_view name);

}  // namespace qc::ir
