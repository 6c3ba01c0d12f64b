// Unit tests of the WordPiece model, config validation and the Encode API on a tiny vocabulary.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "tokenizer/post_process.h"
#include "tokenizer/vocab.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace {

// ids:            0       1       2       3       4        5     6      7        8      9    10    11   12
const char* kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nhello\n,\nworld\n!\n##s\n";

qc::WordPieceTokenizer Tiny(bool lowercase = true) {
  auto config = qc::TokenizerConfig::FromVocabText(kVocab);
  REQUIRE(config.ok());
  config->lowercase = lowercase;
  auto tok = qc::WordPieceTokenizer::Create(*config);
  REQUIRE(tok.ok());
  return std::move(tok).value();
}

std::vector<std::int32_t> Ids(const qc::WordPieceTokenizer& tok, const std::string& text,
                              const qc::EncodeOptions& opts = {}) {
  auto e = tok.Encode(text, opts);
  REQUIRE(e.ok());
  return e->ids;
}

std::vector<qc::tokenizer_internal::Piece> Pieces(std::size_t n) {
  std::vector<qc::tokenizer_internal::Piece> p;
  for (std::size_t i = 0; i < n; ++i) p.push_back({static_cast<std::int32_t>(i), i, i + 1});
  return p;
}

}  // namespace

TEST_CASE("WordPiece: greedy longest match, continuation prefix, [UNK] for the whole word") {
  const auto tok = Tiny();
  CHECK(tok.Tokenize("unaffable") == std::vector<std::string>{"un", "##aff", "##able"});
  CHECK(tok.Tokenize("Hello, worlds!") == std::vector<std::string>{"hello", ",", "world", "##s", "!"});
  CHECK(tok.Tokenize("unaffablex") == std::vector<std::string>{"[UNK]"});  // no piece for "x": whole word
  CHECK(tok.Tokenize("") == std::vector<std::string>{});
  CHECK(tok.Tokenize(" \t\n ") == std::vector<std::string>{});
  auto e = tok.Encode("Hello unaffablex");
  REQUIRE(e.ok());
  CHECK(e->ids == std::vector<std::int32_t>{2, 8, 1, 3});
  CHECK(e->offsets[2] == qc::TokenOffset{6, 16});  // [UNK] spans the word
}

TEST_CASE("WordPiece: max_input_chars_per_word counts code points") {
  auto config = qc::TokenizerConfig::FromVocabText(kVocab);
  REQUIRE(config.ok());
  config->max_input_chars_per_word = 5;
  auto tok = qc::WordPieceTokenizer::Create(*config);
  REQUIRE(tok.ok());
  CHECK(tok->Tokenize("hello") == std::vector<std::string>{"hello"});
  CHECK(tok->Tokenize("worlds") == std::vector<std::string>{"[UNK]"});
}

TEST_CASE("WordPiece: an empty continuation prefix looks pieces up as plain tokens") {
  auto config = qc::TokenizerConfig::FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nab\nc\n");
  REQUIRE(config.ok());
  config->continuing_subword_prefix = "";
  auto tok = qc::WordPieceTokenizer::Create(*config);
  REQUIRE(tok.ok());
  CHECK(tok->Tokenize("abc") == std::vector<std::string>{"ab", "c"});
}

TEST_CASE("Vocab: lookups and duplicate detection") {
  auto v = qc::tokenizer_internal::Vocab::Build({"a", "##b", "##", "c"}, "##");
  REQUIRE(v.ok());
  CHECK(v->Find("a") == 0);
  CHECK(v->Find("##b") == 1);
  CHECK(v->FindContinuation("b") == 1);
  CHECK(v->FindContinuation("a") == -1);
  CHECK(v->FindContinuation("") == -1);  // "##" alone is not a continuation of an empty piece
  CHECK(v->Find("zz") == -1);
  CHECK(v->max_token_bytes() == 3);
  auto dup = qc::tokenizer_internal::Vocab::Build({"a", "b", "a"}, "##");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message() == "vocab entry 2 'a' duplicates entry 0");
}

