// tokenizer/vocab.h: token string -> id lookup without allocating per query.
//
// Overview
//   Vocab owns the token strings (id = index) and two open-addressing hash tables over them: one keyed by the whole
//   token, one keyed by the token with the continuing-subword prefix removed (only tokens that start with it). The
//   WordPiece loop asks "is `##` + piece in the vocabulary?" without building the concatenated string.
//
// Usage
//   QC_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Build(std::move(tokens), "##"));
//   std::int32_t id = vocab.Find("hello");              // -1 when absent
//   std::int32_t cont = vocab.FindContinuation("ing");  // id of "##ing", or -1
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::tokenizer_internal {

class Vocab {
 public:
  /// Fails when a token is empty or appears twice (the message names both ids).
  static Expected<Vocab> Build(std::vector<std::string> tokens, std::string_view continuing_prefix);

  std::int32_t Find(std::string_view token) const { return Lookup(full_, token, 0); }
  /// Id of prefix + `piece`; with an empty prefix that is the plain token.
  std::int32_t FindContinuation(std::string_view piece) const {
    return prefix_size_ == 0 ? Find(piece) : Lookup(continuation_, piece, prefix_size_);
  }

  std::size_t size() const { return tokens_.size(); }
  const std::string& token(std::int32_t id) const { return tokens_[static_cast<std::size_t>(id)]; }
  /// Longest token in bytes (prefix included): no match can be longer, so WordPiece starts its search there.
  std::size_t max_token_bytes() const { return max_token_bytes_; }

 private:
  struct Table {
    std::vector<std::int32_t> slots;  // token ids, -1 for empty; size is a power of two
    std::size_t mask = 0;
  };

  std::int32_t Lookup(const Table& table, std::string_view key, std::size_t skip) const;
  /// Inserts `id` keyed by its token minus `skip` leading bytes; returns the id already there for that key, or -1.
  std::int32_t Insert(Table& table, std::int32_t id, std::size_t skip);
  static void Reserve(Table& table, std::size_t count);

  std::vector<std::string> tokens_;
  Table full_;
  Table continuation_;
  std::size_t prefix_size_ = 0;
  std::size_t max_token_bytes_ = 0;
};

}  // namespace qc::tokenizer_internal
