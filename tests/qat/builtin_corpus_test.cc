// qat/data/builtin_corpus.h: the sentences qcompress distills on without --data, and the notice their licence
// requires. (That the generated file matches WordNet is test_builtin_corpus_fresh, with Debian's wordnet-base.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string>

#include "qat/data/builtin_corpus.h"

TEST_CASE("the built-in corpus: 10,000 distinct ASCII sentences of 5-40 words, unlabeled, with WordNet's notice") {
  const auto sentences = qc::qat::BuiltinCorpusSentences();
  REQUIRE(sentences.size == 10000);
  CHECK(qc::qat::kBuiltinCorpusName.find("10,000 WordNet 3.0 example sentences") != std::string_view::npos);
  std::set<std::string> seen;
  for (const char* s : sentences) {
    const std::string text(s);
    CAPTURE(text);
    std::istringstream words(text);
    size_t count = 0;
    for (std::string w; words >> w;) ++count;
    CHECK(count >= 5);
    CHECK(count <= 40);
    CHECK(std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; }));
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(seen.insert(lower).second);
  }
  const qc::qat::Dataset corpus = qc::qat::BuiltinCorpus();
  REQUIRE(corpus.examples.size() == sentences.size);
  CHECK(corpus.examples.front().text_a == sentences.data[0]);
  CHECK_FALSE(corpus.examples.front().has_label);
  CHECK(corpus.examples.back().text_b.empty());
  const std::string notice = qc::qat::BuiltinCorpusNotice();
  CHECK(notice.find("WordNet 3.0 Copyright 2006 by Princeton University.") == 0);
  CHECK(notice.find("PROVIDED \"AS IS\"") != std::string::npos);
}