TEST_CASE("TokenizerConfig: validation names what is wrong") {
  auto config = qc::TokenizerConfig::FromVocabText(kVocab);
  REQUIRE(config.ok());
  CHECK(config->vocab.size() == 13);
  CHECK(config->StripAccentsResolved());
  config->lowercase = false;
  CHECK_FALSE(config->StripAccentsResolved());  // unset strip_accents follows lowercase
  config->strip_accents = true;
  CHECK(config->StripAccentsResolved());

  auto missing = qc::TokenizerConfig::FromVocabText("[PAD]\n[UNK]\n[CLS]\nhello\n");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == qc::StatusCode::kNotFound);
  CHECK(missing.status().message() == "vocab.txt: tokenizer config: sep_token '[SEP]' is not in the vocab");

  auto dup = qc::TokenizerConfig::FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\nx\n");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message() == "vocab.txt: tokenizer config: vocab entry 6 'x' duplicates entry 5");

  auto empty_line = qc::TokenizerConfig::FromVocabText("[PAD]\n\n[UNK]\n");
  REQUIRE_FALSE(empty_line.ok());
  CHECK(empty_line.status().message() == "vocab.txt: tokenizer config: vocab entry 1 is empty");

  auto crlf = qc::TokenizerConfig::FromVocabText("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]");
  REQUIRE(crlf.ok());
  CHECK(crlf->vocab.back() == "[MASK]");

  qc::TokenizerConfig c = *config;
  c.added_tokens.push_back({"<x>", -1});
  CHECK(c.Validate().message() == "tokenizer config: added_tokens[5] '<x>': not in the vocab and no id given");
  c.added_tokens.back().id = 3;
  CHECK(c.Validate().message() == "tokenizer config: added_tokens[5] '<x>': id 3 belongs to vocab entry '[SEP]'");
  c.added_tokens.back().id = 13;
  CHECK(c.Validate().ok());
  c.added_tokens.back().lstrip = true;
  CHECK(c.Validate().code() == qc::StatusCode::kUnsupported);
  c.added_tokens.back() = {"hello", 9};
  CHECK(c.Validate().message() == "tokenizer config: added_tokens[5] 'hello': id 9 but the vocab has it at 8");

  c = *config;
  c.mask_token = "";
  CHECK(c.Validate().ok());  // no mask token is fine
  c.pad_token = "<pad>";
  CHECK(c.Validate().message() == "tokenizer config: pad_token '<pad>' is not in the vocab");
  CHECK_FALSE(qc::WordPieceTokenizer::Create(c).ok());
}

TEST_CASE("Encode: special tokens in the text, added tokens outside the vocab, id lookups") {
  auto config = qc::TokenizerConfig::FromVocabText(kVocab);
  REQUIRE(config.ok());
  qc::AddedToken extra;
  extra.content = "<ent>";
  extra.id = 20;
  extra.special = false;
  config->added_tokens.push_back(extra);
  auto tok = qc::WordPieceTokenizer::Create(*config);
  REQUIRE(tok.ok());
  CHECK(Ids(*tok, "hello[SEP]world<ent>") == std::vector<std::int32_t>{2, 8, 3, 10, 20, 3});
  CHECK(Ids(*tok, "[sep]") == std::vector<std::int32_t>{2, 1, 1, 1, 3});  // case-sensitive raw match
  CHECK(tok->vocab_size() == 21);
  CHECK(tok->TokenToId("<ent>") == 20);
  CHECK(tok->TokenToId("##able") == 7);
  CHECK(tok->TokenToId("nope") == -1);
  CHECK(tok->IdToToken(20) == "<ent>");
  CHECK(tok->IdToToken(15).empty());
  CHECK(tok->IdToToken(-1).empty());
}

TEST_CASE("Encode: templates, type ids, masks and offsets") {
  const auto tok = Tiny();
  auto e = tok.EncodePair("Hello!", "worlds");
  REQUIRE(e.ok());
  CHECK(e->ids == std::vector<std::int32_t>{2, 8, 11, 3, 10, 12, 3});
  CHECK(e->token_type_ids == std::vector<std::int32_t>{0, 0, 0, 0, 1, 1, 1});
  CHECK(e->attention_mask == std::vector<std::int32_t>(7, 1));
  CHECK(e->special_tokens_mask == std::vector<std::int32_t>{1, 0, 0, 1, 0, 0, 1});
  CHECK(e->sequence_ids == std::vector<std::int8_t>{-1, 0, 0, -1, 1, 1, -1});
  CHECK(e->offsets[4] == qc::TokenOffset{0, 5});  // offsets of the second text are into the second text
  CHECK(e->offsets[5] == qc::TokenOffset{5, 6});
  qc::EncodeOptions raw;
  raw.add_special_tokens = false;
  CHECK(Ids(tok, "hello", raw) == std::vector<std::int32_t>{8});
  // Invalid UTF-8 becomes U+FFFD, which clean_text removes (as HF does with a lossily decoded string): the two
  // halves join into one word. Without clean_text the U+FFFD stays and the word is unknown.
  auto joined = tok.Encode("hel\xFFlo");
  REQUIRE(joined.ok());
  CHECK(joined->ids == std::vector<std::int32_t>{2, 8, 3});
  CHECK(joined->offsets[1] == qc::TokenOffset{0, 6});
  auto config = qc::TokenizerConfig::FromVocabText(kVocab);
  REQUIRE(config.ok());
  config->clean_text = false;
  auto unclean = qc::WordPieceTokenizer::Create(*config);
  REQUIRE(unclean.ok());
  CHECK(Ids(*unclean, "hel\xFFlo") == std::vector<std::int32_t>{2, 1, 3});
}

