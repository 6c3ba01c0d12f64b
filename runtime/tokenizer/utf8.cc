// UTF-8 decoding with U+FFFD substitution of maximal ill-formed subparts (see utf8.h).
#include "tokenizer/utf8.h"

namespace qc::tokenizer_internal {
namespace {

// Unicode Table 3-7: the allowed range of the second byte depends on the lead byte; later bytes are 80..BF.
struct LeadInfo {
  int length;  // total sequence length; 0 when the byte cannot start a sequence
  unsigned char second_lo;
  unsigned char second_hi;
};

LeadInfo ClassifyLead(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};  // excludes surrogates
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0, 0, 0};
}

}  // namespace

void DecodeUtf8(std::string_view text, std::size_t base, std::vector<OffsetChar>& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b0 = bytes[i];
    if (b0 < 0x80) {
      out.push_back({b0, base + i, base + i + 1});
      ++i;
      continue;
    }
    const LeadInfo lead = ClassifyLead(b0);
    if (lead.length == 0) {
      out.push_back({kReplacementChar, base + i, base + i + 1});
      ++i;
      continue;
    }
    char32_t cp = b0 & (lead.length == 2 ? 0x1F : lead.length == 3 ? 0x0F : 0x07);
    std::size_t j = i + 1;
    bool ok = true;
    for (int k = 1; k < lead.length; ++k, ++j) {
      const unsigned char lo = k == 1 ? lead.second_lo : 0x80;
      const unsigned char hi = k == 1 ? lead.second_hi : 0xBF;
      if (j >= n || bytes[j] < lo || bytes[j] > hi) {
        ok = false;  // the maximal subpart is [i, j): the offending byte starts the next attempt
        break;
      }
      cp = (cp << 6) | (bytes[j] & 0x3F);
    }
    out.push_back({ok ? cp : kReplacementChar, base + i, base + j});
    i = j;
  }
}

std::size_t AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
    return 1;
  }
  if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    return 2;
  }
  if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    return 3;
  }
  out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
  out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
  out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  return 4;
}

}  // namespace qc::tokenizer_internal
