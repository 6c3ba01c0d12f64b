// Test helpers for the tokenizer goldens in tests/fixtures/tokenizer (format: see generate_goldens.py there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/encoding.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace qc::test {

/// Whole file as bytes; empty string plus a failed CHECK-able flag when missing.
bool ReadFileBytes(const std::string& path, std::string& out);

/// Non-comment lines of a golden file ('#' lines dropped), in order.
std::vector<std::string> ReadGoldenLines(const std::string& path);

/// Cases of hard_cases.txt-style files ('>' lines), escapes resolved to raw bytes.
std::vector<std::string> ReadCases(const std::string& path);

/// Resolves \\ \t \n \r \xHH \u{HEX}; returns false on a malformed escape.
bool Unescape(const std::string& text, std::string& out);

/// Rows of a TSV file split on '\t' (no quoting, GLUE style); the final empty line is dropped.
std::vector<std::vector<std::string>> ReadTsv(const std::string& path);

/// The golden record line of an encoding: ids, type ids, offsets, attention mask, special-tokens mask.
std::string FormatRecord(const Encoding& e);
/// FormatRecord, or "ERROR" for a failed encoding.
std::string FormatResult(const Expected<Encoding>& e);

std::uint64_t Fnv1a64(const std::string& data);

/// bert-base-uncased vocab (../shared) turned into the named golden config: "uncased", "cased" or "added".
Expected<WordPieceTokenizer> MakeGoldenTokenizer(const std::string& vocab_text, const std::string& config_name);

}  // namespace qc::test
