// Golden-file helpers (see golden_io.h).
#include "tests/tokenizer/golden_io.h"

#include <fstream>
#include <sstream>

#include "tokenizer/utf8.h"

namespace qc::test {

bool ReadFileBytes(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    lines.push_back(text.substr(pos, eol - pos));
    pos = eol + 1;
  }
  return lines;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<std::string> ReadGoldenLines(const std::string& path) {
  std::string text;
  if (!ReadFileBytes(path, text)) return {};
  std::vector<std::string> out;
  for (std::string& line : SplitLines(text)) {
    if (!line.empty() && line[0] == '#') continue;
    out.push_back(std::move(line));
  }
  return out;
}

bool Unescape(const std::string& text, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 >= text.size()) return false;
    const char e = text[++i];
    if (e == '\\') {
      out.push_back('\\');
    } else if (e == 't') {
      out.push_back('\t');
    } else if (e == 'n') {
      out.push_back('\n');
    } else if (e == 'r') {
      out.push_back('\r');
    } else if (e == 'x') {
      if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) return false;
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (e == 'u') {
      if (i + 1 >= text.size() || text[i + 1] != '{') return false;
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string::npos || close == i + 2) return false;
      char32_t cp = 0;
      for (std::size_t k = i + 2; k < close; ++k) {
        if (HexValue(text[k]) < 0) return false;
        cp = cp * 16 + static_cast<char32_t>(HexValue(text[k]));
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      tokenizer_internal::AppendUtf8(cp, out);
      i = close;
    } else {
      return false;
    }
  }
  return true;
}

std::vector<std::string> ReadCases(const std::string& path) {
  std::string text;
  if (!ReadFileBytes(path, text)) return {};
  std::vector<std::string> cases;
  for (const std::string& line : SplitLines(text)) {
    if (line.empty() || line[0] != '>') continue;
    std::string bytes;
    if (!Unescape(line.substr(1), bytes)) return {};  // an empty result makes the caller's size check fail
    cases.push_back(std::move(bytes));
  }
  return cases;
}

std::vector<std::vector<std::string>> ReadTsv(const std::string& path) {
  std::string text;
  std::vector<std::vector<std::string>> rows;
  if (!ReadFileBytes(path, text)) return rows;
  for (const std::string& line : SplitLines(text)) {
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (true) {
      const std::size_t tab = line.find('\t', pos);
      fields.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

std::string FormatRecord(const Encoding& e) {
  std::string s;
  auto join = [&s](const auto& values, bool spaced) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (spaced && i > 0) s.push_back(' ');
      s += std::to_string(values[i]);
    }
  };
  join(e.ids, true);
  s.push_back('\t');
  join(e.token_type_ids, false);
  s.push_back('\t');
  for (std::size_t i = 0; i < e.offsets.size(); ++i) {
    if (i > 0) s.push_back(' ');
    s += std::to_string(e.offsets[i].begin) + ":" + std::to_string(e.offsets[i].end);
  }
  s.push_back('\t');
  join(e.attention_mask, false);
  s.push_back('\t');
  join(e.special_tokens_mask, false);
  return s;
}

std::string FormatResult(const Expected<Encoding>& e) {
  return e.ok() ? FormatRecord(*e) : "ERROR";
}

std::uint64_t Fnv1a64(const std::string& data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

Expected<WordPieceTokenizer> MakeGoldenTokenizer(const std::string& vocab_text, const std::string& config_name) {
  QC_ASSIGN_OR_RETURN(TokenizerConfig config, TokenizerConfig::FromVocabText(vocab_text));
  if (config_name == "cased") {
    config.lowercase = false;
    config.strip_accents = false;
  } else if (config_name == "added") {
    AddedToken unicode_word;
    unicode_word.content = "Ünïcode";
    unicode_word.id = static_cast<std::int32_t>(config.vocab.size());
    unicode_word.special = false;
    unicode_word.normalized = true;
    AddedToken ent;
    ent.content = "<ent>";
    ent.id = unicode_word.id + 1;
    ent.special = false;
    AddedToken chinese;  // normalizes to " 中  文 ": padded ideographs
    chinese.content = "中文";
    chinese.id = ent.id + 1;
    chinese.special = false;
    chinese.normalized = true;
    config.added_tokens.push_back(unicode_word);
    config.added_tokens.push_back(ent);
    config.added_tokens.push_back(chinese);
  } else if (config_name != "uncased") {
    return InvalidArgument("unknown golden config '" + config_name + "'");
  }
  return WordPieceTokenizer::Create(std::move(config));
}

}  // namespace qc::test
