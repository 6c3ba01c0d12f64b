// The WordPiece tokenizer pipeline (see wordpiece_tokenizer.h).
#include "tokenizer/wordpiece_tokenizer.h"

#include <algorithm>
#include <unordered_map>

#include "tokenizer/added_tokens.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_process.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"
#include "tokenizer/wordpiece_model.h"

namespace qc {
namespace tokenizer_internal {

struct TokenizerState {
  TokenizerConfig config;
  Vocab vocab;
  NormalizerFlags flags;
  std::int32_t unk_id = -1;
  std::int32_t cls_id = -1;
  std::int32_t sep_id = -1;
  std::int32_t pad_id = -1;
  AddedTokenMatcher raw_matcher;                               // added tokens with normalized = false
  AddedTokenMatcher normalized_matcher;                        // added tokens with normalized = true
  std::unordered_map<std::int32_t, std::string> extra_tokens;  // added tokens outside the vocab, by id
  std::size_t id_count = 0;

  // Appends the pieces of `text` (offsets relative to it) to `out`.
  void TokenizeText(std::string_view text, std::vector<Piece>& out) const;
  void TokenizeNormalized(const std::vector<OffsetChar>& chars, std::size_t begin, std::size_t end,
                          std::vector<WordRange>& words, WordPieceModel::Scratch& scratch,
                          std::vector<Piece>& out) const;
};

namespace {

std::u32string ToU32(const std::vector<OffsetChar>& chars) {
  std::u32string s;
  s.reserve(chars.size());
  for (const OffsetChar& c : chars) s.push_back(c.cp);
  return s;
}

Piece PieceOf(const std::vector<OffsetChar>& chars, const AddedTokenMatch& m) {
  return {m.id, chars[m.begin].begin, chars[m.end - 1].end};
}

}  // namespace

void TokenizerState::TokenizeNormalized(const std::vector<OffsetChar>& chars, std::size_t begin, std::size_t end,
                                        std::vector<WordRange>& words, WordPieceModel::Scratch& scratch,
                                        std::vector<Piece>& out) const {
  const WordPieceModel model(&vocab, unk_id, config.max_input_chars_per_word);
  words.clear();
  SplitBertWords(chars.data() + begin, end - begin, words);
  for (const WordRange& w : words) model.TokenizeWord(chars.data() + begin + w.begin, w.end - w.begin, scratch, out);
}

void TokenizerState::TokenizeText(std::string_view text, std::vector<Piece>& out) const {
  std::vector<OffsetChar> raw;
  raw.reserve(text.size());
  DecodeUtf8(text, 0, raw);
  std::vector<AddedTokenMatch> raw_matches;
  raw_matcher.Find(raw.data(), raw.size(), raw_matches);

  std::vector<OffsetChar> segment, normalized;
  std::vector<AddedTokenMatch> norm_matches;
  std::vector<WordRange> words;
  WordPieceModel::Scratch scratch;
  auto process_segment = [&](std::size_t from, std::size_t to) {
    if (from == to) return;
    segment.assign(raw.begin() + static_cast<std::ptrdiff_t>(from), raw.begin() + static_cast<std::ptrdiff_t>(to));
    NormalizeBert(segment, flags, normalized);
    norm_matches.clear();
    normalized_matcher.Find(normalized.data(), normalized.size(), norm_matches);
    std::size_t pos = 0;
    for (const AddedTokenMatch& m : norm_matches) {
      TokenizeNormalized(normalized, pos, m.begin, words, scratch, out);
      out.push_back(PieceOf(normalized, m));
      pos = m.end;
    }
    TokenizeNormalized(normalized, pos, normalized.size(), words, scratch, out);
  };
  std::size_t pos = 0;
  for (const AddedTokenMatch& m : raw_matches) {
    process_segment(pos, m.begin);
    out.push_back(PieceOf(raw, m));
    pos = m.end;
  }
  process_segment(pos, raw.size());
}

}  // namespace tokenizer_internal

using tokenizer_internal::Piece;
using tokenizer_internal::TokenizerState;

WordPieceTokenizer::WordPieceTokenizer(std::unique_ptr<TokenizerState> state) : state_(std::move(state)) {}
WordPieceTokenizer::WordPieceTokenizer(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer& WordPieceTokenizer::operator=(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer::~WordPieceTokenizer() = default;

Expected<WordPieceTokenizer> WordPieceTokenizer::FromVocabText(std::string_view vocab_text) {
  QC_ASSIGN_OR_RETURN(TokenizerConfig config, TokenizerConfig::FromVocabText(vocab_text));
  return Create(std::move(config));
}

Expected<WordPieceTokenizer> WordPieceTokenizer::Create(TokenizerConfig config) {
  QC_RETURN_IF_ERROR(config.Validate());
  auto state = std::make_unique<TokenizerState>();
  QC_ASSIGN_OR_RETURN(state->vocab, tokenizer_internal::Vocab::Build(config.vocab, config.continuing_subword_prefix));
  state->flags = {config.clean_text, config.handle_chinese_chars, config.StripAccentsResolved(), config.lowercase};
  state->unk_id = state->vocab.Find(config.unk_token);
  state->cls_id = state->vocab.Find(config.cls_token);
  state->sep_id = state->vocab.Find(config.sep_token);
  state->pad_id = state->vocab.Find(config.pad_token);
  state->id_count = state->vocab.size();
  std::vector<tokenizer_internal::OffsetChar> decoded, normalized;
  for (const AddedToken& t : config.added_tokens) {
    std::int32_t id = state->vocab.Find(t.content);
    if (id < 0) {
      id = t.id;  // Validate() guaranteed an unused id past the vocabulary
      state->extra_tokens.emplace(id, t.content);
      state->id_count = std::max(state->id_count, static_cast<std::size_t>(id) + 1);
    }
    decoded.clear();
    tokenizer_internal::DecodeUtf8(t.content, 0, decoded);
    if (t.normalized) {
      // HF matches normalized tokens by their normalized content; one that normalizes to nothing never matches.
      tokenizer_internal::NormalizeBert(decoded, state->flags, normalized);
      state->normalized_matcher.Add(tokenizer_internal::ToU32(normalized), id);
    } else {
      state->raw_matcher.Add(tokenizer_internal::ToU32(decoded), id);
    }
  }
  state->config = std::move(config);
  return WordPieceTokenizer(std::move(state));
}

Expected<Encoding> WordPieceTokenizer::EncodeImpl(std::string_view a, const std::string_view* b,
                                                  const EncodeOptions& options, bool pad) const {
  const TokenizerState& s = *state_;
  std::vector<Piece> first, second;
  s.TokenizeText(a, first);
  if (b != nullptr) s.TokenizeText(*b, second);
  if (options.truncation.enabled) {
    const std::size_t max_length = options.truncation.max_length.value_or(s.config.model_max_length);
    const std::size_t added = options.add_special_tokens ? (b != nullptr ? 3 : 2) : 0;
    if (max_length < added) {
      return InvalidArgument("truncation max_length " + std::to_string(max_length) + " is smaller than the " +
                             std::to_string(added) + " special tokens the template adds");
    }
    QC_RETURN_IF_ERROR(tokenizer_internal::Truncate(first, b != nullptr ? &second : nullptr, max_length - added,
                                                    options.truncation.strategy, options.truncation.side));
  }
  Encoding e = tokenizer_internal::Assemble(first, b != nullptr ? &second : nullptr, options.add_special_tokens,
                                            s.cls_id, s.sep_id);
  if (pad && options.padding.strategy == PaddingStrategy::kFixed) {
    const std::size_t target = tokenizer_internal::RoundUpToMultiple(
        options.padding.length.value_or(s.config.model_max_length), options.padding.multiple_of);
    tokenizer_internal::Pad(e, target, s.pad_id, s.config.pad_token_type_id, options.padding.side);
  } else if (pad && options.padding.strategy == PaddingStrategy::kLongest) {
    const std::size_t target = tokenizer_internal::RoundUpToMultiple(e.size(), options.padding.multiple_of);
    tokenizer_internal::Pad(e, target, s.pad_id, s.config.pad_token_type_id, options.padding.side);
  }
  return e;
}

Expected<Encoding> WordPieceTokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  return EncodeImpl(text, nullptr, options, /*pad=*/true);
}

Expected<Encoding> WordPieceTokenizer::EncodePair(std::string_view a, std::string_view b,
                                                  const EncodeOptions& options) const {
  return EncodeImpl(a, &b, options, /*pad=*/true);
}

void WordPieceTokenizer::PadBatch(std::vector<Encoding>& rows, const EncodeOptions& options) const {
  std::size_t target = 0;
  if (options.padding.strategy == PaddingStrategy::kNone) return;
  if (options.padding.strategy == PaddingStrategy::kFixed) {
    target = options.padding.length.value_or(state_->config.model_max_length);
  } else {
    for (const Encoding& e : rows) target = std::max(target, e.size());
  }
  target = tokenizer_internal::RoundUpToMultiple(target, options.padding.multiple_of);
  for (Encoding& e : rows) {
    tokenizer_internal::Pad(e, target, state_->pad_id, state_->config.pad_token_type_id, options.padding.side);
  }
}

Expected<std::vector<Encoding>> WordPieceTokenizer::EncodeBatch(const std::vector<std::string_view>& texts,
                                                                const EncodeOptions& options) const {
  std::vector<Encoding> rows;
  rows.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Expected<Encoding> e = EncodeImpl(texts[i], nullptr, options, /*pad=*/false);
    if (!e.ok()) return e.status().WithContext("batch row " + std::to_string(i));
    rows.push_back(std::move(e).value());
  }
  PadBatch(rows, options);
  return rows;
}

Expected<std::vector<Encoding>> WordPieceTokenizer::EncodePairBatch(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs, const EncodeOptions& options) const {
  std::vector<Encoding> rows;
  rows.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    Expected<Encoding> e = EncodeImpl(pairs[i].first, &pairs[i].second, options, /*pad=*/false);
    if (!e.ok()) return e.status().WithContext("batch row " + std::to_string(i));
    rows.push_back(std::move(e).value());
  }
  PadBatch(rows, options);
  return rows;
}

std::vector<std::string> WordPieceTokenizer::Tokenize(std::string_view text) const {
  std::vector<Piece> pieces;
  state_->TokenizeText(text, pieces);
  std::vector<std::string> tokens;
  tokens.reserve(pieces.size());
  for (const Piece& p : pieces) tokens.emplace_back(IdToToken(p.id));
  return tokens;
}

std::int32_t WordPieceTokenizer::TokenToId(std::string_view token) const {
  const std::int32_t id = state_->vocab.Find(token);
  if (id >= 0) return id;
  for (const auto& [extra_id, content] : state_->extra_tokens) {
    if (content == token) return extra_id;
  }
  return -1;
}

std::string_view WordPieceTokenizer::IdToToken(std::int32_t id) const {
  if (id >= 0 && static_cast<std::size_t>(id) < state_->vocab.size()) return state_->vocab.token(id);
  const auto it = state_->extra_tokens.find(id);
  return it == state_->extra_tokens.end() ? std::string_view() : std::string_view(it->second);
}

std::size_t WordPieceTokenizer::vocab_size() const {
  return state_->id_count;
}
const TokenizerConfig& WordPieceTokenizer::config() const {
  return state_->config;
}

}  // namespace qc
