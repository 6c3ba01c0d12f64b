// Imports what the user points qcompress at: an ONNX file or a Hugging Face model directory.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::tools {

struct ImportedModel {
  ir::Graph graph;
  std::string kind;                   ///< "onnx" or "huggingface"
  std::string report;                 ///< the importer's coverage report, human-readable
  std::vector<std::string> warnings;
  std::string source_hash;            ///< "xxh3:<16 hex>" over the files that define the model
};

struct ImportModelOptions {
  int64_t num_heads = 0;  ///< ONNX: 0 infers the head count
  /// ONNX: where to find tokenizer.json / vocab.txt to embed; "" looks next to the model file.
  std::string tokenizer_path;
  /// Hugging Face: import the encoder alone (last_hidden_state, pooler_output when pretrained) even when the
  /// directory has a task head or a sentence-transformers layer; used to put a new classifier on it.
  bool hf_last_hidden_state = false;
};

/// Dispatches on the path: a directory is a Hugging Face model, anything else an ONNX file.
Expected<ImportedModel> ImportModel(const std::string& path, const ImportModelOptions& options);

/// XXH3-64 of the bytes of `paths` in order, as "xxh3:<16 hex digits>".
Expected<std::string> HashFiles(const std::vector<std::string>& paths);

}  // namespace qc::tools
