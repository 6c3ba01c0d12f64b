#include "importers/hf/tokenizer_config.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int64_t kMaxVocab = int64_t{1} << 24;
// transformers writes int(1e30) when a tokenizer has no length limit; anything this large means "unset".
constexpr double kMaxRealModelLength = 1e9;

// ---- tokenizer.json parts -----------------------------------------------------------------------------------------

Expected<std::vector<std::string>> ParseWordPieceVocab(const JsonObject& model) {
  QC_ASSIGN_OR_RETURN(JsonObject vocab, model.RequireObject("vocab"));
  const json& map = vocab.value();
  if (map.empty()) return model.BadValue("vocab", "is empty");
  if (static_cast<int64_t>(map.size()) > kMaxVocab) return model.BadValue("vocab", "has more than 2^24 entries");
  std::vector<std::string> tokens(map.size());
  std::vector<bool> seen(map.size(), false);
  for (const auto& [token, value] : map.items()) {
    const std::optional<int64_t> id = JsonToInt(value);
    if (!id) return vocab.WrongType(token, "an integer id");
    if (*id < 0 || *id >= static_cast<int64_t>(map.size())) {
      return vocab.BadValue(token, "has id " + std::to_string(*id) + " outside [0, " + std::to_string(map.size()) +
                                       "): WordPiece ids must be dense");
    }
    const auto index = static_cast<size_t>(*id);
    if (seen[index]) {
      return vocab.BadValue(token, "reuses id " + std::to_string(*id) + " of token '" + tokens[index] + "'");
    }
    if (token.empty()) return model.BadValue("vocab", "contains an empty token");
    seen[index] = true;
    tokens[index] = token;
  }
  return tokens;  // every id seen: size() distinct ids in [0, size())
}

// Unwraps {"type": "Sequence", "<list_key>": [x]} to x; other values are returned unchanged.
Expected<const json*> UnwrapSequence(const JsonObject& root, std::string_view key, const char* list_key) {
  const json* value = root.Find(key);
  if (value == nullptr || !value->is_object()) return value;
  const auto type = value->find("type");
  if (type == value->end() || *type != "Sequence") return value;
  const auto list = value->find(list_key);
  if (list == value->end() || !list->is_array() || list->size() != 1) {
    return Unsupported(root.Describe(key) + " is a Sequence of several steps; only a single Bert step is supported");
  }
  return &(*list)[0];
}

Status ParseNormalizer(const JsonObject& root, HfTokenizerSpec& spec) {
  QC_ASSIGN_OR_RETURN(const json* value, UnwrapSequence(root, "normalizer", "normalizers"));
  if (value == nullptr || value->is_null()) {  // no normalizer at all
    spec.lowercase = spec.clean_text = spec.handle_chinese_chars = false;
    spec.strip_accents = false;
    return Status::Ok();
  }
  const JsonObject n(*value, root.file(), "normalizer");
  QC_RETURN_IF_ERROR(n.CheckIsObject());
  QC_ASSIGN_OR_RETURN(std::string type, n.RequireString("type"));
  if (type != "BertNormalizer") {
    return Unsupported(n.Describe("type") + " = '" + type + "' is not supported (only BertNormalizer)");
  }
  QC_ASSIGN_OR_RETURN(std::optional<bool> clean, n.OptionalBool("clean_text"));
  QC_ASSIGN_OR_RETURN(std::optional<bool> chinese, n.OptionalBool("handle_chinese_chars"));
  QC_ASSIGN_OR_RETURN(std::optional<bool> lower, n.OptionalBool("lowercase"));
  QC_ASSIGN_OR_RETURN(spec.strip_accents, n.OptionalBool("strip_accents"));
  spec.clean_text = clean.value_or(true);
  spec.handle_chinese_chars = chinese.value_or(true);
  spec.lowercase = lower.value_or(true);
  return Status::Ok();
}

Status ParsePreTokenizer(const JsonObject& root) {
  QC_ASSIGN_OR_RETURN(const json* value, UnwrapSequence(root, "pre_tokenizer", "pretokenizers"));
  if (value == nullptr || value->is_null()) {
    return Unsupported(root.Describe("pre_tokenizer") + " is missing; only BertPreTokenizer is supported");
  }
  const JsonObject p(*value, root.file(), "pre_tokenizer");
  QC_RETURN_IF_ERROR(p.CheckIsObject());
  QC_ASSIGN_OR_RETURN(std::string type, p.RequireString("type"));
  if (type != "BertPreTokenizer") {
    return Unsupported(p.Describe("type") + " = '" + type + "' is not supported (only BertPreTokenizer)");
  }
  return Status::Ok();
}

