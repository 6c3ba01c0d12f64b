// exporters/qm/to_ir.h: a float .qm file back into the IR, so a model written by qcompress (e.g. a teacher made with
// --finetune) can be compressed in a second run.
//
// Overview
//   ImportQmFile opens and verifies the file (runtime/format/qm_reader.h) and rebuilds the graph value for value and
//   op for op in file order (the exact inverse of BuildQmSpec in from_ir.h: exporting the result again with the
//   same provenance gives the same bytes). Unnamed intermediates ("%<n>" in the file) become unnamed IR values.
//   Constants are views into the mapped file (no copy): the graph keeps the mapping alive. Quantized ops (QLinear,
//   QEmbedding, QAttention, QAttentionQkv) are refused by default: re-quantizing packed weights would compound the
//   error; start from the float model instead. Tools that only inspect or re-run a compressed model (e.g. the
//   stage-parity checker) pass QmImportOptions{.allow_quantized = true}.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::QmImport in, qc::ImportQmFile("teacher.qm"));
//   qc::ir::Graph graph = std::move(in.graph);   // verified; metadata (tokenizer, labels, image) included
#pragma once

#include <string>

#include "exporters/qm/qm_spec.h"
#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc {

struct QmImport {
  ir::Graph graph;
  qm::ProvenanceSpec provenance;  ///< as recorded in the file
};

struct QmImportOptions {
  /// Accept QLinear / QEmbedding / QAttention / QAttentionQkv (their packed weights come through as u8/t2/i4/i8
  /// constants).
  bool allow_quantized = false;
};

/// Errors name the file and the op, value or metadata key at fault.
Expected<QmImport> ImportQmFile(const std::string& path, const QmImportOptions& options = {});

}  // namespace qc