TEST_CASE("Truncation: HF longest_first arithmetic (tokenizers' own unit-test table)") {
  // truncation.rs: max_length 7 on (n1, n2) pairs.
  const std::size_t sizes[] = {0, 2, 4, 8};
  const std::size_t want[4][4][2] = {{{0, 0}, {0, 2}, {0, 4}, {0, 7}},
                                     {{2, 0}, {2, 2}, {2, 4}, {2, 5}},
                                     {{4, 0}, {4, 2}, {3, 4}, {3, 4}},
                                     {{7, 0}, {5, 2}, {4, 3}, {3, 4}}};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      auto a = Pieces(sizes[i]);
      auto b = Pieces(sizes[j]);
      REQUIRE(qc::tokenizer_internal::Truncate(a, &b, 7, qc::TruncationStrategy::kLongestFirst, qc::Side::kRight).ok());
      CAPTURE(i);
      CAPTURE(j);
      CHECK(a.size() == want[i][j][0]);
      CHECK(b.size() == want[i][j][1]);
    }
  }
  auto a = Pieces(5);
  REQUIRE(qc::tokenizer_internal::Truncate(a, nullptr, 3, qc::TruncationStrategy::kLongestFirst, qc::Side::kLeft).ok());
  CHECK(a.front().id == 2);  // left side keeps the last pieces
}

TEST_CASE("Truncation and padding through Encode, with errors as Status") {
  const auto tok = Tiny();
  qc::EncodeOptions opts;
  opts.truncation.enabled = true;
  opts.truncation.max_length = 4;
  CHECK(Ids(tok, "hello, world!", opts) == std::vector<std::int32_t>{2, 8, 9, 3});
  opts.truncation.max_length = 1;
  auto too_small = tok.Encode("hello", opts);
  REQUIRE_FALSE(too_small.ok());
  CHECK(too_small.status().message() ==
        "truncation max_length 1 is smaller than the 2 special tokens the template adds");
  opts.truncation.max_length = 4;
  opts.truncation.strategy = qc::TruncationStrategy::kOnlySecond;
  auto no_second = tok.Encode("hello, world!", opts);
  REQUIRE_FALSE(no_second.ok());
  CHECK(no_second.status().code() == qc::StatusCode::kInvalidArgument);
  opts.truncation.max_length = 5;
  opts.truncation.strategy = qc::TruncationStrategy::kOnlyFirst;
  auto too_short = tok.EncodePair("hello", "world world world", opts);
  REQUIRE_FALSE(too_short.ok());
  CHECK(too_short.status().message() ==
        "truncation only_first: the sequence to truncate has 1 token(s), too short to remove the 2 needed to "
        "respect max_length");

  qc::EncodeOptions pad;
  pad.padding.strategy = qc::PaddingStrategy::kFixed;
  pad.padding.length = 6;
  auto e = tok.Encode("hello", pad);
  REQUIRE(e.ok());
  CHECK(e->ids == std::vector<std::int32_t>{2, 8, 3, 0, 0, 0});
  CHECK(e->attention_mask == std::vector<std::int32_t>{1, 1, 1, 0, 0, 0});
  CHECK(e->special_tokens_mask == std::vector<std::int32_t>{1, 0, 1, 1, 1, 1});
  pad.padding.length = 2;  // already longer: unchanged
  CHECK(Ids(tok, "hello", pad).size() == 3);

  qc::EncodeOptions longest;
  longest.padding.strategy = qc::PaddingStrategy::kLongest;
  auto batch = tok.EncodeBatch({"hello", "hello, world!", ""}, longest);
  REQUIRE(batch.ok());
  for (const auto& row : *batch) CHECK(row.size() == 6);
  CHECK((*batch)[2].ids == std::vector<std::int32_t>{2, 3, 0, 0, 0, 0});
  opts.truncation.strategy = qc::TruncationStrategy::kOnlySecond;
  auto bad_batch = tok.EncodeBatch({"hello", "hello, world! hello"}, opts);
  REQUIRE_FALSE(bad_batch.ok());
  CHECK(bad_batch.status().message().rfind("batch row 1: truncation only_second", 0) == 0);
}

TEST_CASE("Encode is safe to call from several threads") {
  const auto tok = Tiny();
  const auto want = Ids(tok, "Hello, worlds! unaffable");
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto e = tok.Encode("Hello, worlds! unaffable");
        ok[t] += (e.ok() && e->ids == want) ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) CHECK(ok[t] == 200);
}

TEST_CASE("Arbitrary bytes never fail and offsets stay inside the text") {
  const auto tok = Tiny();
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<unsigned>(state >> 33);
  };
  const char* fragments[] = {"hello", "[SEP]", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", " ", ",", "un"};
  int bad = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const unsigned n = next() % 40;
    for (unsigned k = 0; k < n; ++k) {
      if (next() % 3 == 0) {
        text += fragments[next() % 8];
      } else {
        text.push_back(static_cast<char>(next() & 0xFF));
      }
    }
    auto e = tok.Encode(text);
    if (!e.ok()) {
      ++bad;
      continue;
    }
    std::size_t last_begin = 0;
    for (std::size_t t = 0; t < e->size(); ++t) {
      if (e->special_tokens_mask[t] == 1) continue;
      const qc::TokenOffset o = e->offsets[t];
      if (o.begin >= o.end || o.end > text.size() || o.begin < last_begin) ++bad;
      last_begin = o.begin;
    }
  }
  CHECK(bad == 0);
}
