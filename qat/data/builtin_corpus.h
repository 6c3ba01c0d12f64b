// qat/data/builtin_corpus.h: the unlabeled English text qcompress distills a text model on when no --data is given.
//
// Overview
//   10,000 example sentences from WordNet 3.0's glosses ("The patient must be sedated before the operation"),
//   selected and ordered by tools/gen/builtin_corpus.py, compiled into the binary (builtin_corpus_generated.cc).
//   WordNet's licence (qat/data/WORDNET-LICENSE.txt) permits use and redistribution for any purpose, provided its
//   copyright notice and disclaimer go with every copy; BuiltinCorpusNotice() is that text. Task data distills
//   better (1.8 points on SST-2, docs/results/builtin-corpus.md): this corpus only makes
//   `qcompress model --bits 2 --distill kd` work without any.
//
// Usage
//   qc::qat::Dataset corpus = qc::qat::BuiltinCorpus();  // unlabeled examples, a fixed order
#pragma once

#include <cstddef>
#include <string_view>

#include "qat/data/glue_data.h"

namespace qc::qat {

/// What the corpus is, for messages and reports.
inline constexpr std::string_view kBuiltinCorpusName = "the built-in corpus (10,000 WordNet 3.0 example sentences)";

/// The sentences, in the generator's fixed order (a range: `for (const char* s : BuiltinCorpusSentences())`).
struct SentenceList {
  const char* const* data = nullptr;
  size_t size = 0;
  const char* const* begin() const { return data; }
  const char* const* end() const { return data + size; }
};
SentenceList BuiltinCorpusSentences();
/// WordNet's copyright notice and disclaimer, which its licence requires on every copy of the data.
const char* BuiltinCorpusNotice();
/// The sentences as unlabeled examples (Example::text_a), like a .txt --data file.
Dataset BuiltinCorpus();

}  // namespace qc::qat
