// importers/hf/tokenizer_metadata.h: a tokenizer spec as the standard "tokenizer.*" graph metadata.
//
// The runtime rebuilds its WordPiece tokenizer from exactly these keys (docs/qm-format.md lists them), so both
// importers that embed a tokenizer (Hugging Face directories, and ONNX files with tokenizer files beside them) write
// them through this one function.
//
//   QC_ASSIGN_OR_RETURN(qc::hf::HfTokenizerSpec spec, qc::hf::ReadHfTokenizer(dir));
//   for (auto& [key, value] : qc::hf::TokenizerMetadata(spec, 512)) graph.mutable_metadata()[key] = value;
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "importers/hf/tokenizer_config.h"
#include "ir/graph.h"

namespace qc::hf {

/// The metadata entries describing `spec`, with `model_max_length` as the longest sequence the model accepts.
std::vector<std::pair<std::string, ir::MetadataValue>> TokenizerMetadata(const HfTokenizerSpec& spec,
                                                                          int64_t model_max_length);

}  // namespace qc::hf