// One TemplateProcessing piece: {"SpecialToken": {"id": "[CLS]", "type_id": 0}} or {"Sequence": {"id": "A", ...}}.
struct Piece {
  bool special = false;
  std::string id;
  int64_t type_id = 0;
};

Expected<std::vector<Piece>> ParseTemplate(const JsonObject& post, std::string_view key) {
  QC_ASSIGN_OR_RETURN(const json* list, post.RequireArray(key));
  std::vector<Piece> pieces;
  for (const json& item : *list) {
    if (!item.is_object() || item.size() != 1) return post.BadValue(key, "has a piece that is not {kind: {...}}");
    const auto first = item.begin();
    const std::string& kind = first.key();
    const json& body = first.value();
    if ((kind != "SpecialToken" && kind != "Sequence") || !body.is_object()) {
      return post.BadValue(key, "has an unknown piece '" + kind + "'");
    }
    const JsonObject b(body, post.file(), post.prefix() + "." + std::string(key));
    Piece piece;
    piece.special = kind == "SpecialToken";
    QC_ASSIGN_OR_RETURN(piece.id, b.RequireString("id"));
    QC_ASSIGN_OR_RETURN(piece.type_id, b.RequireInt("type_id"));
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

Status CheckSpecialId(const JsonObject& where, std::string_view key, const std::string& token, int64_t id,
                      const HfTokenizerSpec& spec) {
  const int64_t in_vocab = spec.TokenId(token);
  if (in_vocab < 0) return where.BadValue(key, "names '" + token + "', which is not in the vocabulary");
  if (in_vocab != id) {
    return where.BadValue(
        key, "gives '" + token + "' id " + std::to_string(id) + " but the vocabulary has " + std::to_string(in_vocab));
  }
  return Status::Ok();
}

Status ParsePostProcessor(const JsonObject& root, HfTokenizerSpec& spec) {
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> post, root.OptionalObject("post_processor"));
  if (!post) {
    return Unsupported(root.Describe("post_processor") +
                       " is missing: without it no [CLS]/[SEP] are added, which the BERT runtime cannot reproduce");
  }
  QC_ASSIGN_OR_RETURN(std::string type, post->RequireString("type"));
  if (type == "BertProcessing") {
    for (const char* key : {"cls", "sep"}) {
      QC_ASSIGN_OR_RETURN(const json* pair, post->RequireArray(key));
      if (pair->size() != 2 || !(*pair)[0].is_string() || !JsonToInt((*pair)[1])) {
        return post->BadValue(key, "must be [token, id]");
      }
      const std::string token = (*pair)[0].get<std::string>();
      QC_RETURN_IF_ERROR(CheckSpecialId(*post, key, token, *JsonToInt((*pair)[1]), spec));
      (std::string(key) == "cls" ? spec.cls_token : spec.sep_token) = token;
    }
    return Status::Ok();
  }
  if (type != "TemplateProcessing") {
    return Unsupported(post->Describe("type") + " = '" + type +
                       "' is not supported (only TemplateProcessing or BertProcessing in the BERT form)");
  }
  QC_ASSIGN_OR_RETURN(std::vector<Piece> single, ParseTemplate(*post, "single"));
  const auto is = [](const Piece& p, bool special, int64_t type_id) {
    return p.special == special && p.type_id == type_id;
  };
  if (single.size() != 3 || !is(single[0], true, 0) || !is(single[1], false, 0) || single[1].id != "A" ||
      !is(single[2], true, 0)) {
    return Unsupported(post->Describe("single") + " is not the BERT template '[CLS] $A [SEP]'");
  }
  const std::string cls = single[0].id;
  const std::string sep = single[2].id;
  if (post->HasNonNull("pair")) {
    QC_ASSIGN_OR_RETURN(std::vector<Piece> pair, ParseTemplate(*post, "pair"));
    if (pair.size() != 5 || !is(pair[0], true, 0) || pair[0].id != cls || !is(pair[1], false, 0) || pair[1].id != "A" ||
        !is(pair[2], true, 0) || pair[2].id != sep || !is(pair[3], false, 1) || pair[3].id != "B" ||
        !is(pair[4], true, 1) || pair[4].id != sep) {
      return Unsupported(post->Describe("pair") + " is not the BERT template '[CLS] $A [SEP] $B:1 [SEP]:1'");
    }
  }
  QC_ASSIGN_OR_RETURN(JsonObject specials, post->RequireObject("special_tokens"));
  for (const std::string& token : {cls, sep}) {
    QC_ASSIGN_OR_RETURN(JsonObject entry, specials.RequireObject(token));
    QC_ASSIGN_OR_RETURN(const json* ids, entry.RequireArray("ids"));
    QC_ASSIGN_OR_RETURN(const json* tokens, entry.RequireArray("tokens"));
    if (ids->size() != 1 || tokens->size() != 1 || !JsonToInt((*ids)[0]) || (*tokens)[0] != token) {
      return Unsupported(entry.Describe("ids") + ": multi-token special tokens are not supported");
    }
    QC_RETURN_IF_ERROR(CheckSpecialId(entry, "ids", token, *JsonToInt((*ids)[0]), spec));
  }
  spec.cls_token = cls;
  spec.sep_token = sep;
  return Status::Ok();
}

// Parses one added token object (tokenizer.json added_tokens[i] or tokenizer_config.json added_tokens_decoder[id]).
Expected<HfAddedToken> ParseAddedToken(const JsonObject& t, std::optional<int64_t> id_from_key) {
  HfAddedToken token;
  if (id_from_key) {
    token.id = *id_from_key;
  } else {
    QC_ASSIGN_OR_RETURN(token.id, t.RequireInt("id"));
  }
  QC_ASSIGN_OR_RETURN(token.content, t.RequireString("content"));
  QC_ASSIGN_OR_RETURN(std::optional<bool> special, t.OptionalBool("special"));
  token.special = special.value_or(false);
  QC_ASSIGN_OR_RETURN(std::optional<bool> normalized, t.OptionalBool("normalized"));
  token.normalized = normalized.value_or(!token.special);
  for (const char* flag : {"single_word", "lstrip", "rstrip"}) {
    QC_ASSIGN_OR_RETURN(std::optional<bool> value, t.OptionalBool(flag));
    if (value.value_or(false)) {
      return Unsupported(t.Describe(flag) + " is true for added token '" + token.content +
                         "'; the runtime tokenizer does not support single_word / lstrip / rstrip");
    }
  }
  if (token.content.empty()) return t.BadValue("content", "is empty");
  return token;
}

// Checks added tokens against the vocab and appends those past its end (they must continue the ids densely).
Status MergeAddedTokens(std::vector<HfAddedToken> tokens, const std::string& where, HfTokenizerSpec& spec) {
  std::sort(tokens.begin(), tokens.end(), [](const HfAddedToken& a, const HfAddedToken& b) { return a.id < b.id; });
  std::unordered_set<std::string_view> known;  // views into spec.vocab / tokens, both stable below
  if (!tokens.empty() && tokens.back().id >= static_cast<int64_t>(spec.vocab.size())) {
    spec.vocab.reserve(spec.vocab.size() + tokens.size());  // appends below must not move the viewed strings
    known.insert(spec.vocab.begin(), spec.vocab.end());
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    const HfAddedToken& t = tokens[i];
    if (i > 0 && tokens[i - 1].id == t.id) {
      return CorruptData(where + ": added tokens '" + tokens[i - 1].content + "' and '" + t.content + "' share id " +
                         std::to_string(t.id));
    }
    const auto size = static_cast<int64_t>(spec.vocab.size());
    if (t.id < 0 || t.id > size || size >= kMaxVocab) {
      return CorruptData(where + ": added token '" + t.content + "' has id " + std::to_string(t.id) +
                         "; ids must lie in the vocabulary or continue it densely from " + std::to_string(size));
    }
    if (t.id == size) {
      if (!known.insert(t.content).second) {
        return CorruptData(where + ": added token '" + t.content + "' (id " + std::to_string(t.id) +
                           ") is already in the vocabulary under another id");
      }
      spec.vocab.push_back(t.content);
    } else if (spec.vocab[static_cast<size_t>(t.id)] != t.content) {
      return CorruptData(where + ": added token '" + t.content + "' has id " + std::to_string(t.id) +
                         ", which the vocabulary assigns to '" + spec.vocab[static_cast<size_t>(t.id)] + "'");
    }
  }
  spec.added_tokens = std::move(tokens);
  return Status::Ok();
}

Status ParseTruncationPadding(const JsonObject& root, HfTokenizerSpec& spec) {
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> truncation, root.OptionalObject("truncation"));
  if (truncation) {
    QC_ASSIGN_OR_RETURN(spec.truncation_max_length, truncation->OptionalInt("max_length"));
    QC_ASSIGN_OR_RETURN(std::optional<std::string> strategy, truncation->OptionalString("strategy"));
    spec.truncation_strategy = strategy.value_or("");
  }
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> padding, root.OptionalObject("padding"));
  if (padding) {
    if (const json* strategy = padding->Find("strategy"); strategy != nullptr) {
      if (strategy->is_string()) {
        spec.padding_strategy = strategy->get<std::string>();
      } else if (strategy->is_object() && strategy->contains("Fixed")) {
        spec.padding_strategy = "Fixed";
        spec.padding_length = JsonToInt((*strategy)["Fixed"]);
        if (!spec.padding_length) return padding->BadValue("strategy", "Fixed length is not an integer");
      }
    }
    QC_ASSIGN_OR_RETURN(std::optional<int64_t> pad_type, padding->OptionalInt("pad_type_id"));
    spec.pad_token_type_id = pad_type.value_or(0);
    QC_ASSIGN_OR_RETURN(std::optional<std::string> pad_token, padding->OptionalString("pad_token"));
    if (pad_token) spec.pad_token = *pad_token;
  }
  return Status::Ok();
}

