// api/model_impl.h: what a loaded Model holds; shared by the Model and Session implementations.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "format/qm_reader.h"
#include "qcompress/runtime.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace qc {

struct Model::Impl {
  qm::QmFile file;
  exec::Plan plan;
  std::vector<ValueSignature> inputs;
  std::vector<ValueSignature> outputs;
  std::optional<WordPieceTokenizer> tokenizer;
  std::vector<std::string> labels;
  std::string path;
};

}  // namespace qc
