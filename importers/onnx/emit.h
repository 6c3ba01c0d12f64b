// importers/onnx/emit.h: the last import step, a fully canonical WGraph -> a verified ir::Graph.
//
// Overview
//   CheckAllConverted() lists every live node that is not canonical (all at once, with the node's note or a
//   re-export hint) as one kUnsupported status that names the file, the producer and the opset. EmitGraph() then
//   builds the IR with ir::GraphBuilder: graph inputs in ONNX order (dims from dim_params), constants when first
//   used, nodes in a canonical depth-first order from the outputs (so equivalent exports give the same IR text),
//   intermediate values unnamed and graph outputs under their ONNX names, plus the source.* metadata.
//
// Usage
//   QC_RETURN_IF_ERROR(CheckAllConverted(graph));
//   QC_ASSIGN_OR_RETURN(ir::Graph ir_graph, EmitGraph(graph));
#pragma once

#include "importers/onnx/work_graph.h"
#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

/// OK when every live node is canonical; otherwise kUnsupported listing each unconverted node.
Status CheckAllConverted(const WGraph& graph);

/// Builds and verifies the IR graph (call CheckAllConverted first).
Expected<ir::Graph> EmitGraph(const WGraph& graph);

/// What the unsupported-op report says about an unconverted node (its note, or a hint by op type and domain).
std::string UnsupportedReason(const WNode& node);

}  // namespace qc::onnx_import