// ---- tokenizer_config.json / special_tokens_map.json --------------------------------------------------------------

// A special token given as "tok" or {"content": "tok", ...}; nullopt if absent, "" if null.
Expected<std::optional<std::string>> TokenName(const JsonObject& obj, std::string_view key) {
  const json* value = obj.Find(key);
  if (value == nullptr) return std::optional<std::string>();
  if (value->is_null()) return std::optional<std::string>(std::string());
  if (value->is_string()) return std::optional<std::string>(value->get<std::string>());
  if (value->is_object()) {
    const JsonObject token(*value, obj.file(),
                           obj.prefix().empty() ? std::string(key) : obj.prefix() + "." + std::string(key));
    QC_ASSIGN_OR_RETURN(std::string content, token.RequireString("content"));
    return std::optional<std::string>(std::move(content));
  }
  return obj.WrongType(key, "a string or an object with 'content'");
}

struct ExplicitSpecials {
  std::set<std::string> keys;  // which *_token fields some file set
};

Status ApplySpecialTokenNames(const JsonObject& obj, bool has_tokenizer_json, HfTokenizerSpec& spec,
                              ExplicitSpecials& explicit_specials) {
  const std::pair<const char*, std::string*> fields[] = {{"unk_token", &spec.unk_token},
                                                         {"cls_token", &spec.cls_token},
                                                         {"sep_token", &spec.sep_token},
                                                         {"pad_token", &spec.pad_token},
                                                         {"mask_token", &spec.mask_token}};
  for (const auto& [key, target] : fields) {
    QC_ASSIGN_OR_RETURN(std::optional<std::string> name, TokenName(obj, key));
    if (!name) continue;
    const std::string k(key);
    // With tokenizer.json, the model's unk and the post-processor's cls/sep are what actually runs.
    if (has_tokenizer_json && (k == "unk_token" || k == "cls_token" || k == "sep_token")) {
      if (*name != *target) {
        spec.warnings.push_back(obj.Describe(key) + " = '" + *name + "' differs from tokenizer.json's '" + *target +
                                "'; using tokenizer.json's");
      }
      continue;
    }
    *target = *name;
    explicit_specials.keys.insert(k);
  }
  return Status::Ok();
}

