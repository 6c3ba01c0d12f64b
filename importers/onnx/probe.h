// importers/onnx/probe.h: decides what small integer/boolean subgraphs compute by evaluating them on samples.
//
// Overview
//   The attention-mask chains of real exports differ per exporter and transformers version (`(1-m)*min`,
//   `Expand/Cast/Where(-inf)`, `Range/GreaterOrEqual/And/Gather/Where`, dynamo's `GatherND`), and so do position ids
//   (`Slice` of a buffer, `Range`, `Expand`) and absent token-type ids (an expanded zero buffer). Instead of matching
//   each spelling, the importer evaluates the subgraph that produces such a value for several sample sizes of the
//   graph's symbolic dims (batch 2/3/1, sequence 5/7/1, ...) and, for masks, several 0/1 masks (right, left and
//   random padding, an all-zero row), and compares the result with the canonical meaning:
//   - ClassifyAdditiveMask: value[b, *, q, k] == (mask[b, k] != 0 ? 0 : fill) for one graph input `mask`;
//   - ClassifyIndexValue: a value that depends on no graph input and equals a constant or arange(offset, ...) along
//     its last axis.
//   Only data-independent subgraphs and the one mask input are evaluated (importers/onnx/eval.h kernels; `Shape` reads
//   the symbolic shape under the sample bindings); anything touching activations makes the probe fail, so a
//   classification is never a guess from partial evaluation.
//
// Usage
//   if (auto mask = ClassifyAdditiveMask(graph, add_operand)) { ... mask->input, mask->fill ... }
//   if (auto idx = ClassifyIndexValue(graph, position_ids)) { if (idx->arange) offset = idx->offset; }
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "importers/onnx/host_tensor.h"
#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {

using Bindings = std::map<std::string, int64_t>;

/// Evaluates `value` with symbols bound to `bindings` and graph inputs taken from `feeds` (by value id).
/// Errors when the value depends on anything else (activations, unsupported ops, unbound symbols).
Expected<HostTensor> ProbeValue(const WGraph& graph, int value, const Bindings& bindings,
                                const std::map<int, HostTensor>& feeds);

/// Graph inputs whose data `value` depends on (shape-only reads through Shape/Size do not count); nullopt if it
/// depends on a value that probes cannot evaluate.
std::optional<std::vector<int>> ProbeDataInputs(const WGraph& graph, int value);

/// Sample bindings for every symbol of the graph inputs: several distinct size assignments.
std::vector<Bindings> SampleBindings(const WGraph& graph);

struct AdditiveMask {
  int input = -1;     ///< the graph input holding the 2-D 0/1 mask [batch, keys]
  double fill = 0.0;  ///< what masked positions add to the scores (-inf, float lowest, -10000, ...)
};
/// `value` is the additive mask of scores [B, heads, Sq, Sk] (Sq == Sk == the mask's second dim).
std::optional<AdditiveMask> ClassifyAdditiveMask(const WGraph& graph, int value, std::string* why);

/// `value` is a graph input mask m [B, S] broadcast to `like` [B, S, H] (as 0/1 numbers, e.g. sentence-transformers'
/// `attention_mask.unsqueeze(-1).expand(x.size()).float()`); returns m's value id.
std::optional<int> ClassifyExpandedMask(const WGraph& graph, int value, int like, std::string* why);

struct IndexValue {
  bool constant = false;  ///< every element equals `fill`
  int64_t fill = 0;
  bool arange = false;  ///< every row along the last axis is offset, offset+1, ...
  int64_t offset = 0;
};
/// Classifies an integer value that depends on no graph input.
std::optional<IndexValue> ClassifyIndexValue(const WGraph& graph, int value, std::string* why);

}  // namespace qc::onnx_import
