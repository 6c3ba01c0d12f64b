// importers/hf/tokenizer_config.h: a BERT WordPiece tokenizer described by a Hugging Face directory, as plain data.
//
// Overview
//   ReadHfTokenizer(dir) produces an HfTokenizerSpec the runtime tokenizer (runtime/tokenizer/tokenizer_config.h) can
//   reproduce exactly, or an error; it never approximates a tokenizer it cannot reproduce.
//   Sources, in order:
//   1. `tokenizer.json` if present. Accepted shape (anything else is Unsupported naming the part):
//      normalizer     BertNormalizer (flags clean_text, handle_chinese_chars, strip_accents (null => unset: follows
//                     lowercase), lowercase; missing flags take the tokenizers defaults true/true/null/true), a
//                     Sequence holding exactly one BertNormalizer, or null (no normalization: all flags false);
//      pre_tokenizer  BertPreTokenizer (or a Sequence holding exactly it);
//      model          WordPiece {vocab: token -> id, dense 0..N-1, unk_token, continuing_subword_prefix ("##"),
//                     max_input_chars_per_word (100)}; BPE / Unigram / WordLevel are rejected;
//      post_processor TemplateProcessing "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1" (any special token
//                     spelling, ids must match the vocab) or BertProcessing; gives cls_token / sep_token;
//      added_tokens   kept (content, id, special, normalized); an id below N must name the same vocab entry, ids from
//                     N on must continue the id space densely and extend `vocab`; single_word / lstrip / rstrip
//                     tokens are rejected (the runtime cannot reproduce them);
//      truncation / padding: recorded for information only (transformers overrides both on every call).
//   2. else `vocab.txt` (one token per line, id = line index, '\r' dropped, a final empty line ignored; empty or
//      duplicate tokens and invalid UTF-8 are errors naming the line) with BertTokenizer defaults: lowercase,
//      strip_accents unset, clean_text, handle_chinese_chars, "##", 100, and the special tokens that exist in the
//      vocab as non-normalized added tokens.
//   Then `tokenizer_config.json` (do_lower_case, strip_accents, tokenize_chinese_chars, model_max_length, special
//   token names as strings or {"content": ...} objects) and `special_tokens_map.json` (special token names; they win
//   over tokenizer_config.json, as in transformers). A flag given in tokenizer_config.json overrides tokenizer.json
//   (transformers' BertTokenizerFast rebuilds its normalizer the same way) and a warning records any disagreement.
//   model_max_length values above 1e9 (transformers' "unset" sentinel ~1e30) mean unset.
//   Every special token named (unk, cls, sep, pad; mask unless absent) must be in the vocab.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::hf::HfTokenizerSpec spec, qc::hf::ReadHfTokenizer("bert-dir"));
//   int64_t cls = spec.TokenId(spec.cls_token);              // 101 for bert-base-uncased
//   for (const std::string& w : spec.warnings) log(w);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf {

/// A token matched whole before WordPiece (HF `added_tokens`).
struct HfAddedToken {
  std::string content;
  int64_t id = -1;
  bool special = true;
  bool normalized = false;  ///< false: matched in the raw text; true: in the normalized text
};

struct HfTokenizerSpec {
  std::string source;  ///< the tokenizer.json or vocab.txt read
  /// Tokens by id, dense.
  std::vector<std::string> vocab;

  // BertNormalizer.
  bool lowercase = true;
  std::optional<bool> strip_accents;  ///< unset: follows lowercase
  bool clean_text = true;
  bool handle_chinese_chars = true;

  // WordPiece.
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  int64_t max_input_chars_per_word = 100;

  // Special tokens and post-processing.
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";  ///< "" when the tokenizer has none
  int64_t pad_token_type_id = 0;
  std::vector<HfAddedToken> added_tokens;

  /// tokenizer_config.json's model_max_length when it is a real limit.
  std::optional<int64_t> model_max_length;

  // tokenizer.json truncation / padding as saved (informational).
  std::optional<int64_t> truncation_max_length;
  std::string truncation_strategy;        ///< "LongestFirst", "OnlyFirst", "OnlySecond" or ""
  std::optional<int64_t> padding_length;  ///< Fixed(n)
  std::string padding_strategy;           ///< "BatchLongest", "Fixed" or ""

  /// Disagreements resolved while reading (e.g. tokenizer_config.json overriding tokenizer.json's lowercase).
  std::vector<std::string> warnings;

  /// -1 unset, 0 false, 1 true (the graph metadata encoding).
  int64_t strip_accents_code() const { return strip_accents ? (*strip_accents ? 1 : 0) : -1; }
  /// The token's id, or -1 (a linear scan: for the handful of special-token lookups).
  int64_t TokenId(std::string_view token) const;
};

/// Reads the tokenizer files of a Hugging Face directory (see the header comment). NotFound when the directory has
/// neither tokenizer.json nor vocab.txt.
Expected<HfTokenizerSpec> ReadHfTokenizer(const std::string& dir);

/// Parses tokenizer.json text alone (no tokenizer_config.json / special_tokens_map.json); `path` for messages.
Expected<HfTokenizerSpec> ParseTokenizerJson(std::string_view text, const std::string& path);

/// Parses vocab.txt text into tokens by id (rules in the header comment); `path` for messages.
Expected<std::vector<std::string>> ParseVocabTxt(std::string_view text, const std::string& path);

/// True when `text` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace qc::hf