template <typename T>
void OverrideFlag(const JsonObject& obj, std::string_view key, const T& value, T& target, bool warn,
                  HfTokenizerSpec& spec) {
  if (warn && value != target) {
    spec.warnings.push_back(obj.Describe(key) + " overrides the value in tokenizer.json (as transformers does)");
  }
  target = value;
}

Status ApplyTokenizerConfig(const JsonObject& c, bool has_tokenizer_json, HfTokenizerSpec& spec,
                            ExplicitSpecials& explicit_specials) {
  QC_RETURN_IF_ERROR(c.CheckIsObject());
  QC_ASSIGN_OR_RETURN(std::optional<bool> lower, c.OptionalBool("do_lower_case"));
  if (lower) OverrideFlag(c, "do_lower_case", *lower, spec.lowercase, has_tokenizer_json, spec);
  if (c.Has("strip_accents")) {
    QC_ASSIGN_OR_RETURN(std::optional<bool> strip, c.OptionalBool("strip_accents"));
    OverrideFlag(c, "strip_accents", strip, spec.strip_accents, has_tokenizer_json, spec);
  }
  QC_ASSIGN_OR_RETURN(std::optional<bool> chinese, c.OptionalBool("tokenize_chinese_chars"));
  if (chinese) OverrideFlag(c, "tokenize_chinese_chars", *chinese, spec.handle_chinese_chars, has_tokenizer_json, spec);
  QC_ASSIGN_OR_RETURN(std::optional<double> max_length, c.OptionalFloat("model_max_length"));
  if (max_length && *max_length >= 1 && *max_length <= kMaxRealModelLength) {
    spec.model_max_length = static_cast<int64_t>(*max_length);
  }
  QC_RETURN_IF_ERROR(ApplySpecialTokenNames(c, has_tokenizer_json, spec, explicit_specials));
  if (!has_tokenizer_json) {
    QC_ASSIGN_OR_RETURN(std::optional<JsonObject> decoder, c.OptionalObject("added_tokens_decoder"));
    if (decoder) {
      std::vector<HfAddedToken> tokens;
      for (const auto& [key, value] : decoder->value().items()) {
        const std::optional<int64_t> id = ParseDecimalId(key);
        if (!id) return decoder->BadValue(key, "is not a token id");
        const JsonObject t(value, c.file(), "added_tokens_decoder." + key);
        QC_RETURN_IF_ERROR(t.CheckIsObject());
        QC_ASSIGN_OR_RETURN(HfAddedToken token, ParseAddedToken(t, *id));
        tokens.push_back(std::move(token));
      }
      QC_RETURN_IF_ERROR(MergeAddedTokens(std::move(tokens), c.file(), spec));
    }
  }
  return Status::Ok();
}

