// TokenizerConfig validation and the vocab.txt factory (see tokenizer_config.h).
#include "tokenizer/tokenizer_config.h"

#include <unordered_map>
#include <unordered_set>

namespace qc {
namespace {

Status CheckSpecial(const std::unordered_map<std::string_view, std::int32_t>& ids, const std::string& token,
                    const char* field) {
  if (token.empty()) return InvalidArgument(std::string("tokenizer config: ") + field + " is empty");
  if (ids.count(token) == 0) {
    return NotFound(std::string("tokenizer config: ") + field + " '" + token + "' is not in the vocab");
  }
  return Status::Ok();
}

Status CheckAddedTokens(const TokenizerConfig& config, const std::unordered_map<std::string_view, std::int32_t>& ids) {
  std::unordered_set<std::string_view> contents;
  std::unordered_set<std::int32_t> extra_ids;
  const auto vocab_size = static_cast<std::int64_t>(config.vocab.size());
  for (std::size_t i = 0; i < config.added_tokens.size(); ++i) {
    const AddedToken& t = config.added_tokens[i];
    const std::string where = "tokenizer config: added_tokens[" + std::to_string(i) + "] '" + t.content + "'";
    if (t.content.empty()) return InvalidArgument(where + ": content is empty");
    if (t.single_word || t.lstrip || t.rstrip) {
      return Unsupported(where + ": single_word/lstrip/rstrip matching is not implemented");
    }
    if (!contents.insert(t.content).second) return InvalidArgument(where + ": listed twice");
    const auto it = ids.find(t.content);
    if (it != ids.end()) {
      if (t.id != -1 && t.id != it->second) {
        return InvalidArgument(where + ": id " + std::to_string(t.id) + " but the vocab has it at " +
                               std::to_string(it->second));
      }
      continue;
    }
    if (t.id == -1) return NotFound(where + ": not in the vocab and no id given");
    if (t.id < vocab_size) {
      return InvalidArgument(where + ": id " + std::to_string(t.id) + " belongs to vocab entry '" +
                             config.vocab[static_cast<std::size_t>(t.id)] + "'");
    }
    if (!extra_ids.insert(t.id).second) {
      return InvalidArgument(where + ": id " + std::to_string(t.id) + " is used by another added token");
    }
  }
  return Status::Ok();
}

}  // namespace

Status TokenizerConfig::Validate() const {
  if (vocab.empty()) return InvalidArgument("tokenizer config: vocab is empty");
  std::unordered_map<std::string_view, std::int32_t> ids;
  ids.reserve(vocab.size());
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    if (vocab[i].empty()) return InvalidArgument("tokenizer config: vocab entry " + std::to_string(i) + " is empty");
    const auto [it, inserted] = ids.emplace(vocab[i], static_cast<std::int32_t>(i));
    if (!inserted) {
      return InvalidArgument("tokenizer config: vocab entry " + std::to_string(i) + " '" + vocab[i] +
                             "' duplicates entry " + std::to_string(it->second));
    }
  }
  QC_RETURN_IF_ERROR(CheckSpecial(ids, unk_token, "unk_token"));
  QC_RETURN_IF_ERROR(CheckSpecial(ids, cls_token, "cls_token"));
  QC_RETURN_IF_ERROR(CheckSpecial(ids, sep_token, "sep_token"));
  QC_RETURN_IF_ERROR(CheckSpecial(ids, pad_token, "pad_token"));
  if (!mask_token.empty()) QC_RETURN_IF_ERROR(CheckSpecial(ids, mask_token, "mask_token"));
  if (model_max_length == 0) return InvalidArgument("tokenizer config: model_max_length is 0");
  return CheckAddedTokens(*this, ids);
}

Expected<TokenizerConfig> TokenizerConfig::FromVocabText(std::string_view vocab_text) {
  TokenizerConfig config;
  std::size_t pos = 0;
  while (pos < vocab_text.size()) {
    std::size_t eol = vocab_text.find('\n', pos);
    if (eol == std::string_view::npos) eol = vocab_text.size();
    std::string_view line = vocab_text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    config.vocab.emplace_back(line);
    pos = eol + 1;
  }
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    AddedToken t;
    t.content = special;
    config.added_tokens.push_back(t);
  }
  QC_RETURN_IF_ERROR(config.Validate().WithContext("vocab.txt"));
  return config;
}

}  // namespace qc
