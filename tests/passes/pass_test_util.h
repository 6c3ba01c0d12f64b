// Helpers shared by the pass tests: golden dumps, running one pass, and running a graph through the runtime.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"
#include "passes/quant_config.h"
#include "qcompress/runtime.h"
#include "test_graphs.h"

namespace qc::passes::test {

using qc::ir::test::Must;

/// A full LayerOverride (aggregate initialisation would leave members implicit).
inline LayerOverride Override(OverrideMatch match, std::string pattern, std::optional<ir::WeightBits> bits,
                              bool keep_float = false, std::optional<ir::ActivationMode> act_mode = std::nullopt,
                              std::optional<double> act_clip = std::nullopt) {
  LayerOverride o;
  o.match = match;
  o.pattern = std::move(pattern);
  o.bits = bits;
  o.keep_float = keep_float;
  o.act_mode = act_mode;
  o.act_clip = act_clip;
  return o;
}

/// Compares `text` with tests/passes/golden/<name>. On a mismatch writes <name>.actual in the working directory (to
/// review with diff and copy over the golden when the change is intended) and fails.
void CheckGolden(const std::string& text, const std::string& name);

/// Runs `pass` once on `graph`, requires success, verifies the graph, and returns whether it changed.
bool RunPassOk(Pass& pass, ir::Graph& graph, PassContext& context);

/// Exports `graph` to a temporary .qm, loads it, runs `inputs` and returns the outputs (test failure on error).
std::vector<NamedTensor> RunGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs);

/// TinyBert()'s inputs for a batch of 2 rows of `seq` tokens (ids < 32, the second row half padded).
std::vector<NamedTensor> TinyBertInputs(int64_t seq);

/// Bitwise equality of two output lists (names, shapes, float bits).
void CheckBitIdentical(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b);

}  // namespace qc::passes::test
