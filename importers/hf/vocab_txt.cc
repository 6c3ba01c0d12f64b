// vocab.txt parsing for importers/hf/tokenizer_config.h: one token per line, id = line index.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "importers/hf/tokenizer_config.h"

namespace qc::hf {
namespace {

constexpr int64_t kMaxVocab = int64_t{1} << 24;

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  while (i < text.size()) {
    const unsigned char c = byte(i);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

Expected<std::vector<std::string>> ParseVocabTxt(std::string_view text, const std::string& path) {
  std::vector<std::string> tokens;
  std::map<std::string_view, size_t> line_of;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view token = text.substr(start, end - start);
    if (!token.empty() && token.back() == '\r') token.remove_suffix(1);
    const size_t line = tokens.size() + 1;
    if (token.empty()) return CorruptData(path + ": line " + std::to_string(line) + " is empty (no token)");
    if (!IsValidUtf8(token)) return CorruptData(path + ": line " + std::to_string(line) + " is not valid UTF-8");
    if (const auto [it, inserted] = line_of.emplace(token, line); !inserted) {
      return CorruptData(path + ": line " + std::to_string(line) + " repeats token '" + std::string(token) +
                         "' of line " + std::to_string(it->second));
    }
    if (static_cast<int64_t>(tokens.size()) >= kMaxVocab) return CorruptData(path + ": more than 2^24 tokens");
    tokens.emplace_back(token);
    start = end + 1;
  }
  if (tokens.empty()) return CorruptData(path + ": the vocabulary is empty");
  return tokens;
}

}  // namespace qc::hf
