// The built-in distillation corpus as a Dataset (qat/data/builtin_corpus.h); the text is generated.
#include "qat/data/builtin_corpus.h"

namespace qc::qat {

Dataset BuiltinCorpus() {
  Dataset d;
  for (const char* sentence : BuiltinCorpusSentences()) {
    Example e;
    e.text_a = sentence;
    d.examples.push_back(std::move(e));
  }
  return d;
}

}  // namespace qc::qat
