// ir/verifier.h: checks every structural, attribute and type invariant of a Graph (listed in ir/graph.h).
//
// Overview
//   Verify() is cheap (linear plus one shape-inference call per node) and is meant to run after import, after every
//   pass in debug builds, and before export. It reports the first broken invariant, naming the node by its source
//   name and op, the input position and the value: e.g.
//     "node '/encoder/layer.0/Add' (Add): input 1 'b' value 'x' is not defined (not a graph input, constant or
//      output of a live node)".
//   Checks, in order: values (valid dtype/shape, unique names, constants named and matching their tensor), graph
//   inputs, nodes (op, arity, input/output ids, single producer, producer back-links), that every used value is
//   defined, acyclicity, attributes (all present, right kinds) and quantization annotations, output dtypes/shapes
//   against a re-run of shape inference, and graph outputs (named, defined, at least one, each once).
//
// Usage
//   QC_RETURN_IF_ERROR(qc::ir::Verify(graph).WithContext("after pass 'fuse-gelu'"));
#pragma once

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::ir {

/// OK, or an InvalidArgument status describing the first violated invariant.
Status Verify(const Graph& graph);

}  // namespace qc::ir
