#include "importers/hf/tokenizer_metadata.h"

namespace qc::hf {

std::vector<std::pair<std::string, ir::MetadataValue>> TokenizerMetadata(const HfTokenizerSpec& t,
                                                                          int64_t model_max_length) {
  std::vector<std::string> contents;
  std::vector<int64_t> ids, normalized, special;
  for (const HfAddedToken& a : t.added_tokens) {
    contents.push_back(a.content);
    ids.push_back(a.id);
    normalized.push_back(a.normalized ? 1 : 0);
    special.push_back(a.special ? 1 : 0);
  }
  return {
      {"tokenizer.type", std::string("wordpiece")},
      {"tokenizer.vocab", t.vocab},
      {"tokenizer.lowercase", int64_t{t.lowercase}},
      {"tokenizer.strip_accents", t.strip_accents_code()},
      {"tokenizer.clean_text", int64_t{t.clean_text}},
      {"tokenizer.handle_chinese_chars", int64_t{t.handle_chinese_chars}},
      {"tokenizer.unk_token", t.unk_token},
      {"tokenizer.cls_token", t.cls_token},
      {"tokenizer.sep_token", t.sep_token},
      {"tokenizer.pad_token", t.pad_token},
      {"tokenizer.mask_token", t.mask_token},
      {"tokenizer.continuing_subword_prefix", t.continuing_subword_prefix},
      {"tokenizer.max_input_chars_per_word", t.max_input_chars_per_word},
      {"tokenizer.model_max_length", model_max_length},
      {"tokenizer.pad_token_type_id", t.pad_token_type_id},
      {"tokenizer.added_tokens", contents},
      {"tokenizer.added_token_ids", ids},
      {"tokenizer.added_tokens_normalized", normalized},
      {"tokenizer.added_tokens_special", special},
  };
}

}  // namespace qc::hf
