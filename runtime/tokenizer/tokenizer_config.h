// tokenizer/tokenizer_config.h: everything that decides how a BERT WordPiece tokenizer maps text to ids.
//
// Overview
//   The fields mirror the parts of a Hugging Face tokenizer.json that matter for BERT-family models, so an importer
//   fills them one to one and the runtime reproduces `tokenizers` exactly:
//     normalizer     BertNormalizer{clean_text, handle_chinese_chars, strip_accents (null => lowercase), lowercase}
//     pre_tokenizer  BertPreTokenizer (fixed: whitespace split + isolated punctuation)
//     model          WordPiece{vocab, unk_token, continuing_subword_prefix, max_input_chars_per_word}
//     post_processor BertProcessing / TemplateProcessing "[CLS] $A [SEP]" and "[CLS] $A [SEP] $B:1 [SEP]:1"
//     added_tokens   matched in the text before normalization (normalized=false) or after it (normalized=true)
//   Importers must reject tokenizer.json files outside this shape (another pre-tokenizer, a different template,
//   added tokens with single_word/lstrip/rstrip) rather than approximate them; Validate() rejects those flags.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::TokenizerConfig config, qc::TokenizerConfig::FromVocabText(vocab_txt));  // BERT defaults
//   config.lowercase = false;       // a cased model
//   config.strip_accents = false;
//   QC_RETURN_IF_ERROR(config.Validate());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc {

/// A token matched as a whole before WordPiece runs (HF `added_tokens`); BERT's special tokens are such tokens.
struct AddedToken {
  std::string content;
  std::int32_t id = -1;      ///< -1: the id of `content` in the vocab, which must then contain it
  bool special = true;       ///< kept for decoding (skip_special_tokens); HF's special_tokens_mask ignores it
  bool normalized = false;   ///< false: matched in the raw text; true: matched in the normalized text
  bool single_word = false;  ///< unsupported (Validate fails): needs word-boundary tables
  bool lstrip = false;       ///< unsupported (Validate fails)
  bool rstrip = false;       ///< unsupported (Validate fails)
};

struct TokenizerConfig {
  /// WordPiece vocabulary; the id of a token is its index. Entries must be non-empty and unique.
  std::vector<std::string> vocab;

  // BertNormalizer.
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  ///< unset: same as `lowercase` (HF's null)
  bool lowercase = true;

  // WordPiece model.
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  std::size_t max_input_chars_per_word = 100;

  // Post-processing: the BERT template and padding. cls/sep/pad/unk must be in the vocab; mask may be empty (none).
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  std::int32_t pad_token_type_id = 0;
  /// Default max_length for truncation and fixed padding when EncodeOptions leaves it unset.
  std::size_t model_max_length = 512;

  /// Tokens split out of the text before WordPiece (leftmost-longest match). FromVocabText adds the five specials.
  std::vector<AddedToken> added_tokens;

  bool StripAccentsResolved() const { return strip_accents.value_or(lowercase); }

  /// Checks the invariants above; the message names the offending field or token.
  Status Validate() const;

  /// A bert-base-uncased style config from a vocab.txt (one token per line, id = line index; a trailing '\r' is
  /// dropped, a final empty line ignored): lowercase, accents stripped, the five special tokens as added tokens.
  static Expected<TokenizerConfig> FromVocabText(std::string_view vocab_text);
};

}  // namespace qc
