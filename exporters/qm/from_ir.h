// exporters/qm/from_ir.h: the IR graph as a .qm model description, and the one-call export.
//
// Overview
//   BuildQmSpec copies a verified ir::Graph field by field into a QmModelSpec (exporters/qm/qm_spec.h): live nodes in
//   topological order, only the values they use, constants borrowed (not copied) from the IR tensors, IR metadata as
//   typed .qm metadata, provenance as given. Values are renumbered in IR id order, so equal graphs give equal specs
//   and equal files. Unnamed intermediates get the name "%<n>" (n = their new index), which no source name uses.
//   The graph must outlive the spec (constants point into its tensors).
//
// Usage
//   QC_RETURN_IF_ERROR(qc::ir::Verify(graph));
//   qc::qm::ProvenanceSpec provenance{"qcompress", "0.1.0", "qcompress bert.onnx -o bert.qm", "bert.onnx", ...};
//   QC_RETURN_IF_ERROR(qc::ExportQm(graph, provenance, "bert.qm"));
#pragma once

#include <string>

#include "exporters/qm/qm_spec.h"
#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc {

/// The description of `graph`; errors name the node, value or metadata key the format cannot represent.
Expected<qm::QmModelSpec> BuildQmSpec(const ir::Graph& graph, const qm::ProvenanceSpec& provenance);

/// Verifies `graph`, builds its spec and writes `path` atomically and deterministically; `report_json` (may be
/// empty) is embedded as the model's report (tools/report/report.h).
Status ExportQm(const ir::Graph& graph, const qm::ProvenanceSpec& provenance, const std::string& path,
                const std::string& report_json = "");

}  // namespace qc
