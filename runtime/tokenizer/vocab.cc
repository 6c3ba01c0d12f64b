// Open-addressing vocabulary tables (see vocab.h).
#include "tokenizer/vocab.h"

#include <utility>

namespace qc::tokenizer_internal {
namespace {

// FNV-1a, 64 bit, folded: good enough spread for token strings and no dependency.
std::uint64_t HashBytes(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h ^ (h >> 29);
}

}  // namespace

void Vocab::Reserve(Table& table, std::size_t count) {
  std::size_t capacity = 16;
  while (capacity < count * 2) capacity <<= 1;  // load factor <= 0.5
  table.slots.assign(capacity, -1);
  table.mask = capacity - 1;
}

std::int32_t Vocab::Lookup(const Table& table, std::string_view key, std::size_t skip) const {
  if (table.slots.empty()) return -1;
  std::size_t i = HashBytes(key) & table.mask;
  while (true) {
    const std::int32_t id = table.slots[i];
    if (id < 0) return -1;
    const std::string& t = tokens_[static_cast<std::size_t>(id)];
    if (t.size() - skip == key.size() && std::string_view(t).substr(skip) == key) return id;
    i = (i + 1) & table.mask;
  }
}

std::int32_t Vocab::Insert(Table& table, std::int32_t id, std::size_t skip) {
  const std::string_view key = std::string_view(tokens_[static_cast<std::size_t>(id)]).substr(skip);
  const std::int32_t existing = Lookup(table, key, skip);
  if (existing >= 0) return existing;
  std::size_t i = HashBytes(key) & table.mask;
  while (table.slots[i] >= 0) i = (i + 1) & table.mask;
  table.slots[i] = id;
  return -1;
}

Expected<Vocab> Vocab::Build(std::vector<std::string> tokens, std::string_view continuing_prefix) {
  if (tokens.empty()) return InvalidArgument("vocab is empty");
  if (tokens.size() > static_cast<std::size_t>(INT32_MAX)) {
    return OutOfRange("vocab has " + std::to_string(tokens.size()) + " entries, more than int32 ids can address");
  }
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.prefix_size_ = continuing_prefix.size();
  std::size_t continuation_count = 0;
  for (const std::string& t : v.tokens_) {
    if (!continuing_prefix.empty() && t.size() > continuing_prefix.size() &&
        std::string_view(t).substr(0, continuing_prefix.size()) == continuing_prefix) {
      ++continuation_count;
    }
  }
  Reserve(v.full_, v.tokens_.size());
  Reserve(v.continuation_, continuation_count);
  for (std::size_t i = 0; i < v.tokens_.size(); ++i) {
    const std::string& t = v.tokens_[i];
    const auto id = static_cast<std::int32_t>(i);
    if (t.empty()) return InvalidArgument("vocab entry " + std::to_string(i) + " is empty");
    if (t.size() > v.max_token_bytes_) v.max_token_bytes_ = t.size();
    if (const std::int32_t dup = v.Insert(v.full_, id, 0); dup >= 0) {
      return InvalidArgument("vocab entry " + std::to_string(i) + " '" + t + "' duplicates entry " +
                             std::to_string(dup));
    }
    if (!continuing_prefix.empty() && t.size() > continuing_prefix.size() &&
        std::string_view(t).substr(0, continuing_prefix.size()) == continuing_prefix) {
      (void)v.Insert(v.continuation_, id, v.prefix_size_);  // unique because the full tokens are unique
    }
  }
  return v;
}

}  // namespace qc::tokenizer_internal