Status CheckSpecialsInVocab(const std::string& dir, const ExplicitSpecials& explicit_specials, HfTokenizerSpec& spec) {
  if (!spec.mask_token.empty() && spec.TokenId(spec.mask_token) < 0 &&
      explicit_specials.keys.count("mask_token") == 0) {
    spec.mask_token.clear();  // the BERT default "[MASK]" does not apply to this vocab
  }
  const std::pair<const char*, const std::string*> fields[] = {{"unk_token", &spec.unk_token},
                                                               {"cls_token", &spec.cls_token},
                                                               {"sep_token", &spec.sep_token},
                                                               {"pad_token", &spec.pad_token},
                                                               {"mask_token", &spec.mask_token}};
  for (const auto& [key, token] : fields) {
    if (std::string(key) == "mask_token" && token->empty()) continue;
    if (token->empty()) return CorruptData(dir + ": " + key + " is empty; a BERT tokenizer needs it");
    if (spec.TokenId(*token) < 0) {
      return CorruptData(dir + ": " + key + " '" + *token + "' is not in the vocabulary of " + spec.source);
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t HfTokenizerSpec::TokenId(std::string_view token) const {
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (vocab[i] == token) return static_cast<int64_t>(i);
  }
  return -1;
}

Expected<HfTokenizerSpec> ParseTokenizerJson(std::string_view text, const std::string& path) {
  QC_ASSIGN_OR_RETURN(json doc, ParseJson(text, path));
  const JsonObject root(doc, path);
  QC_RETURN_IF_ERROR(root.CheckIsObject());
  HfTokenizerSpec spec;
  spec.source = path;

  QC_ASSIGN_OR_RETURN(JsonObject model, root.RequireObject("model"));
  QC_ASSIGN_OR_RETURN(std::optional<std::string> type, model.OptionalString("type"));
  if (type.value_or("WordPiece") != "WordPiece") {
    return Unsupported(model.Describe("type") + " = '" + *type +
                       "' is not supported (only BERT WordPiece tokenizers; BPE, Unigram and WordLevel are not)");
  }
  QC_ASSIGN_OR_RETURN(spec.vocab, ParseWordPieceVocab(model));
  QC_ASSIGN_OR_RETURN(spec.unk_token, model.RequireString("unk_token"));
  QC_ASSIGN_OR_RETURN(std::optional<std::string> prefix, model.OptionalString("continuing_subword_prefix"));
  spec.continuing_subword_prefix = prefix.value_or("##");
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> max_chars, model.OptionalInt("max_input_chars_per_word"));
  spec.max_input_chars_per_word = max_chars.value_or(100);
  if (spec.max_input_chars_per_word <= 0) return model.BadValue("max_input_chars_per_word", "must be > 0");

  QC_RETURN_IF_ERROR(ParseNormalizer(root, spec));
  QC_RETURN_IF_ERROR(ParsePreTokenizer(root));
  if (const json* added = root.Find("added_tokens"); added != nullptr && !added->is_null()) {
    if (!added->is_array()) return root.WrongType("added_tokens", "an array");
    std::vector<HfAddedToken> tokens;
    for (size_t i = 0; i < added->size(); ++i) {
      const JsonObject t((*added)[i], path, "added_tokens[" + std::to_string(i) + "]");
      QC_RETURN_IF_ERROR(t.CheckIsObject());
      QC_ASSIGN_OR_RETURN(HfAddedToken token, ParseAddedToken(t, std::nullopt));
      tokens.push_back(std::move(token));
    }
    QC_RETURN_IF_ERROR(MergeAddedTokens(std::move(tokens), path, spec));
  }
  QC_RETURN_IF_ERROR(ParsePostProcessor(root, spec));
  QC_RETURN_IF_ERROR(ParseTruncationPadding(root, spec));
  if (spec.TokenId(spec.unk_token) < 0) {
    return model.BadValue("unk_token", "'" + spec.unk_token + "' is not in the vocabulary");
  }
  return spec;
}

Expected<HfTokenizerSpec> ReadHfTokenizer(const std::string& dir) {
  const fs::path root(dir);
  const std::string tokenizer_json = (root / "tokenizer.json").string();
  const std::string vocab_txt = (root / "vocab.txt").string();
  std::error_code ec;
  const bool has_tokenizer_json = fs::is_regular_file(tokenizer_json, ec);
  HfTokenizerSpec spec;
  if (has_tokenizer_json) {
    QC_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(tokenizer_json, kMaxJsonFileBytes));
    QC_ASSIGN_OR_RETURN(spec, ParseTokenizerJson(text, tokenizer_json));
  } else if (fs::is_regular_file(vocab_txt, ec)) {
    QC_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(vocab_txt, kMaxJsonFileBytes));
    QC_ASSIGN_OR_RETURN(spec.vocab, ParseVocabTxt(text, vocab_txt));
    spec.source = vocab_txt;
  } else {
    return NotFound(dir + ": no tokenizer.json or vocab.txt (a BERT model needs its WordPiece vocabulary)");
  }

  ExplicitSpecials explicit_specials;
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    const std::string file = (root / name).string();
    if (!fs::is_regular_file(file, ec)) continue;
    QC_ASSIGN_OR_RETURN(json doc, ReadJsonFile(file));
    const JsonObject obj(doc, file);
    QC_RETURN_IF_ERROR(obj.CheckIsObject());
    if (std::string(name) == "tokenizer_config.json") {
      QC_RETURN_IF_ERROR(ApplyTokenizerConfig(obj, has_tokenizer_json, spec, explicit_specials));
    } else {
      QC_RETURN_IF_ERROR(ApplySpecialTokenNames(obj, has_tokenizer_json, spec, explicit_specials));
    }
  }
  QC_RETURN_IF_ERROR(CheckSpecialsInVocab(dir, explicit_specials, spec));
  if (!has_tokenizer_json && spec.added_tokens.empty()) {
    // BertTokenizer treats its special tokens as never-split added tokens matched in the raw text.
    std::vector<HfAddedToken> tokens;
    std::set<std::string> seen;
    for (const std::string* t :
         {&spec.pad_token, &spec.unk_token, &spec.cls_token, &spec.sep_token, &spec.mask_token}) {
      if (t->empty() || !seen.insert(*t).second) continue;
      tokens.push_back(HfAddedToken{*t, spec.TokenId(*t), true, false});
    }
    QC_RETURN_IF_ERROR(MergeAddedTokens(std::move(tokens), vocab_txt, spec));
  }
  return spec;
}

}  // namespace qc::hf
