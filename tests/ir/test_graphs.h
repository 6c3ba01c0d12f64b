// Small, fully deterministic graphs and helpers shared by the IR tests.
//
// TinyBert(): one encoder layer (vocab 32, hidden 16, 2 heads, FFN 32, 8 positions, 2 labels) with pooler and
// classifier, symbolic [batch, sequence] int64 inputs, and tokenizer metadata. TinyVit(): 8x8 RGB images, patch 4,
// one encoder layer, CLS classifier. Weights come from a fixed integer generator, so content hashes are stable.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::ir::test {

/// The value of an Expected, or a test failure that prints the status.
template <typename T>
T Must(Expected<T> expected) {
  if (!expected.ok()) FAIL("unexpected error: " << expected.status().ToString());
  return std::move(expected).value();
}

/// Deterministic weights in [-1, 1] (multiples of 1/1024) from a 64-bit LCG seeded by `seed`.
std::vector<float> Weights(size_t count, uint64_t seed);
/// A constant of the given dims filled by Weights().
ValueId AddWeight(GraphBuilder& builder, const std::string& name, std::vector<int64_t> dims, uint64_t seed);

/// The first output of the live node called `node_name` (a test failure if there is none).
ValueId OutputOfNode(const Graph& graph, const std::string& node_name);

/// Ids of interesting values in TinyBert(), for tests that edit it.
struct TinyBertIds {
  ValueId input_ids, attention_mask, token_type_ids;
  ValueId embeddings_ln;  ///< output of the embedding LayerNorm
  ValueId gelu;           ///< output of the FFN Gelu
  ValueId logits;
};
Graph TinyBert(TinyBertIds* ids = nullptr);
Graph TinyVit();

}  // namespace qc::ir::test
