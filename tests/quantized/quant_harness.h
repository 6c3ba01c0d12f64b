// tests/quantized/quant_harness.h: building quantized IR graphs from random float weights, and running an IR graph
// through the real path (ExportQm -> Model::Load -> Session::Run).
//
//   TernaryWeights w = MakeTernaryWeights(n, k, /*per_row=*/true, seed);   // TWN codes, α, packed T2 bytes
//   ValueId y = AddQLinear(builder, "fc", x, w, bias, attrs);
//   auto outputs = RunIrGraph(graph, {{"x", HostTensor::Float32(...)}});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "qcompress/runtime.h"

namespace qc::test {

template <typename T>
T Must(Expected<T> e) {
  if (!e.ok()) FAIL("unexpected error: " << e.status().ToString());
  return std::move(e).value();
}

/// Deterministic uniform floats in [lo, hi).
std::vector<float> RandomFloats(size_t count, float lo, float hi, uint64_t seed);

struct TernaryWeights {
  size_t n = 0, k = 0;
  std::vector<int8_t> w_int;    ///< [n, k] in {-1, 0, 1}
  std::vector<float> alpha;     ///< [n] or [1]
  std::vector<uint8_t> packed;  ///< T2PackedBytes(n, k)
};

/// Random float weights [n, k] ternarized with quant/twn.h (per row or per tensor) and packed with quant/t2_pack.h.
TernaryWeights MakeTernaryWeights(size_t n, size_t k, bool per_row, uint64_t seed);

/// Adds constants "<name>.weight", "<name>.w_scale", optional "<name>.bias" and the QLinear node.
ir::ValueId AddQLinear(ir::GraphBuilder& b, const std::string& name, ir::ValueId x, const TernaryWeights& w,
                       const std::vector<float>& bias, ir::Attributes attrs);

/// QLinear attributes for a t2 weight [n, k]: granularity (1..3), clip (0 = none), amax (static), epilogue (0..2).
ir::Attributes QLinearAttrs(size_t n, size_t k, int64_t granularity, double clip, double amax, int64_t epilogue);

/// Exports `graph` to a temporary .qm, loads it and runs one session; `threads` > 0 sets SessionOptions.
Expected<std::vector<NamedTensor>> RunIrGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs,
                                              int threads = 0);

/// A fresh temporary .qm path (per process and call); the caller removes the file.
std::string TempQmPath();

/// Export + Model::Load only (for load-time errors).
Expected<std::shared_ptr<const Model>> ExportAndLoad(const ir::Graph& graph);

}  // namespace qc::test
